//go:build linux

package main

// End-to-end tests of the real binary: the test binary runs as shim, as probe
// (reports its process) or as launch (sets a parent's signal state, execs).

import (
	"bytes"
	"cmp"
	"debug/elf"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/kelseyhightower/envconfig"
	"golang.org/x/sys/unix"
)

var binDir, shimPath, probePath, coverDir string // coverDir: the children's GOCOVERDIR under -cover

func TestMain(m *testing.M) {
	switch filepath.Base(os.Args[0]) {
	case "shim":
		main()
	case "probe":
		probe(os.Args[1:])
	case "launch":
		launch(os.Args[1:])
	}
	// Children get the default action for every watched signal, as from a
	// container runtime, also when the test runs under nohup.
	for _, sig := range watched {
		if signal.Ignored(sig) {
			signal.Notify(make(chan os.Signal, 1), sig) // execve resets a handled signal to its default
		}
	}
	code := 1
	flag.Parse()
	if err := installBinaries(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(binDir)
	os.Exit(code)
}

// installBinaries copies the test binary, readable by every user, as shim
// with probe and launch as links. Under -cover the children's counters go
// into the test's own profile, so it counts what the real binary ran.
func installBinaries() error {
	data, err := os.ReadFile("/proc/self/exe")
	binDir, _ = os.MkdirTemp("", "shim-test-")
	shimPath, probePath = filepath.Join(binDir, "shim"), filepath.Join(binDir, "probe")
	if err := errors.Join(err, os.Chmod(binDir, 0o755), os.WriteFile(shimPath, data, 0o755), os.Link(shimPath, probePath), os.Link(shimPath, filepath.Join(binDir, "launch"))); err != nil {
		return err
	}
	if testing.CoverMode() != "" { // the children count too: into the directory the test's own profile is made from
		coverDir = flag.Lookup("test.gocoverdir").Value.String()
		for d := filepath.Dir(coverDir); strings.Contains(d, "/go-build"); d = filepath.Dir(d) {
			os.Chmod(d, 0o711) // the go command's temporary directory, for children that switch users
		}
		return os.Chmod(coverDir, 0o1777)
	}
	return nil
}

// raceBuild: built with -race, whose runtime sleeps a second as each child exits.
var raceBuild = func() bool {
	bi, _ := debug.ReadBuildInfo()
	return bi != nil && slices.Contains(bi.Settings, debug.BuildSetting{Key: "-race", Value: "true"})
}()

// withCover adds the children's GOCOVERDIR unless env has one (a test that
// counts the environment's bytes adds it itself), and turns -race's exit sleep off.
func withCover(env []string) []string {
	if raceBuild {
		env = append(slices.Clip(env), "GORACE=atexit_sleep_ms=0")
	}
	if coverDir == "" || slices.ContainsFunc(env, func(kv string) bool { return strings.HasPrefix(kv, "GOCOVERDIR=") }) {
		return env
	}
	return append(slices.Clip(env), "GOCOVERDIR="+coverDir)
}

// probe reports its process, one item a line, then does what its arguments
// say: exit N, touch FILE, sleep MS, kill (itself with SIGTERM), fds FILE
// (where fds 0-2 lead, into FILE), read FILE (see readBack).
func probe(args []string) {
	fmt.Printf("pid %d\n", os.Getpid())
	for _, a := range os.Args {
		fmt.Printf("arg %q\n", a)
	}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOCOVERDIR=") && !strings.HasPrefix(kv, "GORACE=") {
			fmt.Printf("env %q\n", kv)
		}
	}
	for ; len(args) > 0; args = args[min(2, len(args)):] { // an action and its argument
		switch args[0] {
		case "exit":
			code, _ := strconv.Atoi(args[1])
			os.Exit(code)
		case "touch":
			os.WriteFile(args[1], nil, 0o644)
		case "sleep":
			ms, _ := strconv.Atoi(args[1])
			time.Sleep(time.Duration(ms) * time.Millisecond)
		case "fds":
			fd0, _ := os.Readlink("/proc/self/fd/0")
			fd1, _ := os.Readlink("/proc/self/fd/1")
			fd2, _ := os.Readlink("/proc/self/fd/2")
			os.WriteFile(args[1], []byte(fd0+"\n"+fd1+"\n"+fd2+"\n"), 0o644)
		case "read":
			fmt.Print(readBack(args[1]))
		case "kill":
			syscall.Kill(os.Getpid(), syscall.SIGTERM)
			select {}
		}
	}
	os.Exit(0)
}

