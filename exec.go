package main

// This file is everything between a resolved environment and the command
// running in shim's place: the PATH lookup, the kernel's size limits, the
// exec itself and the exit status each failure maps to.

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Exit statuses, as env(1), timeout(1) and docker run use them, so a caller
// can tell shim's failures from the command's own.
const (
	exitShim       = 125 // shim failed; the command never ran
	exitCannotRun  = 126 // the command was found but could not be run
	exitNotFound   = 127 // the command was not found
	defaultPath    = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	pointerSize    = 8
	kernelStackCap = 8 << 20 // _STK_LIM
)

// exitError carries the status main exits with.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// exitCode is the status for err: an exitError's own, else shim's.
func exitCode(err error) int {
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	return exitShim
}

// maxEntry is the kernel's limit on one argument or NAME=value string,
// counting its NUL: MAX_ARG_STRLEN, 32 pages.
func maxEntry() int {
	return 32 * unix.Getpagesize()
}

// argMax is the room execve gives argv and envp together: a quarter of the
// stack limit, at most 3/4 of _STK_LIM and at least 32 pages (fs/exec.c).
func argMax() int {
	limit := kernelStackCap / 4 * 3
	var rl unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_STACK, &rl) == nil && rl.Cur != unix.RLIM_INFINITY {
		limit = min(limit, int(min(rl.Cur/4, uint64(limit))))
	}
	return max(limit, 32*unix.Getpagesize())
}

// lookPath finds the command as execvp does, in the PATH of the command's own
// environment: a name with a slash is used as is; otherwise the first
// executable file in PATH, or the first one found without permission so that
// exec reports it as 126. Messages name the command as shown, when given.
func lookPath(file, pathList, shown string) (string, error) {
	if file == "" {
		return "", &exitError{exitNotFound, errors.New("exec: the command is empty")}
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
	return "", &exitError{exitNotFound, fmt.Errorf("exec %s: not found in PATH", cmp.Or(shown, file))}
}

// checkSize names what execve would reject with a bare E2BIG: one string
// over MAX_ARG_STRLEN, or everything together over ARG_MAX.
func checkSize(path string, args, env []string, maxEntry, argMax int) error {
	total := len(path) + 1 + pointerSize*(max(len(args), 1)+len(env))
	for i, a := range args {
		if len(a)+1 > maxEntry {
			return withHint(fmt.Errorf("argument %d is %d bytes, over the kernel's limit of %d for one argument", i, len(a), maxEntry-1),
				"pass a large value in an environment variable or a file instead")
		}
		total += len(a) + 1
	}
	for _, kv := range env {
		if len(kv)+1 > maxEntry {
			name, _, _ := strings.Cut(kv, "=")
			return fmt.Errorf("%s is %d bytes, over the kernel's limit of %d for one environment variable", name, len(kv), maxEntry-1)
		}
		total += len(kv) + 1
	}
	if total > argMax {
		return withHint(fmt.Errorf("the command's arguments and environment take %d bytes, over the kernel's limit of %d (ARG_MAX)", total, argMax),
			"fewer or smaller secrets as variables; a program that can read a file is better given the path (SHIM_SKIP)")
	}
	return nil
}

// checkRunnable answers for --check what execve would: 127 for a missing
// file, 126 for a directory, a file without permission or a script whose
// interpreter is missing.
func checkRunnable(path, shown string) error {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return execError(path, shown, err)
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return execError(path, shown, unix.EACCES)
	}
	if err := unix.Access(path, unix.X_OK); err != nil {
		return execError(path, shown, err)
	}
	if interp := interpreter(path); strings.HasPrefix(interp, "/") && unix.Access(interp, unix.X_OK) != nil {
		return execError(path, shown, unix.ENOENT)
	}
	return nil
}

// execute replaces shim with the command. It returns only on failure.
func execute(path, shown string, args, env []string) error {
	err := unix.Exec(path, args, env)
	return execError(path, shown, err)
}

