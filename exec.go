package main

// This file is everything between a resolved environment and the command
// running in shim's place: the PATH lookup, the kernel's size limits, the
// exec itself and the exit status each failure maps to. --check and a real
// run judge the command with the same code: --check asks predictExec what
// execve would answer, a run asks execve, and both answers are explained by
// execFailure.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

const (
	defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	pointerSize = strconv.IntSize / 8
)

// command is the program shim becomes, built once and used alike by --check
// and by exec.
type command struct {
	path      string // what execve is given
	shown     string // how messages name it: as written when it came from a variable, which may hold a secret
	args, env []string
}

// newCommand finds the command as execvp does, in the PATH of the command's
// own environment, and checks what execve would refuse with a bare E2BIG.
func newCommand(written string, args, env []string) (command, error) {
	c := command{shown: args[0], args: args, env: env}
	if written != args[0] {
		c.shown = written
	}
	path, err := lookPath(args[0], pathOf(env))
	if err != nil {
		return c, &problem{err: fmt.Errorf("exec %s: %w", quote(c.shown), err), code: exitNotFound}
	}
	c.path = path
	if written == args[0] {
		c.shown = path
	}
	return c, checkSize(path, args, env, maxEntry(), argMax())
}

func pathOf(env []string) string {
	for _, kv := range env {
		if p, ok := strings.CutPrefix(kv, "PATH="); ok {
			return p
		}
	}
	return defaultPath
}

// lookPath returns a name with a slash as it is; otherwise the first
// executable file in PATH, or the first one found without permission so that
// exec reports it as 126.
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

// checkSize names what execve would reject with a bare E2BIG: one string
// over MAX_ARG_STRLEN, or everything together over ARG_MAX.
func checkSize(path string, args, env []string, maxEntry, argMax int) error {
	total := len(path) + 1 + pointerSize*(max(len(args), 1)+len(env))
	for i, a := range args {
		if len(a)+1 > maxEntry {
			return fail(fmt.Sprintf("argument %d is %d bytes, over the kernel's limit of %d for one argument", i, len(a), maxEntry-1),
				"pass a large value in an environment variable or a file instead")
		}
		total += len(a) + 1
	}
	for _, kv := range env {
		if len(kv)+1 > maxEntry {
			name, _, _ := strings.Cut(kv, "=")
			return failf("%s is %d bytes, over the kernel's limit of %d for one environment variable", quote(name), len(kv), maxEntry-1)
		}
		total += len(kv) + 1
	}
	if total > argMax {
		return fail(fmt.Sprintf("the command's arguments and environment take %d bytes, over the kernel's limit of %d (ARG_MAX)", total, argMax),
			"fewer or smaller secrets as variables; a program that can read a file is better given the path (SHIM_SKIP)")
	}
	return nil
}

// check is --check's verdict on the command: what a run would say.
func (c command) check() error {
	if errno := predictExec(c.path, 0); errno != 0 {
		return c.execFailure(errno)
	}
	return nil
}

// exec replaces shim with the command. It returns only on failure.
func (c command) exec() error {
	return c.execFailure(unix.Exec(c.path, c.args, c.env))
}

// execFailure maps a failed execve to 126 or 127, with a hint where the
// kernel's answer misleads: ENOENT for a file that exists means its
// interpreter or dynamic loader is missing.
func (c command) execFailure(err error) error {
	name := quote(c.shown)
	failure := func(code int, hints ...string) error {
		return &problem{err: fmt.Errorf("exec %s: %w", name, err), code: code, hints: hints}
	}
	var st unix.Stat_t
	exists := unix.Stat(c.path, &st) == nil
	switch {
	case errors.Is(err, unix.ENOENT) && exists:
		return failure(exitCannotRun, "the file exists, so what is missing is "+missingInterpreter(c.path))
	case errors.Is(err, unix.ENOENT), errors.Is(err, unix.ENOTDIR):
		return failure(exitNotFound)
	case errors.Is(err, unix.EACCES) && exists && st.Mode&unix.S_IFMT == unix.S_IFDIR:
		return &problem{err: fmt.Errorf("exec %s: is a directory", name), code: exitCannotRun}
	case errors.Is(err, unix.EACCES) && exists && st.Mode&0o111 == 0:
		return failure(exitCannotRun, "the file is not executable: chmod +x "+name)
	case errors.Is(err, unix.EACCES):
		return failure(exitCannotRun, "a #! interpreter or dynamic loader that is not an executable file, a file that is not a regular file, or a noexec mount")
	case errors.Is(err, unix.ENOEXEC):
		return failure(exitCannotRun, "not a program for this machine, or a script without a #! line")
	}
	return failure(exitCannotRun)
}