// launch blocks and ignores the signals it is given, as a parent process
// may, then execs the rest: launch BLOCK,... IGNORE,... [NOMEMFD|NOPTRACE]
// command args..., where NOMEMFD installs a seccomp filter that answers
// memfd_create with ENOSYS, NOPTRACE one that kills the caller of ptrace.
func launch(args []string) {
	runtime.LockOSThread()
	var set unix.Sigset_t
	bits := uint(unsafe.Sizeof(set.Val[0])) * 8
	for _, sig := range signalList(args[0]) {
		n := uint(sig.(syscall.Signal)) - 1
		set.Val[n/bits] |= 1 << (n % bits)
	}
	if err := unix.PthreadSigmask(unix.SIG_BLOCK, &set, nil); err != nil {
		panic(err)
	}
	signal.Ignore(signalList(args[1])...)
	switch args[2] {
	case "NOMEMFD":
		refuseCall(unix.SYS_MEMFD_CREATE, unix.SECCOMP_RET_ERRNO|uint32(unix.ENOSYS))
		args = args[1:]
	case "NOPTRACE": // as a profile whose default action kills, without ptrace listed
		refuseCall(unix.SYS_PTRACE, unix.SECCOMP_RET_KILL_PROCESS)
		args = args[1:]
	}
	panic(unix.Exec(args[2], args[2:], os.Environ()))
}

func signalList(names string) (out []os.Signal) {
	for _, name := range strings.Split(names, ",") {
		if name != "" {
			out = append(out, unix.SignalNum("SIG"+name))
		}
	}
	return out
}

// run describes one start of shim.
type run struct {
	args   []string
	env    []string // added to a minimal PATH
	rawEnv []string // passed as is, duplicates included, instead of PATH and env
	uid    int      // run as this uid (and gid) when non-zero; needs root
	groups []uint32 // supplementary groups to start with, when set; needs root
	path   string   // the program to start instead of shim: launch, say
	broken int      // 1 or 2: that descriptor is a pipe whose reader is gone
}

type result struct {
	code           int
	stdout, stderr string
	state          *os.ProcessState
	pid            int
}

