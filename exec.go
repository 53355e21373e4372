package main

// The command shim becomes: the PATH lookup, the kernel's size limits, the
// exec and the status each failure maps to. --check and a run judge it with
// the same code, as the user the command runs as: --check asks predict what
// execve would answer, a run asks execve, and predict explains its answer.

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

type execPlan struct {
	path      string // what execve is given
	shown     string // as written when it came from ${NAME}, which may hold a secret
	args, env []string
}

// newCommand finds the command as execvp does, in the PATH of the command's
// own environment, and checks what execve would refuse with a bare E2BIG.
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
	return c, checkSize(path, len(args), args, env)
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

// checkSize names what execve would reject with a bare E2BIG: one string
// over MAX_ARG_STRLEN, or the file name, strings and pointers over ARG_MAX,
// counted on what execve is given, not a #! script's rewritten arguments.
func checkSize(path string, given int, args, env []string) error {
	pointers := max(given, 1) + len(env)
	total := len(path) + 1 + strconv.IntSize/8*pointers
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
			"fewer or smaller secrets as variables; a program that can read a file is better given the path (SHIM_SKIP)")
	}
	return nil
}

// exec replaces shim with the command; it returns only on failure.
func (c execPlan) exec() error {
	err := unix.Exec(c.path, c.args, c.env)
	return c.explain(err, predict(c.path, c.args, c.env))
}

// check is --check's verdict: the failure a run would report, or what
// cannot be foreseen without running the command.
func (c execPlan) check() (unknown string, err error) {
	v := predict(c.path, c.args, c.env)
	if v.unknown == "" && (v.errno != 0 || v.size != nil) {
		return "", c.explain(v.errno, v)
	}
	return v.unknown, nil
}

// explain maps a failed execve to its status, with predict's reading of
// the cause where it agrees with the kernel's answer.
func (c execPlan) explain(err error, v verdict) error {
	if v.size != nil && (errors.Is(err, unix.E2BIG) || err == v.errno) {
		return v.size
	}
	code := exitCannotRun
	switch {
	case errors.Is(err, unix.E2BIG):
		code = exitShim
	case (errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR)) && !v.exists:
		code = exitNotFound
	case errors.Is(err, unix.EACCES) && v.dir:
		return &problem{err: fmt.Errorf("exec %s: is a directory", quote(c.shown)), code: code}
	}
	var hints []string
	if errors.Is(err, v.errno) && v.why != "" {
		hints = append(hints, v.why)
	}
	return &problem{err: fmt.Errorf("exec %s: %w", quote(c.shown), err), code: code, hints: hints}
}

// verdict is what execve would answer: errno 0 when the program would
// start, unless unknown says why only running it can tell.
type verdict struct {
	errno       unix.Errno
	why         string // the cause, for a hint
	exists, dir bool   // the command itself: ENOENT for an existing file is about its interpreter
	unknown     string
	size        error // a #! script's rewritten arguments over the kernel's limits
}

// predict follows the kernel's order: the file, its type, permission and
// mount; then binfmt_script (five scripts deep at most) or binfmt_elf.
func predict(path string, args, env []string) verdict {
	var st unix.Stat_t
	v := verdict{exists: unix.Stat(path, &st) == nil}
	file, given := path, len(args)
	v.dir = v.exists && st.Mode&unix.S_IFMT == unix.S_IFDIR
	for depth := 0; ; depth++ {
		if depth > 5 {
			return v.with(unix.ELOOP, "more than five #! scripts, each the interpreter of the one before")
		}
		if errno, why := runnable(path, depth > 0, "interpreter"); errno != 0 {
			return v.with(errno, why)
		}
		if depth == 0 { // the kernel copies the strings once the file is open
			if v.size = checkSize(file, given, args, env); v.size != nil {
				return v.with(unix.E2BIG, "")
			}
		}
		head, err := readHead(path)
		switch {
		case err != nil:
			v.unknown = "it cannot be read as this user to tell its format"
			return v
		case strings.HasPrefix(head, "#!"):
			interp, arg, ok := scriptLine(head)
			if !ok {
				return v.with(unix.ENOEXEC, "a #! line that names no interpreter, or one cut off at 255 bytes")
			}
			args = append(append(append([]string{interp}, arg...), path), args[min(1, len(args)):]...)
			if v.size = checkSize(file, given, args, env); v.size != nil {
				return v.with(unix.E2BIG, "")
			}
			path = interp
		case strings.HasPrefix(head, elf.ELFMAG):
			return elfVerdict(v, path)
		case binfmtMisc():
			v.unknown = "binfmt_misc decides whether the kernel runs a file that is neither ELF nor #!"
			return v
		default:
			return v.with(unix.ENOEXEC, "not a program: neither an ELF binary nor a script with a #! line")
		}
	}
}

func (v verdict) with(errno unix.Errno, why string) verdict {
	v.errno, v.why = errno, why
	return v
}