// missingInterpreter names the #! interpreter of a script, or says that an
// ELF binary's loader is missing (a glibc binary in a static or musl image).
func missingInterpreter(path string) string {
	kind, interp := programKind(path)
	switch {
	case kind == "ELF":
		return "its dynamic loader " + quote(interp) + " (a dynamically linked binary in an image without its libc)"
	case kind == "#!":
		return "its interpreter " + quote(interp)
	}
	return "its interpreter or dynamic loader"
}

// predictExec answers what execve(path) would, as far as a look at the file
// tells: the errno, or 0 when it would start. It follows the kernel's own
// order: the file, its permission and mount, then a #! interpreter (relative
// to the working directory, at most four deep) or an ELF binary's loader.
// A binfmt_misc handler the kernel may have for other formats is not
// consulted.
func predictExec(path string, depth int) unix.Errno {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return err.(unix.Errno)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG || unix.Access(path, unix.X_OK) != nil || noexecMount(path) {
		return unix.EACCES
	}
	kind, interp := programKind(path)
	switch {
	case kind == "#!" && depth >= 4:
		return unix.ELOOP
	case kind == "#!" && interp == "":
		return unix.ENOEXEC
	case kind == "#!":
		return predictExec(interp, depth+1)
	case kind == "ELF" && interp != "":
		if err := unix.Stat(interp, &st); err != nil {
			return err.(unix.Errno)
		}
		if st.Mode&unix.S_IFMT != unix.S_IFREG || unix.Access(interp, unix.X_OK) != nil {
			return unix.EACCES
		}
	case kind == "":
		return unix.ENOEXEC
	}
	return 0
}

// programKind reads the start of a file: "#!" and the interpreter its first
// line names, "ELF" and its PT_INTERP loader (empty for a static binary), or
// "?" when the file cannot be read (the kernel may still run it: execute
// permission without read), or "" for anything else.
func programKind(path string) (kind, interp string) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return "?", ""
	}
	defer unix.Close(fd)
	head := make([]byte, 256) // BINPRM_BUF_SIZE
	n, _ := unix.Pread(fd, head, 0)
	head = head[:max(n, 0)]
	switch {
	case len(head) >= 2 && string(head[:2]) == "#!":
		line, _, _ := strings.Cut(string(head[2:]), "\n")
		if fields := strings.Fields(line); len(fields) > 0 {
			return "#!", fields[0]
		}
		return "#!", ""
	case len(head) >= 4 && string(head[:4]) == "\x7fELF":
		return "ELF", elfInterpreter(fd, head)
	}
	return "", ""
}

// elfInterpreter returns the PT_INTERP path of an ELF file, read from its
// program headers; just enough of the format to name a missing loader.
func elfInterpreter(fd int, head []byte) string {
	if len(head) < 64 {
		return ""
	}
	var order binary.ByteOrder = binary.LittleEndian
	if head[5] == 2 {
		order = binary.BigEndian
	}
	var phoff, phentsize, phnum uint64
	wide := head[4] == 2
	if wide {
		phoff, phentsize, phnum = order.Uint64(head[32:]), uint64(order.Uint16(head[54:])), uint64(order.Uint16(head[56:]))
	} else {
		phoff, phentsize, phnum = uint64(order.Uint32(head[28:])), uint64(order.Uint16(head[42:])), uint64(order.Uint16(head[44:]))
	}
	if phentsize < 32 || phnum > 64 {
		return ""
	}
	ph := make([]byte, phentsize)
	for i := range phnum {
		if n, _ := unix.Pread(fd, ph, int64(phoff+i*phentsize)); n != len(ph) || order.Uint32(ph) != 3 { // PT_INTERP
			continue
		}
		var off, size uint64
		if wide {
			off, size = order.Uint64(ph[8:]), order.Uint64(ph[32:])
		} else {
			off, size = uint64(order.Uint32(ph[4:])), uint64(order.Uint32(ph[16:]))
		}
		if size == 0 || size > 4096 {
			return ""
		}
		buf := make([]byte, size)
		if n, _ := unix.Pread(fd, buf, int64(off)); n == len(buf) {
			return strings.TrimRight(string(buf), "\x00")
		}
		return ""
	}
	return ""
}