// do starts the run in its own process group with os.StartProcess, which
// passes duplicate names on (exec.Cmd drops them), and checks that nothing of
// the group is left and that shim's own words carry no secret.
func (r run) do(t *testing.T) result {
	t.Helper()
	env := append([]string{"PATH=" + binDir + ":/usr/bin:/bin"}, r.env...)
	if r.rawEnv != nil {
		env = r.rawEnv
	}
	path, env := cmp.Or(r.path, shimPath), withCover(env)
	sys := &syscall.SysProcAttr{Setpgid: true}
	if r.uid != 0 || r.groups != nil {
		sys.Credential = &syscall.Credential{Uid: uint32(r.uid), Gid: uint32(r.uid), Groups: r.groups, NoSetGroups: r.groups == nil}
	}
	outR, outW, _ := os.Pipe()
	errR, errW, _ := os.Pipe()
	// As a container runtime does: a standard input, which Go's runtime
	// would otherwise open as /dev/null, absent from a scratch root.
	stdin, _ := os.Open(os.DevNull)
	defer stdin.Close()
	files := []*os.File{stdin, outW, errW}
	if r.broken != 0 {
		pr, pw, _ := os.Pipe()
		pr.Close()
		defer pw.Close()
		files[r.broken] = pw
	}
	proc, err := os.StartProcess(path, append([]string{filepath.Base(path)}, r.args...), &os.ProcAttr{Env: env, Sys: sys, Files: files})
	outW.Close()
	errW.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer time.AfterFunc(20*time.Second, func() { t.Error("still running after 20 s"); syscall.Kill(-proc.Pid, syscall.SIGKILL) }).Stop()
	var stdout, stderr bytes.Buffer
	done := make(chan struct{})
	go func() { stdout.ReadFrom(outR); stderr.ReadFrom(errR); close(done) }()
	state, err := proc.Wait()
	<-done
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(-proc.Pid, 0); !errors.Is(err, syscall.ESRCH) {
		syscall.Kill(-proc.Pid, syscall.SIGKILL)
		t.Errorf("a process of the run's group is still running (kill: %v)", err)
	}
	res := result{code: state.ExitCode(), stdout: stdout.String(), stderr: stderr.String(), state: state, pid: proc.Pid}
	assertNoSecret(t, "stderr", res.stderr)
	if !strings.HasPrefix(res.stdout, "pid ") { // a probe's report is the command speaking
		assertNoSecret(t, "stdout", res.stdout)
	}
	return res
}

// probeReport is what the probe printed.
type probeReport struct {
	pid       int
	args, env []string
}

func parseProbe(t *testing.T, out string) probeReport {
	t.Helper()
	var p probeReport
	for line := range strings.Lines(out) {
		key, value, _ := strings.Cut(strings.TrimSuffix(line, "\n"), " ")
		s, err := strconv.Unquote(value)
		switch {
		case key == "pid":
			p.pid, _ = strconv.Atoi(value)
		case err != nil:
			t.Fatalf("probe line %q: %v", line, err)
		case key == "arg":
			p.args = append(p.args, s)
		case key == "env":
			p.env = append(p.env, s)
		}
	}
	if p.pid == 0 {
		t.Fatalf("no probe report in %q", out)
	}
	return p
}

// kernelArch is the kernel's architecture as GOARCH names it, from
// /proc/sys/kernel/arch: qemu-user answers uname with the guest's machine.
func kernelArch() string {
	machine, err := os.ReadFile("/proc/sys/kernel/arch")
	if err != nil {
		var u unix.Utsname
		unix.Uname(&u)
		machine = u.Machine[:]
	}
	m := strings.TrimSpace(unix.ByteSliceToString(machine))
	if strings.HasPrefix(m, "arm") && m != "arm64" {
		return "arm"
	}
	return cmp.Or(map[string]string{"x86_64": "amd64", "aarch64": "arm64", "i386": "386", "i486": "386", "i586": "386", "i686": "386"}[m], m)
}

// emulated: a goarch binary on a kernel's architecture runs under
// emulation; 386 on amd64 and arm on arm64 run natively.
func emulated(goarch, kernel string) bool {
	return goarch != kernel && !(goarch == "386" && kernel == "amd64") && !(goarch == "arm" && kernel == "arm64")
}

// skipIfEmulated skips a test that qemu-user cannot reproduce.
func skipIfEmulated(t *testing.T, why string) {
	t.Helper()
	if k := kernelArch(); emulated(runtime.GOARCH, k) {
		t.Skipf("a %s binary on a %s kernel, emulated: %s", runtime.GOARCH, k, why)
	}
}

func TestEmulationDetected(t *testing.T) {
	for _, tc := range []struct {
		goarch, kernel string
		want           bool
	}{{"amd64", "amd64", false}, {"386", "amd64", false}, {"arm64", "amd64", true}, {"arm", "amd64", true},
		{"amd64", "arm64", true}, {"arm", "arm64", false}, {"riscv64", "amd64", true}, {"s390x", "s390x", false}} {
		if got := emulated(tc.goarch, tc.kernel); got != tc.want {
			t.Errorf("emulated(%s, %s) = %v", tc.goarch, tc.kernel, got)
		}
	}
	t.Logf("the kernel is %s, the test binary %s", kernelArch(), runtime.GOARCH)
}