// runnable is what the kernel checks of every file it executes: the
// command, each #! interpreter and an ELF loader.
func runnable(path string, helper bool, role string) (unix.Errno, string) {
	what := "the file"
	if helper {
		what = "its " + role + " " + quote(path)
	}
	if path == "" {
		path = "." // the kernel opens an empty name as the working directory
	}
	var st unix.Stat_t
	switch err := unix.Stat(path, &st); {
	case err != nil && helper:
		return err.(unix.Errno), "the file exists, so what is missing is " + what
	case err != nil:
		return err.(unix.Errno), ""
	case st.Mode&unix.S_IFMT != unix.S_IFREG:
		return unix.EACCES, what + " is not a regular file"
	case noexecMount(path): // where access(X_OK) fails too
		return unix.EACCES, what + " is on a file system mounted noexec"
	case unix.Access(path, unix.X_OK) != nil:
		return unix.EACCES, fmt.Sprintf("%s is not executable for uid %d (chmod +x, or its owner and mode)", what, unix.Getuid())
	}
	return 0, ""
}

// scriptLine reads a #! line as binfmt_script does, in 256 bytes padded
// with NULs: only spaces and tabs separate (a CR is part of the name), and
// the rest, trimmed, is one argument up to a NUL.
func scriptLine(head string) (name string, arg []string, ok bool) {
	var buf [256]byte
	copy(buf[:], head)
	spacetab := func(i int) bool { return buf[i] == ' ' || buf[i] == '\t' }
	find := func(from, to int, stop func(int) bool) int {
		for ; from <= to; from++ {
			if stop(from) {
				return from
			}
		}
		return -1
	}
	notSpacetab := func(i int) bool { return !spacetab(i) }
	terminator := func(i int) bool { return spacetab(i) || buf[i] == 0 }
	end := find(0, 255, func(i int) bool { return buf[i] == '\n' || buf[i] == 0 })
	if end < 0 || buf[end] == 0 {
		first := find(2, 255, notSpacetab)
		if first < 0 || find(first, 255, terminator) < 0 {
			return "", nil, false
		}
		end = 255
	}
	for spacetab(end - 1) {
		end--
	}
	start := find(2, end, notSpacetab)
	if start < 0 || start == end {
		return "", nil, false
	}
	argAt, sep := -1, find(start, end, terminator)
	if sep >= 0 && buf[sep] != 0 {
		argAt = find(sep, end, notSpacetab)
	}
	buf[end] = 0
	if argAt >= 0 {
		buf[sep] = 0
		arg = []string{cString(buf[argAt:])}
	}
	return cString(buf[start:]), arg, true
}

func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return string(b[:i])
	}
	return string(b)
}

// elfVerdict is binfmt_elf's reading as far as debug/elf shows it: the
// class and machine of shim itself, an executable type, a loader that
// runs. What happens past that (segments mapped) only a run tells.
func elfVerdict(v verdict, path string) verdict {
	f, err := elf.Open(path)
	self, selfErr := elf.Open("/proc/self/exe")
	if err != nil || selfErr != nil {
		v.unknown = "an ELF file that debug/elf cannot read whole; the kernel reads less of it"
		return v
	}
	defer f.Close()
	defer self.Close()
	native := func(g *elf.File) bool {
		return g.Class == self.Class && g.Machine == self.Machine && g.Data == self.Data
	}
	switch {
	case !native(f) && binfmtMisc():
		v.unknown = "a program for " + f.Machine.String() + ", which binfmt_misc (an emulator) may run"
		return v
	case !native(f):
		return v.with(unix.ENOEXEC, "a program for another machine ("+f.Machine.String()+", "+f.Class.String()+")")
	case f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN:
		return v.with(unix.ENOEXEC, "an ELF file that is not a program ("+f.Type.String()+")")
	}
	for _, p := range f.Progs {
		if p.Type != elf.PT_INTERP {
			continue
		}
		if p.Filesz < 2 || p.Filesz > unix.PathMax {
			return v.with(unix.ENOEXEC, "its PT_INTERP is not a NUL-terminated path")
		}
		b := make([]byte, p.Filesz)
		if n, _ := p.ReadAt(b, 0); n != len(b) {
			return v.with(unix.EIO, "its PT_INTERP lies past the end of the file (truncated?)")
		} else if b[len(b)-1] != 0 {
			return v.with(unix.ENOEXEC, "its PT_INTERP is not a NUL-terminated path")
		}
		loader := cString(b)
		if errno, why := runnable(loader, true, "dynamic loader"); errno == unix.ENOENT {
			return v.with(errno, why+" (a dynamically linked binary in an image without its libc)")
		} else if errno != 0 {
			return v.with(errno, why)
		}
		header := map[elf.Class]int64{elf.ELFCLASS32: 52, elf.ELFCLASS64: 64}[f.Class]
		if st, err := os.Stat(loader); err == nil && st.Size() < header {
			return v.with(unix.EIO, "its dynamic loader "+quote(loader)+" is shorter than an ELF header")
		}
		l, err := elf.Open(loader)
		if err != nil || !native(l) {
			return v.with(errBadLoader, "its dynamic loader "+quote(loader)+" is not an ELF program for this machine")
		}
		l.Close()
	}
	return v
}

// readHead is the first 256 bytes (BINPRM_BUF_SIZE) the kernel reads.
func readHead(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	head := make([]byte, 256)
	n, err := io.ReadFull(f, head)
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		err = nil
	}
	return string(head[:n]), err
}
