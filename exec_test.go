//go:build linux

package main

// --check against the kernel: a generated corpus of scripts and ELF files,
// each checked and really exec'd, must agree on the errno.

import (
	"cmp"
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// kernelErrno is execve's answer: 0 once the program started (it is killed at once).
func kernelErrno(t *testing.T, path string, args, env []string) unix.Errno {
	t.Helper()
	for try := 0; ; try++ {
		proc, err := os.StartProcess(path, args, &os.ProcAttr{Env: env})
		var errno syscall.Errno
		switch {
		case err == nil:
			proc.Kill()
			proc.Wait()
			return 0
		case !errors.As(err, &errno):
			t.Fatal(err)
		case errno == unix.ETXTBSY && try < 50: // another test's fork holds a file of ours open for writing
			time.Sleep(10 * time.Millisecond)
		default:
			return errno
		}
	}
}

// corpus writes the cases into the current directory and returns their paths:
// #! lines, chains of scripts, programs with headers changed, truncated or mutated.
func corpus(t *testing.T, rng *rand.Rand) []string {
	static, _ := os.ReadFile(shimPath)
	dynamic, _ := os.ReadFile("/bin/true")
	var interp *elf.Prog // its PT_INTERP
	if f, err := elf.Open("/bin/true"); err == nil {
		for _, p := range f.Progs {
			interp = map[bool]*elf.Prog{true: p, false: interp}[p.Type == elf.PT_INTERP]
		}
	}
	if interp == nil {
		t.Skip("needs a dynamic /bin/true")
	}
	writeLines := func(name string, data []byte, mode os.FileMode) string {
		return "./" + writeSecret(t, ".", name, string(data), mode)
	}
	// Helpers the cases name: a program, a directory, files that are no
	// program, short or not executable, and chains of scripts.
	writeLines("chain0", dynamic, 0o755)
	writeLines("noexec", dynamic, 0o644)
	writeLines("short", []byte("#!/bin/sh\n"), 0o755)
	writeLines("text", []byte(strings.Repeat("just some text\n", 8)), 0o755)
	os.Mkdir("dir", 0o755)
	unix.Mkfifo("fifo", 0o755) // an interpreter that must never be opened
	for i := range 7 {
		writeLines(fmt.Sprintf("chain%d", i+1), fmt.Appendf(nil, "#!chain%d\n", i), 0o755)
	}
	pick := func(list ...string) string { return list[rng.IntN(len(list))] }
	names := []string{"/bin/sh", "chain0", "./chain0", "/bin/sh\u00a0", "missing", "dir", "fifo", "noexec", "text", "short",
		"chain1", "chain3", "chain4", "chain5", "chain6", "chain7", strings.Repeat("/", 250) + "chain0"}
	var paths []string
	add := func(data []byte, mode os.FileMode) {
		paths = append(paths, writeLines("c"+strconv.Itoa(len(paths)), data, mode))
	}
	modes := []os.FileMode{0o755, 0o755, 0o755, 0o755, 0o755, 0o644, 0o700, 0o711}
	mutate := func(b []byte, n int) []byte {
		b = append([]byte(nil), b...)
		for range n {
			b[rng.IntN(min(256, len(b)))] = byte(rng.IntN(256))
		}
		return b
	}
	for range 200 { // #! lines
		line := "#!" + pick("", " ", "\t", " \t ") + pick(names...) + pick("", "", " ", "\t", " \t") +
			pick("", "", "-e", "a b", "\u00a0x", strings.Repeat("y", 260)) + pick("", " ", "\t")
		end := pick("\n", "\n", "\r\n", "\x00", "", "\x00\n", " \x00 \n")
		if rng.IntN(8) == 0 && len(line) > 2 {
			i := 2 + rng.IntN(len(line)-2)
			line = line[:i] + "\x00" + line[i:]
		}
		body := pick("exit 0\n", "", strings.Repeat("z", 300))
		add([]byte(line+end+body), modes[rng.IntN(len(modes))])
	}
	for _, line := range []string{"#!\n", "#!", "#! \t \n"} {
		add([]byte(line), 0o755)
	}
	for range 20 {
		add(mutate([]byte("#! /bin/sh -e\nexit 0\n"), 1+rng.IntN(3)), 0o755)
	}
	for range 30 { // truncated
		src := [][]byte{static, dynamic}[rng.IntN(2)]
		add(src[:min(len(src), rng.IntN(2)*rng.IntN(1024)+rng.IntN(64<<10))], 0o755)
	}
	for range 40 { // headers: class, data, machine, type; a loader elsewhere
		b := append([]byte(nil), dynamic...)
		switch rng.IntN(5) {
		case 0:
			b[elf.EI_CLASS] = byte(rng.IntN(4))
		case 1:
			b[elf.EI_DATA] = byte(rng.IntN(3))
		case 2:
			binary.LittleEndian.PutUint16(b[18:], uint16([]elf.Machine{elf.EM_AARCH64, elf.EM_386, elf.EM_RISCV, elf.EM_IA_64, elf.EM_VAX, 0}[rng.IntN(6)]))
		case 3:
			binary.LittleEndian.PutUint16(b[16:], uint16([]elf.Type{elf.ET_NONE, elf.ET_REL, elf.ET_EXEC, elf.ET_CORE, 0xfe00}[rng.IntN(5)]))
		case 4:
			loader := pick("missing", "dir", "text", "short", "noexec", "chain0", "/bin/sh", "chain1", "")
			copy(b[interp.Off:interp.Off+interp.Filesz], loader+strings.Repeat("\x00", int(interp.Filesz)))
		}
		add(b, modes[rng.IntN(len(modes))])
	}
	for i := range 44 { // random bytes of the first 256
		add(mutate([][]byte{dynamic, static}[i/40], 1+rng.IntN(4)), 0o755)
	}
	return paths
}

// TestCheckAsksTheKernel: --check's verdict is execve's answer for every case
// of the corpus, and a run's hint never blames a file that is fine.
func TestCheckAsksTheKernel(t *testing.T) {
	skipIfEmulated(t, noPtrace)
	t.Chdir(t.TempDir()) // relative interpreters and loaders are found from here, by both
	paths := corpus(t, rand.New(rand.NewPCG(19, 1)))
	env, args := []string{"PATH=/usr/bin:/bin"}, []string{"probe"} // a copy of the test binary runs as probe
	for _, path := range paths {
		want := kernelErrno(t, path, args, env)
		unknown, err := execPlan{path: path, shown: path, args: args, env: env}.check()
		var errno unix.Errno
		if errors.As(err, &errno); unknown != "" || errno != want {
			data, _ := os.ReadFile(path)
			t.Errorf("%s: the kernel says %v (%d), --check %v %q\n%s", path, want, int(want), err, unknown, hex.Dump(data[:min(len(data), 96)]))
		}
		lines := errorLines(execPlan{path: path, shown: path}.explain(want))
		if hint := lines[len(lines)-1]; !hintHolds(path, want, hint) {
			data, _ := os.ReadFile(path)
			t.Errorf("%s, refused with %v: the hint does not hold: %q\n%q", path, want, hint, data[:min(len(data), 80)])
		}
	}
}

// hintHolds says whether what a hint says of a file is true, for the errno
// it explains. A file named "" is the working directory, as the kernel opens it.
func hintHolds(path string, errno unix.Errno, hint string) bool {
	subject := path
	if m := regexp.MustCompile(`its interpreter ("(?:[^"\\]|\\.)*"|\S+)( is| has|$)`).FindStringSubmatch(hint); m != nil {
		subject = m[1]
		if unquoted, err := strconv.Unquote(subject); err == nil {
			subject = unquoted
		}
	}
	var st unix.Stat_t
	missing := unix.Stat(cmp.Or(subject, "."), &st) != nil
	switch {
	case !strings.HasPrefix(hint, "shim: hint: "): // no hint is better than a false one
		return true
	case strings.Contains(hint, "missing is its interpreter"):
		return missing && errno == unix.ENOENT
	case strings.Contains(hint, "dynamic loader"):
		f, err := elf.Open(subject)
		if err != nil {
			return false
		}
		defer f.Close()
		for _, p := range f.Progs {
			if b := make([]byte, p.Filesz); p.Type == elf.PT_INTERP && p.Filesz > 0 {
				p.ReadAt(b, 0)
				return errno == unix.ENOENT && unix.Access(strings.TrimRight(string(b), "\x00"), unix.F_OK) != nil
			}
		}
		return false
	case strings.HasSuffix(hint, "not a regular file"):
		return !missing && st.Mode&unix.S_IFMT != unix.S_IFREG && errno == unix.EACCES
	case strings.Contains(hint, "not executable"):
		return unix.Access(subject, unix.X_OK) != nil && errno == unix.EACCES
	case strings.Contains(hint, "#! scripts"):
		return errno == unix.ELOOP
	}
	return errno == unix.ENOEXEC // not a program, a #! line that names nothing
}

// TestCheckStopsTheChild: --check's child is the command, exec'd and held
// in a tracing stop before its first instruction, with no value of an
// argument or variable in it, only as many x's.
func TestCheckStopsTheChild(t *testing.T) {
	skipIfEmulated(t, noPtrace)
	child, err := execStopped(probePath, masked([]string{"probe", sentinel}), masked([]string{"S=" + sentinel}))
	if err != nil {
		t.Fatal(err)
	}
	defer child.Wait()
	defer child.Kill()
	proc := func(name string) string {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/%s", child.Pid, name))
		return string(b)
	}
	state := ""
	for try := 0; try < 100 && state != "t"; try++ { // the stop follows the exec's end
		_, after, _ := strings.Cut(proc("stat"), ") ")
		state, _, _ = strings.Cut(after, " ")
		time.Sleep(time.Millisecond)
	}
	exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", child.Pid))
	x := func(n int) string { return strings.Repeat("x", n) + "\x00" }
	if state != "t" || exe != probePath || proc("cmdline") != x(5)+x(len(sentinel)) || proc("environ") != x(len(sentinel)+2) {
		t.Errorf("state %q, exe %q, cmdline %q, environ %q", state, exe, proc("cmdline"), proc("environ"))
	}
}

// TestCheckRunsNothing: a script that leaves a mark leaves none under
// --check, emulated too, and one in a run.
func TestCheckRunsNothing(t *testing.T) {
	dir := t.TempDir()
	mark := filepath.Join(dir, "ran")
	script := writeSecret(t, dir, "script", "#!/bin/sh\ntouch "+mark+"\n", 0o755)
	for _, args := range [][]string{{"--check", script}, {script}} {
		res := run{args: args}.do(t)
		_, err := os.Stat(mark)
		if ran := err == nil; res.code != 0 || ran != (args[0] == script) {
			t.Errorf("shim %q: exit %d, %q; the script ran: %v", args, res.code, res.stderr, ran)
		}
	}
}

// TestArgMaxAsTheKernelCounts: around ARG_MAX sizeError agrees with the
// kernel, and where only a #! script's rewritten arguments are too large a run
// and --check say so, counted on the environment read from secret files.
func TestArgMaxAsTheKernelCounts(t *testing.T) {
	skipIfEmulated(t, "qemu-user's own argument copy changes the limits")
	script := writeSecret(t, t.TempDir(), "script", "#!"+probePath+"\n", 0o755)
	envFor := func(path string, over int) []string { // the kernel's count at argMax()+over
		env := []string{"PATH=" + binDir + ":/usr/bin:/bin"}
		for i := range argMax()/100000 + 1 {
			env = append(env, fmt.Sprintf("S%02d=", i))
		}
		env = withCover(env) // under -cover, GOCOVERDIR counts too
		need := argMax() + over - 2*(len(path)+1) - map[bool]int{true: len(probePath) + 1}[path == script] - pointerSize()*(1+len(env)) - len(strings.Join(env, " ")) - 1
		for i := 1; need > 0; i++ {
			env[i] += strings.Repeat("x", min(need, 100000))
			need -= min(need, 100000)
		}
		return env
	}
	runtime.LockOSThread() // a personality is the thread's, and the forks are this thread's
	defer runtime.UnlockOSThread()
	own, _, _ := unix.RawSyscall(unix.SYS_PERSONALITY, 0xffffffff, 0, 0)
	defer unix.RawSyscall(unix.SYS_PERSONALITY, own, 0, 0)
	for _, persona := range []uintptr{0x0008, own} { // PER_LINUX32 first (setarch linux32: uname says i686)
		unix.RawSyscall(unix.SYS_PERSONALITY, persona, 0, 0)
		for _, path := range []string{probePath, script} {
			for over := -12; over <= 12; over++ {
				want := map[bool]unix.Errno{true: unix.E2BIG}[over > 0]
				if got := kernelErrno(t, path, []string{path}, envFor(path, over)); got != want {
					t.Errorf("%s at ARG_MAX%+d, personality %#x: the kernel says %v, the arithmetic %v", path, over, persona, got, want)
				}
				if err := sizeError(path, []string{path}, envFor(path, over)); path == probePath && (err != nil) != (want != 0) {
					t.Errorf("%s at ARG_MAX%+d, personality %#x: sizeError says %v, the kernel %v", path, over, persona, err, want)
				}
			}
		}
	}
	env, dir := envFor(script, 1), t.TempDir()
	for i, kv := range env {
		if name, value, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "S") {
			env[i] = name + "_FILE=" + writeSecret(t, dir, name, value, 0o600)
		}
	}
	want := "shim: exec " + script + ": argument list too long\nshim: hint: " + sizeHint + "\n"
	for _, args := range [][]string{{script}, {"--check", script}} {
		if res := (run{args: args, rawEnv: env}).do(t); res.code != 125 || res.stderr != want {
			t.Errorf("shim %q, over ARG_MAX once rewritten: exit %d, stderr\n got: %q\nwant: %q", args, res.code, res.stderr, want)
		}
	}
}