// qemu-user hands the guest its environment in reverse order.
const reversedEnv = "qemu-user reverses the environment it hands the guest"

const noPtrace = "qemu-user has no ptrace, which --check asks execve with"

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
}

// waitBlocked waits until a thread of the process sleeps in the kernel's
// FIFO open (wait_for_partner): the signal then comes while shim resolves.
func waitBlocked(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/wchan", pid))
		for _, task := range tasks {
			if wchan, _ := os.ReadFile(task); string(wchan) == "wait_for_partner" {
				return
			}
		}
	}
	t.Fatalf("shim never blocked on the FIFO")
}

// TestSecretPathNotShown: a PATH read from a file is a secret like any
// other, so the command is shown as written, not where PATH found it.
func TestSecretPathNotShown(t *testing.T) {
	dir := filepath.Join(t.TempDir(), sentinel)
	os.Mkdir(dir, 0o755)
	os.Symlink(probePath, dir+"/probe")
	pathFile := writeSecret(t, filepath.Dir(dir), "path", dir, 0o644)
	env := []string{"PATH_FILE=" + pathFile, "SHIM_VERBOSE=true"} // no PATH: the file gives it
	want := "shim: set PATH from " + pathFile + " (" + strconv.Itoa(len(dir)) + " bytes)\nshim: exec probe\n"
	if res := (run{args: []string{"probe"}, rawEnv: env}).do(t); res.code != 0 || res.stderr != want {
		t.Errorf("exit %d, stderr\n got: %q\nwant: %q", res.code, res.stderr, want)
	}
}

// TestClosedStandardDescriptors pins what Go's runtime does before main: a
// closed fd 0, 1 or 2 is opened as /dev/null, which the command inherits;
// so shim cannot see a closed descriptor, only a broken pipe.
func TestClosedStandardDescriptors(t *testing.T) {
	out := filepath.Join(t.TempDir(), "fds")
	proc, err := os.StartProcess(shimPath, []string{"shim", "probe", "fds", out}, &os.ProcAttr{Env: withCover([]string{"PATH=" + binDir})})
	if err != nil {
		t.Fatal(err)
	}
	state, _ := proc.Wait()
	if got, _ := os.ReadFile(out); state.ExitCode() != 0 || string(got) != "/dev/null\n/dev/null\n/dev/null\n" {
		t.Errorf("%v, the command's fds 0-2: %q, want /dev/null each", state, got)
	}
}

// TestSettings keeps the hand-written help in step with the settings, every
// key with its default, and defaultSettings with what envconfig gives.
func TestSettings(t *testing.T) {
	var b bytes.Buffer
	if err := envconfig.Usagef("shim", &shimSettings{}, &b, `{{range .}}{{.Key}}={{.Tags.Get "default"}}{{"\n"}}{{end}}`); err != nil {
		t.Fatal(err)
	}
	if keys := strings.Fields(b.String()); len(keys) != 13 {
		t.Errorf("%d settings found, want 13", len(keys))
	} else if i := slices.IndexFunc(keys, func(k string) bool { return !strings.Contains(usage, "\n  "+k+" ") }); i >= 0 {
		t.Errorf("--help does not list %s", keys[i])
	}
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "SHIM_") {
			t.Setenv(name, "")
			os.Unsetenv(name)
		}
	}
	var processed shimSettings
	if err := envconfig.Process("shim", &processed); err != nil || fmt.Sprint(defaultSettings()) != fmt.Sprint(processed) {
		t.Errorf("defaultSettings() = %+v, envconfig gives %+v, %v", defaultSettings(), processed, err)
	}
	t.Setenv("SHIM_SECRETS_DIR", "/a, /b,")
	t.Setenv("SHIM_DATABASE_URL", "false")
	t.Setenv("DATABASE_URL", "true") // never read as SHIM_DATABASE_URL
	if s, err := loadSettings(os.Environ()); err != nil || !slices.Equal(s.Secrets.Dir, []string{"/a", "/b"}) || s.Database.URL || !s.Redis.URL {
		t.Errorf("got %+v, %v", s, err)
	}
}

