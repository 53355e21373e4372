package main

// The command shim becomes: the PATH lookup, the kernel's size limits, the
// exec and the status each failure maps to. A run and --check both ask the
// kernel's execve, as the user the command runs as, and explain its answer
// with the same code.

import (
	"cmp"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

const sizeHint = "fewer or smaller secrets as variables; a program that can read a file is better given the path (SHIM_SKIP)"

const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

type execPlan struct {
	path      string // what execve is given
	shown     string // as written when it came from ${NAME}, which may hold a secret
	args, env []string
}

// newCommand finds the command as execvp does, in the PATH of the command's
// own environment.
func newCommand(written string, args, env []string, secretPath bool) (execPlan, error) {
	c := execPlan{shown: written, args: args, env: env}
	path, err := lookPath(args[0], pathOf(env))
	if err != nil {
		return c, &problem{err: fmt.Errorf("exec %s: %w", quote(c.shown), err), code: exitNotFound}
	}
	c.path = path
	if written == args[0] && !secretPath { // a secret PATH's directory is its value
		c.shown = path
	}
	return c, nil
}

func pathOf(env []string) string {
	for _, kv := range env {
		if p, ok := strings.CutPrefix(kv, "PATH="); ok {
			return p
		}
	}
	return defaultPath
}

// lookPath returns a name with a slash as it is, else the first executable
// file in PATH, else the first one found without permission, which exec
// then reports as 126.
func lookPath(file, pathList string) (string, error) {
	if file == "" {
		return "", errors.New("the command is empty")
	}
	if strings.Contains(file, "/") {
		return file, nil
	}
	denied := ""
	for _, dir := range strings.Split(pathList, ":") {
		if dir == "" {
			dir = "."
		}
		p := dir + "/" + file
		var st unix.Stat_t
		if unix.Stat(p, &st) != nil || st.Mode&unix.S_IFMT == unix.S_IFDIR {
			continue
		}
		if unix.Access(p, unix.X_OK) == nil {
			return p, nil
		}
		if denied == "" {
			denied = p
		}
	}
	if denied != "" {
		return denied, nil
	}
	return "", errors.New("not found in PATH")
}

// sizeError names what made execve answer a bare E2BIG: one string over
// MAX_ARG_STRLEN, or the file name, strings and pointers over ARG_MAX; nil
// when only a #! script's rewritten arguments are over.
func sizeError(path string, args, env []string) error {
	total := len(path) + 1 + pointerSize()*(max(len(args), 1)+len(env))
	for i, a := range args {
		if len(a)+1 > maxEntry() {
			return fail(fmt.Sprintf("argument %d is %d bytes, over the kernel's limit of %d for one argument", i, len(a), maxEntry()-1),
				"pass a large value in an environment variable or a file instead")
		}
		total += len(a) + 1
	}
	for _, kv := range env {
		if len(kv)+1 > maxEntry() {
			name, _, _ := strings.Cut(kv, "=")
			return failf("%s is %d bytes, over the kernel's limit of %d for one environment variable", quote(name), len(kv), maxEntry()-1)
		}
		total += len(kv) + 1
	}
	if total > argMax() {
		return fail(fmt.Sprintf("the command's arguments and environment take %d bytes, over the kernel's limit of %d (ARG_MAX)", total, argMax()),
			sizeHint)
	}
	return nil
}

// exec replaces shim with the command; it returns only on failure.
func (c execPlan) exec() error {
	return c.explain(unix.Exec(c.path, c.args, c.env))
}

// check is --check's verdict, asked of the kernel rather than predicted:
// the command is exec'd in a child stopped before its first instruction,
// and killed there. Where the kernel refuses that child, or it ends without
// that stop (a seccomp profile that kills on ptrace), only a run can tell.
func (c execPlan) check() (unknown string, err error) {
	child, err := execStopped(c.path, masked(c.args), masked(c.env))
	if err == nil {
		var ws unix.WaitStatus
		_, err = unix.Wait4(child.Pid, &ws, 0, nil)
		if err != nil || ws.Stopped() { // else it has ended, and is reaped
			child.Kill()
			child.Wait()
		}
		switch {
		case err != nil:
			return "waiting for --check's traced child: " + err.Error(), nil
		case ws.Stopped() && (ws.StopSignal() == unix.SIGTRAP || ws.StopSignal() == unix.SIGSEGV): // execve's end, or its failure past the point of no return, as in a run
			return "", nil
		case ws.Signaled():
			return "--check's traced child was killed by " + unix.SignalName(ws.Signal()), nil
		}
		return fmt.Sprintf("--check's traced child ended without its stop after execve (wait status %#x)", uint32(ws)), nil
	}
	var errno unix.Errno
	errors.As(err, &errno)
	switch errno {
	case 0, unix.EPERM, unix.ENOSYS, unix.EAGAIN, unix.EMFILE, unix.ENFILE: // ptrace, the child or its descriptors refused, not the exec
		return "the kernel refused --check's traced child (" + errno.Error() + ")", nil
	}
	return "", c.explain(errno)
}

// masked replaces every string by as many x's: execve's answer depends on
// their sizes alone, and no value reaches the stopped child's cmdline.
func masked(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = strings.Repeat("x", len(s))
	}
	return out
}