// execError maps a failed execve to 126 or 127, with a hint where the
// kernel's answer misleads: ENOENT for a file that exists means its
// interpreter or dynamic loader is missing. Messages name the command as
// shown, when given, instead of its path.
func execError(path, shown string, err error) error {
	name := cmp.Or(shown, path)
	fail := func(code int, hints ...string) error {
		return &exitError{code, withHint(fmt.Errorf("exec %s: %w", name, err), hints...)}
	}
	var st unix.Stat_t
	exists := unix.Stat(path, &st) == nil
	switch {
	case errors.Is(err, unix.ENOENT) && exists:
		return fail(exitCannotRun, "the file exists, so what is missing is "+missingInterpreter(path))
	case errors.Is(err, unix.ENOENT), errors.Is(err, unix.ENOTDIR):
		return fail(exitNotFound)
	case errors.Is(err, unix.EACCES) && exists && st.Mode&unix.S_IFMT == unix.S_IFDIR:
		return &exitError{exitCannotRun, fmt.Errorf("exec %s: is a directory", name)}
	case errors.Is(err, unix.EACCES) && exists && st.Mode&0o111 == 0:
		return fail(exitCannotRun, "the file is not executable: chmod +x "+name)
	case errors.Is(err, unix.ENOEXEC):
		return fail(exitCannotRun, "not a program for this machine, or a script without a #! line")
	}
	return fail(exitCannotRun)
}

// missingInterpreter names the #! interpreter of a script, or says that an
// ELF binary's loader is missing (a glibc binary in a static or musl image).
func missingInterpreter(path string) string {
	switch interp := interpreter(path); interp {
	case "":
		return "its interpreter or dynamic loader"
	case "ELF":
		return "its dynamic loader (a dynamically linked binary in an image without its libc)"
	default:
		return "its interpreter " + strconv.Quote(interp)
	}
}

// interpreter reads the start of a file: the program its #! line names, "ELF"
// for a binary, or "" when it cannot tell.
func interpreter(path string) string {
	head := make([]byte, 256)
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return ""
	}
	n, _ := unix.Read(fd, head)
	unix.Close(fd)
	head = head[:max(n, 0)]
	switch {
	case len(head) > 2 && string(head[:2]) == "#!":
		line, _, _ := strings.Cut(string(head[2:]), "\n")
		if fields := strings.Fields(line); len(fields) > 0 {
			return fields[0]
		}
	case len(head) >= 4 && string(head[:4]) == "\x7fELF":
		return "ELF"
	}
	return ""
}

// osFiles is the source the resolver reads real files through.
type osFiles struct {
	buf     []byte            // reused for every file: read's result is valid until the next call
	waiting func(path string) // tells the signal handler what a blocked read waits on
}

// read opens, reads and closes: four system calls for a small secret. The
// read stops at limit+1 bytes, so /dev/zero or a huge file costs no more.
// The bytes returned are valid until the next call.
func (o *osFiles) read(path string, limit int) ([]byte, error) {
	o.waiting(path)
	defer o.waiting("")
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	for err == unix.EINTR {
		fd, err = unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		pe := &fs.PathError{Op: "open", Path: path, Err: err}
		if err == unix.EACCES {
			return nil, denied(pe, path)
		}
		return nil, pe
	}
	defer unix.Close(fd)
	// Most secrets are a few dozen bytes: start small and grow towards the
	// limit only for the rare large one.
	if len(o.buf) == 0 {
		o.buf = make([]byte, 4096)
	}
	n := 0
	for n <= limit {
		if n == len(o.buf) {
			o.buf = append(o.buf, make([]byte, min(n, limit+1-n))...)
		}
		m, err := unix.Read(fd, o.buf[n:min(len(o.buf), limit+1)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		if m == 0 {
			break
		}
		n += m
	}
	return o.buf[:n], nil
}

// denied describes a permission failure for the hint: the file's owner and
// mode, or, when even stat is refused, uid -1 for a directory on the way that
// shim may not search.
func denied(err error, path string) error {
	var st unix.Stat_t
	if unix.Stat(path, &st) != nil {
		return &deniedError{err: err, uid: -1, euid: unix.Geteuid()}
	}
	return &deniedError{err: err, uid: int(st.Uid), gid: int(st.Gid), mode: fs.FileMode(st.Mode & 0o7777), euid: unix.Geteuid()}
}

// list returns the regular files of dir, following symlinks (Kubernetes
// mounts every key as a link into ..data) and leaving out dot names (..data
// itself and the timestamped directory behind it).
func (o *osFiles) list(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if info, err := os.Stat(dir + "/" + e.Name()); err == nil && info.Mode().IsRegular() {
			files = append(files, e.Name())
		}
	}
	return files, nil
}