// startShim starts shim in a process group of its own, or as PID 1 of a new
// PID namespace with unshare --fork, skipping where it cannot: the command
// started, shim's PID and its stderr.
func startShim(t *testing.T, asInit bool, env []string, args ...string) (*exec.Cmd, int, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(shimPath, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: !asInit}
	if asInit {
		skipIfEmulated(t, "qemu-user emulates signal delivery to the guest")
		requireRoot(t)
		unshare, err := exec.LookPath("unshare")
		if err != nil {
			t.Skip("no unshare")
		}
		cmd.Path, cmd.Args = unshare, append([]string{unshare, "--pid", "--fork", shimPath}, args...)
	}
	cmd.Env = withCover(append([]string{"PATH=" + binDir + ":/usr/bin:/bin"}, env...))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	if !asInit {
		return cmd, cmd.Process.Pid, &stderr
	}
	child := 0
	for deadline := time.Now().Add(5 * time.Second); child == 0 && time.Now().Before(deadline); {
		children, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", cmd.Process.Pid, cmd.Process.Pid))
		fmt.Sscan(string(children), &child)
	}
	if child == 0 {
		t.Fatal("unshare started no child")
	}
	return cmd, child, &stderr
}

// TestSignalWhileResolving: a shim blocked on a FIFO secret can be stopped.
// Outside PID 1 the kernel's default action ends it, SIGQUIT too (a Go dump could
// show secret bytes), with no watcher thread; as PID 1 shim names it, exits 128+n.
func TestSignalWhileResolving(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fi\nfo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, sig := range watched {
		name := unix.SignalName(sig)
		t.Run(name, func(t *testing.T) {
			threads := map[bool]int{}
			for _, asInit := range []bool{false, true} { // as PID 1 second: it skips where it cannot run
				cmd, shim, stderr := startShim(t, asInit, []string{"PW_FILE=" + fifo}, "probe")
				waitBlocked(t, shim)
				tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", shim))
				threads[asInit] = len(tasks)
				syscall.Kill(shim, sig)
				cmd.Wait()
				ws, out := cmd.ProcessState.Sys().(syscall.WaitStatus), stderr.String()
				qemuSays := strings.HasPrefix(out, "qemu: uncaught target signal") // the emulator's own line
				if groupErr := syscall.Kill(-shim, 0); !asInit && (!ws.Signaled() || ws.Signal() != sig || out != "" && !qemuSays || groupErr == nil) {
					t.Errorf("outside PID 1: %v, stderr %q, its group left: %v; want death by %s, nothing left", cmd.ProcessState, out, groupErr == nil, name)
				}
				if want := "shim: stopped by " + name + "\n"; asInit && (ws.ExitStatus() != 128+int(sig) || out != want) {
					t.Errorf("as PID 1: %v, stderr %q; want exit %d, %q", cmd.ProcessState, out, 128+int(sig), want)
				}
			}
			if threads[false] >= threads[true] {
				t.Errorf("blocked, shim runs %d threads outside PID 1, %d as PID 1", threads[false], threads[true])
			}
		})
	}
}