// explain maps a failed execve to its status, with a hint at the cause.
func (c execPlan) explain(err error) error {
	var st unix.Stat_t
	exists, code := unix.Stat(c.path, &st) == nil, exitCannotRun
	switch {
	case errors.Is(err, unix.E2BIG):
		return cmp.Or(sizeError(c.path, c.args, c.env), fail(fmt.Sprintf("exec %s: %v", quote(c.shown), unix.E2BIG), sizeHint))
	case (errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR)) && !exists:
		code = exitNotFound
	case errors.Is(err, unix.EACCES) && st.Mode&unix.S_IFMT == unix.S_IFDIR:
		return &problem{err: fmt.Errorf("exec %s: is a directory", quote(c.shown)), code: code}
	}
	p := &problem{err: fmt.Errorf("exec %s: %w", quote(c.shown), err), code: code}
	if !exists {
		return p
	}
	if hint := cause(c.path, err); hint != "" {
		p.hints = []string{hint}
	}
	return p
}

// cause reads the likely reason for execve's err from the files, in the
// kernel's order: the command, then each #! interpreter. The kernel has
// decided already; this only points at a file.
func cause(path string, err error) string {
	what := "the file"
	for depth := 0; depth <= 5; depth++ {
		var st unix.Stat_t
		switch statErr := unix.Stat(cmp.Or(path, "."), &st); {
		case statErr != nil && depth > 0 && errors.Is(err, unix.ENOENT):
			return "the file exists, so what is missing is " + what
		case statErr != nil:
			return ""
		case st.Mode&unix.S_IFMT != unix.S_IFREG && errors.Is(err, unix.EACCES):
			return what + " is not a regular file"
		case st.Mode&unix.S_IFMT != unix.S_IFREG: // never opened: a device's open has effects
			return ""
		case !errors.Is(err, unix.EACCES): // not a question of permission
		case noexecMount(path):
			return what + " is on a file system mounted noexec"
		case unix.Access(path, unix.X_OK) != nil:
			return fmt.Sprintf("%s is not executable for uid %d (chmod +x, or its owner and mode)", what, unix.Getuid())
		}
		head := readHead(path)
		line, isScript := strings.CutPrefix(head, "#!")
		line = strings.TrimLeft(line, " \t")
		end := strings.IndexAny(line+"\n", " \t\n\x00")                        // a CR is part of the name, to the kernel
		named := end > 0 && end < len(line) || strings.HasPrefix(line, "\x00") // "" opens the working directory; no end is cut off
		switch interpreter := line[:end]; {
		case isScript && named:
			path, what = interpreter, "its interpreter "+quote(interpreter)
			continue
		case errors.Is(err, unix.ENOENT) && depth == 0:
			return "the file exists, so what is missing is its dynamic loader (a dynamically linked binary in an image without its libc)"
		case errors.Is(err, unix.ENOENT):
			return "the file exists, so what is missing is the dynamic loader of " + what
		case !errors.Is(err, unix.ENOEXEC): // not a question of format
		case isScript:
			return what + " has a #! line that names no interpreter, or one cut off at 255 bytes"
		case strings.HasPrefix(head, "\x7fELF"):
			return what + " is an ELF file this machine cannot run (built for another CPU, or damaged)"
		default:
			return what + " is not a program: neither an ELF binary nor a script with a #! line"
		}
		return ""
	}
	return "more than four #! scripts, each the interpreter of the one before"
}

// readHead is the first 256 bytes (BINPRM_BUF_SIZE), padded with NULs as
// in the buffer the kernel chooses a format by.
func readHead(path string) string {
	head := make([]byte, 256)
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return ""
	}
	defer unix.Close(fd)
	unix.Read(fd, head)
	return string(head)
}