// TestSignalAtAnyMoment: a watched signal sent at a generated moment from
// shim's start to past its execve, outside PID 1 and as PID 1, is never lost,
// which shows as the command finishing its sleep with status 0.
func TestSignalAtAnyMoment(t *testing.T) {
	skipIfEmulated(t, "qemu-user emulates signal delivery to the guest")
	// As shim ships, static: with cgo (the race detector), Go cannot mask every thread.
	if f, err := elf.Open(shimPath); err != nil || slices.ContainsFunc(f.Progs, func(p *elf.Prog) bool { return p.Type == elf.PT_INTERP }) {
		t.Skip("the test binary is not static (built with -race?)")
	}
	dir := t.TempDir()
	for i := range 200 {
		writeSecret(t, dir, fmt.Sprintf("s%d", i), sentinel, 0o600)
	}
	marker := filepath.Join(t.TempDir(), "ran")
	env, args := []string{"SHIM_SECRETS_DIR=" + dir}, []string{"probe", "touch", marker, "sleep", "800"}
	start := time.Now()
	run{args: []string{"true"}, env: env}.do(t)
	span := time.Since(start) + time.Millisecond
	_, noUnshare := exec.LookPath("unshare")
	outcomes := map[string]int{}
	for i := range runs(60) {
		rng := rand.New(rand.NewPCG(i, 18))
		sig, asInit := watched[rng.IntN(len(watched))], os.Geteuid() == 0 && noUnshare == nil && i%2 == 1
		delay := time.Duration(rng.Int64N(int64(span) * 3 / 2))
		os.Remove(marker)
		cmd, target, stderr := startShim(t, asInit, env, args...)
		for deadline := time.Now().Add(5 * time.Second); asInit && time.Now().Before(deadline) && !hasHandler(target, sig); {
		}
		time.Sleep(delay)
		exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", target))
		syscall.Kill(target, sig)
		cmd.Wait()
		ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
		_, err := os.Stat(marker)
		ran, outcome := err == nil, ""
		switch {
		case !asInit && ws.Signaled() && ws.Signal() == sig:
			outcome = "death by the signal"
		case ws.ExitStatus() == 2 && (asInit || sig == syscall.SIGQUIT): // Go's own handler, in shim or the command
			outcome = "status 2 from Go's runtime"
		case asInit && ws.ExitStatus() == 128+int(sig) && stderr.String() == "shim: stopped by "+unix.SignalName(sig)+"\n" && !ran:
			outcome = "shim stopped"
		case asInit && ran && ws.ExitStatus() == 0 && (exe == probePath || exe == shimPath):
			// Sent while execve was under way (the exe link changes late in
			// it): pending for the command, which as PID 1 drops it (README).
			outcome = "dropped at or after execve"
		default:
			t.Fatalf("run %d (%s after %v to %s, PID 1: %v): %v, stderr %q, the command ran: %v: the signal was lost", i, unix.SignalName(sig), delay, exe, asInit, cmd.ProcessState, stderr.String(), ran)
		}
		outcomes[fmt.Sprintf("%s (PID 1 %v, command ran %v)", outcome, asInit, ran)]++
	}
	t.Logf("outcomes: %v", outcomes)
}

// sigMask reads a signal mask field of /proc/PID/status.
func sigMask(status, name string) uint64 {
	n, _ := strconv.ParseUint(statusField(status, name), 16, 64)
	return n
}

func hasHandler(pid int, sig syscall.Signal) bool {
	status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	return sigMask(string(status), "SigCgt")&(1<<(sig-1)) != 0
}

// TestProcessState: the command inherits the parent's signal mask and
// ignored signals, except what Go's runtime resets before shim runs: it
// unblocks HUP, INT, QUIT and TERM, and keeps SIG_IGN only for HUP and INT.
func TestProcessState(t *testing.T) {
	skipIfEmulated(t, "qemu-user keeps its own signal mask and dispositions")
	state := func(via ...string) string {
		args := append([]string{"TERM,INT,USR1", "HUP,INT,PIPE,USR2"}, via...)
		res := run{path: filepath.Join(binDir, "launch"), args: append(args, "/bin/cat", "/proc/self/status")}.do(t)
		if res.code != 0 {
			t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
		}
		return res.stdout
	}
	bits := func(sigs ...syscall.Signal) (b uint64) {
		for _, s := range sigs {
			b |= 1 << (s - 1)
		}
		return b
	}
	direct, shimmed := state(), state(shimPath)
	for _, tc := range []struct {
		field           string
		direct, shimmed uint64
	}{
		{"SigBlk", bits(syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR1), bits(syscall.SIGUSR1)},
		{"SigIgn", bits(syscall.SIGHUP, syscall.SIGINT, syscall.SIGPIPE, syscall.SIGUSR2), bits(syscall.SIGHUP, syscall.SIGINT)},
	} {
		if d, s := sigMask(direct, tc.field), sigMask(shimmed, tc.field); d != tc.direct || s != tc.shimmed {
			t.Errorf("%s: %x directly, %x under shim; want %x, %x", tc.field, d, s, tc.direct, tc.shimmed)
		}
	}
}

// recordingFiles is fakeFiles that remembers every file it was asked to read.
type recordingFiles struct {
	fakeFiles
	opened *[]string
}

func (r recordingFiles) read(p string, limit int, regularOnly bool) ([]byte, error) {
	*r.opened = append(*r.opened, p)
	return r.fakeFiles.read(p, limit, regularOnly)
}

// hostileRun makes a random run of what a careless operator or an attacker
// writes: _FILE and FILE__ chains, URL parts, secrets directories, a template,
// bad values, hostile names, files over the limit; every file holds a sentinel.
func hostileRun(rng *rand.Rand, root string) ([]string, []string, fakeFiles, shimSettings) {
	names := []string{"PW", "X", "X_FILE", "DATABASE_PARAMS", "DATABASE_SCHEME", "DATABASE_PORT", "PGHOST", "PGUSER", "POSTGRES_PASSWORD",
		"REDIS_SCHEME", "REDIS_PORT", "REDIS_HOST", "REDIS_DB", "DATABASE_HOST", "A\nB", "A\u202eB", "SSL_CERT"}
	contents := []string{"", "\n", "x", "5432", "redis", "db", "sslmode=require", "a%zz", "/run/x", "a,b", "\x00", "tcp://10.0.0.1:5432", strings.Repeat("y", 300)}
	files := fakeFiles{root + "/s": dirFile}
	// Most contents look like a path; some are valid URL parts as they are.
	content := func() string {
		end := []string{"", "\n", "\r\n\n", "\x00"}[rng.IntN(4)]
		if rng.IntN(3) == 0 {
			return []string{sentinel, sentinel + "=1", numericSentinel}[rng.IntN(3)] + end
		}
		return contents[rng.IntN(len(contents))] + sentinel + "/etc/passwd" + end
	}
	var env []string
	for range 1 + rng.IntN(8) {
		name := names[rng.IntN(len(names))]
		p := fmt.Sprintf("%s/f/%d", root, rng.IntN(6))
		switch rng.IntN(6) {
		case 0:
			env = append(env, name+"="+contents[rng.IntN(len(contents))])
		case 1:
			files[root+"/s/"+strings.ToLower(name)] = content()
		case 2:
			env = append(env, name+"_FILE_FILE="+p)
			files[p] = content()
		case 3:
			env = append(env, "FILE__"+name+"="+p)
			files[p] = content()
		default:
			env = append(env, name+"_FILE="+p)
			if rng.IntN(4) > 0 {
				files[p] = content()
			}
		}
	}
	s := defaultSettings()
	if rng.IntN(2) == 0 {
		s.Secrets.Dir = []string{root + "/s"}
	}
	if rng.IntN(3) == 0 {
		s.Require = []string{names[rng.IntN(len(names))]}
	}
	if rng.IntN(2) == 0 { // a template of the names, filled in memory
		s.Render, files[root+"/t"] = []string{"CONF=" + root + "/t"}, fmt.Sprintf("a ${%s}\nb ${PW:-d}\n", names[rng.IntN(len(names))])
	}
	args := []string{"cmd", "${" + names[rng.IntN(len(names))] + "}", "${PW:-d}"}
	return env, args, files, s
}

// TestHostileRuns: no line shows a file's content or a raw control or bidi
// character, no path read from a file is opened, and the environment's order
// changes only the result's order. The first runs go through the binary too.
func TestHostileRuns(t *testing.T) {
	dir := t.TempDir()
	for seed := range runs(3000) {
		root := fmt.Sprintf("%s/%d", dir, seed)
		env, args, files, s := hostileRun(rand.New(rand.NewPCG(seed, 2)), root)
		reversed := newEnv(env).list() // with duplicate names the first wins, by design: keep the first
		slices.Reverse(reversed)
		var opened, outcomes []string
		for _, run := range []struct {
			env []string
			all bool
		}{{env, false}, {env, true}, {reversed, true}} {
			req := request{environ: run.env, args: args, Rules: s.Rules, entryLimit: 256, report: true, allProblems: run.all}
			if s.Render != nil {
				req.render = templates{items: s.Render, read: recordingFiles{files, &opened}.read, handOn: handOnAt("/dev/fd/9"), entryLimit: 256}.render
			}
			got, err := resolve(req, recordingFiles{files, &opened})
			out := strings.Join(append(got.report, messages(err)), "\n")
			if strings.Contains(out, sentinel) || strings.Contains(out, numericSentinel) {
				t.Fatalf("seed %d: env %q: output shows a secret:\n%s", seed, run.env, out)
			}
			if slices.ContainsFunc(opened, func(p string) bool { return strings.Contains(p, sentinel) }) {
				t.Fatalf("seed %d: env %q: opened %q, a path that came from a file", seed, run.env, opened)
			}
			if strings.ContainsAny(out, "\r\x00\u202e") { // names are quoted, controls escaped
				t.Fatalf("seed %d: a control or bidi character in a line: %q", seed, out)
			}
			lines := slices.Concat(got.env, strings.Split(messages(err), "\n"))
			slices.Sort(lines)
			outcomes = append(outcomes, strings.Join(lines, "\n"))
		}
		if outcomes[1] != outcomes[2] {
			t.Fatalf("seed %d: env %q\nin order:\n%s\nreversed, duplicates dropped:\n%s", seed, env, outcomes[1], outcomes[2])
		}
		if seed >= runs(60) {
			continue
		}
		os.MkdirAll(root+"/f", 0o755)
		os.MkdirAll(root+"/s", 0o755)
		for p, content := range files {
			if content != dirFile {
				os.WriteFile(p, []byte(content), 0o600)
			}
		}
		env = slices.DeleteFunc(env, func(kv string) bool { return strings.Contains(kv, "\x00") }) // no environment holds one
		if len(s.Secrets.Dir) > 0 {
			env = append(env, "SHIM_SECRETS_DIR="+root+"/s")
		}
		// Hosts, and a port and a database number from files at the end, so
		// that URL parts from files reach a URL in most runs.
		os.WriteFile(root+"/port", []byte(numericSentinel+"\n"), 0o600)
		env = append(env, "PGHOST=db", "REDIS_HOST=cache", "PGPORT_FILE="+root+"/port", "REDIS_DB_FILE="+root+"/port")
		if s.Render != nil {
			env = append(env, "SHIM_RENDER="+s.Render[0])
		}
		if len(s.Require) > 0 {
			env = append(env, "SHIM_REQUIRE="+strings.ReplaceAll(s.Require[0], "\n", ""))
		}
		for _, mode := range [][]string{{"--check"}, {}} {
			for _, verbose := range []string{"SHIM_VERBOSE=true", "SHIM_VERBOSE=false"} {
				res := run{args: append(slices.Clone(mode), append([]string{"/nonexistent/cmd"}, args[1:]...)...), env: append(slices.Clone(env), verbose)}.do(t)
				if out := res.stdout + res.stderr; strings.Contains(out, numericSentinel) {
					t.Fatalf("seed %d: output shows a secret:\n%s", seed, out)
				}
			}
		}
	}
}
