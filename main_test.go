//go:build linux

package main

// End-to-end tests of the real binary. The test binary is the binary: run
// under the name shim it is shim's main, under the name probe it reports
// the process it finds itself in, and under the name launch it sets up a
// parent's signal state before it execs the rest of its arguments. So `go
// test` needs no second build, and every test below starts real processes
// with real files.

import (
	"bufio"
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
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

var (
	binDir    string // holds shim and probe, readable by every user
	shimPath  string
	probePath string
	coverDir  string // GOCOVERDIR for the children of a test binary built with -cover
)

func TestMain(m *testing.M) {
	switch filepath.Base(os.Args[0]) {
	case "shim":
		main()
	case "probe":
		probe(os.Args[1:])
	case "launch":
		launch(os.Args[1:])
	}
	// The tests start shim as a container runtime would, with the default
	// action for every watched signal. Run under nohup or as a background
	// job, the test would hand its children SIGHUP, SIGINT or SIGQUIT
	// ignored, which shim rightly leaves unwatched, and the tests that send
	// those would wait for ever.
	for _, sig := range watched {
		if signal.Ignored(sig) {
			signal.Notify(make(chan os.Signal, 1), sig) // execve resets a handled signal to its default
		}
	}
	code := 1
	if err := installBinaries(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(binDir)
	os.Exit(code)
}

// installBinaries copies the test binary into a directory every user may
// read, as shim, with probe and launch as links to it. Built with -cover,
// every child would print "warning: GOCOVERDIR not set" into the outputs
// the tests compare: the children get a GOCOVERDIR every user may write,
// which the probe leaves out of its report.
func installBinaries() error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if binDir, err = os.MkdirTemp("", "shim-test-"); err != nil {
		return err
	}
	shimPath, probePath = filepath.Join(binDir, "shim"), filepath.Join(binDir, "probe")
	if err := os.Chmod(binDir, 0o755); err != nil {
		return err
	}
	if testing.CoverMode() != "" {
		coverDir = filepath.Join(binDir, "cover")
		if err := os.Mkdir(coverDir, 0o1777); err != nil {
			return err
		}
		os.Chmod(coverDir, 0o1777)
	}
	data, err := os.ReadFile(self)
	if err == nil {
		err = os.WriteFile(shimPath, data, 0o755)
	}
	for _, name := range []string{"probe", "launch"} {
		if err == nil {
			err = os.Link(shimPath, filepath.Join(binDir, name))
		}
	}
	return err
}

// withCover adds the children's GOCOVERDIR to env, when there is one.
func withCover(env []string) []string {
	if coverDir == "" {
		return env
	}
	return append(env, "GOCOVERDIR="+coverDir)
}

// probe reports its process, one item a line, then does what its arguments
// say: exit N, touch FILE, kill (itself with SIGTERM), sleep MS, fds FILE.
func probe(args []string) {
	groups, _ := os.Getgroups()
	fmt.Printf("pid %d\nuid %d\ngid %d\ngroups %v\n", os.Getpid(), os.Getuid(), os.Getgid(), groups)
	for _, a := range os.Args {
		fmt.Printf("arg %q\n", a)
	}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOCOVERDIR=") {
			fmt.Printf("env %q\n", kv)
		}
	}
	for ; len(args) > 0; args = args[1:] {
		switch args[0] {
		case "exit":
			code, _ := strconv.Atoi(args[1])
			os.Exit(code)
		case "touch":
			os.WriteFile(args[1], nil, 0o644)
			args = args[1:]
		case "sleep":
			ms, _ := strconv.Atoi(args[1])
			time.Sleep(time.Duration(ms) * time.Millisecond)
			args = args[1:]
		case "fds": // write where fds 0-2 lead to FILE
			var b strings.Builder
			for fd := range 3 {
				link, _ := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd))
				b.WriteString(link + "\n")
			}
			os.WriteFile(args[1], []byte(b.String()), 0o644)
			args = args[1:]
		case "kill":
			syscall.Kill(os.Getpid(), syscall.SIGTERM)
			select {}
		}
	}
	os.Exit(0)
}

// launch blocks and ignores the signals it is given, as a parent process
// may, then execs the rest: launch BLOCK,... IGNORE,... command args...
func launch(args []string) {
	signals := func(list string) []os.Signal {
		var out []os.Signal
		for _, name := range strings.Split(list, ",") {
			if name != "" {
				out = append(out, unix.SignalNum("SIG"+name))
			}
		}
		return out
	}
	runtime.LockOSThread()
	var set unix.Sigset_t
	bits := uint(unsafe.Sizeof(set.Val[0])) * 8
	for _, sig := range signals(args[0]) {
		n := uint(sig.(syscall.Signal)) - 1
		set.Val[n/bits] |= 1 << (n % bits)
	}
	if err := unix.PthreadSigmask(unix.SIG_BLOCK, &set, nil); err != nil {
		panic(err)
	}
	signal.Ignore(signals(args[1])...)
	err := unix.Exec(args[2], args[2:], os.Environ())
	panic(err)
}

// run describes one start of shim.
type run struct {
	args    []string
	env     []string // added to a minimal PATH
	rawEnv  []string // passed as is, duplicates included, instead of PATH and env
	uid     int      // run as this uid (and gid) when non-zero; needs root
	groups  []uint32 // supplementary groups to start with, when set; needs root
	chroot  string   // run in this root, where shim is /shim
	signal  syscall.Signal
	path    string        // the program to start instead of shim: launch, say
	stdout  *os.File      // instead of a pipe the run's stdout is read from
	stderr  *os.File      // instead of a pipe the run's stderr is read from
	blocked func(pid int) // called once shim blocks on a FIFO, before the signal
}

type result struct {
	code           int
	stdout, stderr string
	state          *os.ProcessState
	pid            int
}

// do starts the run in its own process group with os.StartProcess, which,
// unlike exec.Cmd, passes duplicate names on as they are. It sends the
// signal once shim blocks on a FIFO, and checks that the run ends within
// 20 seconds, that nothing of the group is left afterwards and that shim's
// own words carry no secret.
func (r run) do(t *testing.T) result {
	t.Helper()
	path, env := shimPath, append([]string{"PATH=" + binDir + ":/usr/bin:/bin"}, r.env...)
	if r.chroot != "" {
		path, env[0] = "/shim", "PATH=/"
	}
	if r.path != "" {
		path = r.path
	}
	if r.rawEnv != nil {
		env = r.rawEnv
	}
	if coverDir != "" && r.chroot != "" {
		os.Mkdir(filepath.Join(r.chroot, "cover"), 0o1777)
		os.Chmod(filepath.Join(r.chroot, "cover"), 0o1777)
		env = append(slices.Clip(env), "GOCOVERDIR=/cover")
	} else {
		env = withCover(slices.Clip(env))
	}
	sys := &syscall.SysProcAttr{Chroot: r.chroot, Setpgid: true}
	if r.uid != 0 || r.groups != nil {
		sys.Credential = &syscall.Credential{Uid: uint32(r.uid), Gid: uint32(r.uid), Groups: r.groups, NoSetGroups: r.groups == nil}
	}
	outR, outW, _ := os.Pipe()
	errR, errW, _ := os.Pipe()
	// As a container runtime does: without a standard input, Go's runtime
	// opens /dev/null, which a scratch root does not have.
	stdin, _ := os.Open(os.DevNull)
	defer stdin.Close()
	out, errOut := outW, errW
	if r.stdout != nil {
		out = r.stdout
	}
	if r.stderr != nil {
		errOut = r.stderr
	}
	proc, err := os.StartProcess(path, append([]string{filepath.Base(path)}, r.args...), &os.ProcAttr{Env: env, Sys: sys, Files: []*os.File{stdin, out, errOut}})
	outW.Close()
	errW.Close()
	if err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(20*time.Second, func() {
		t.Errorf("the run did not end within 20 seconds")
		syscall.Kill(-proc.Pid, syscall.SIGKILL)
	})
	defer timer.Stop()
	var stdout, stderr bytes.Buffer
	done := make(chan struct{})
	go func() { stdout.ReadFrom(outR); stderr.ReadFrom(errR); close(done) }()
	if r.signal != 0 {
		waitBlocked(t, proc.Pid)
		if r.blocked != nil {
			r.blocked(proc.Pid)
		}
		proc.Signal(r.signal)
	}
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
	// A probe's report of its environment is the command speaking, not shim.
	assertNoSecret(t, "stderr", res.stderr)
	if !strings.HasPrefix(res.stdout, "pid ") {
		assertNoSecret(t, "stdout", res.stdout)
	}
	return res
}

// probeReport is what the probe printed: its PID, credentials, arguments
// and environment.
type probeReport struct {
	pid, uid, gid int
	groups        string
	args, env     []string
}

func parseProbe(t *testing.T, out string) probeReport {
	t.Helper()
	var p probeReport
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		key, value, _ := strings.Cut(sc.Text(), " ")
		switch key {
		case "pid":
			p.pid, _ = strconv.Atoi(value)
		case "uid":
			p.uid, _ = strconv.Atoi(value)
		case "gid":
			p.gid, _ = strconv.Atoi(value)
		case "groups":
			p.groups = value
		case "arg", "env":
			s, err := strconv.Unquote(value)
			if err != nil {
				t.Fatalf("probe line %q: %v", sc.Text(), err)
			}
			if key == "arg" {
				p.args = append(p.args, s)
			} else {
				p.env = append(p.env, s)
			}
		}
	}
	if p.pid == 0 {
		t.Fatalf("no probe report in %q", out)
	}
	return p
}

func (p probeReport) get(name string) (string, bool) {
	for _, kv := range p.env {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			return v, true
		}
	}
	return "", false
}

// requireStatic skips tests that need the binary as shim ships: static,
// without the race detector's runtime.
func requireStatic(t *testing.T) {
	t.Helper()
	f, err := elf.Open(shimPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Skip("the test binary is not static (built with -race?)")
		}
	}
}

// kernelArch is the kernel's architecture as GOARCH names it. Not uname:
// qemu-user answers uname with the guest's machine; /proc/sys/kernel/arch
// (Linux 6.1 on) is the kernel's own word, which qemu-user passes through.
func kernelArch() string {
	machine, err := os.ReadFile("/proc/sys/kernel/arch")
	if err != nil {
		var u unix.Utsname
		unix.Uname(&u)
		machine = u.Machine[:]
	}
	m := strings.TrimSpace(unix.ByteSliceToString(machine))
	switch {
	case m == "x86_64":
		return "amd64"
	case m == "aarch64" || m == "arm64":
		return "arm64"
	case strings.HasPrefix(m, "arm"):
		return "arm"
	case len(m) == 4 && m[0] == 'i' && strings.HasSuffix(m, "86"):
		return "386"
	}
	return m // ppc64le, s390x, riscv64, mips64, loongarch64 are spelt alike
}

// emulated says whether a binary for goarch runs under emulation on a
// kernel of kernel's architecture: 386 on amd64 and arm on arm64 run
// natively.
func emulated(goarch, kernel string) bool {
	return goarch != kernel && !(goarch == "386" && kernel == "amd64") && !(goarch == "arm" && kernel == "arm64")
}

// skipIfEmulated skips a test that qemu-user cannot reproduce, when the
// test binary's architecture is not the kernel's.
func skipIfEmulated(t *testing.T, why string) {
	t.Helper()
	if k := kernelArch(); emulated(runtime.GOARCH, k) {
		t.Skipf("%s binary on a %s kernel, under emulation: %s", runtime.GOARCH, k, why)
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

// requireRoot skips tests that change credentials; CI runs as root.
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
}

// waitBlocked waits until a thread of the process sleeps in the kernel's
// FIFO open (wait_for_partner), so the signal arrives while shim resolves,
// not before it started.
func waitBlocked(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/wchan", pid))
		for _, task := range tasks {
			if wchan, _ := os.ReadFile(task); string(wchan) == "wait_for_partner" {
				return
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("shim never blocked on the FIFO")
}

func TestExecReplacesShim(t *testing.T) {
	skipIfEmulated(t, reversedEnv)
	dir := t.TempDir()
	secret := writeSecret(t, dir, "pw", "p/+=@:% x"+sentinel+"\n", 0o600)
	res := run{
		args: []string{"probe", "--help", "${POSTGRES_PASSWORD}"},
		env:  []string{"A=1", "POSTGRES_PASSWORD_FILE=" + secret, "B=2", "POSTGRES_HOST=db"},
	}.do(t)
	if res.code != 0 || res.stderr != "" {
		t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
	}
	p := parseProbe(t, res.stdout)
	if p.pid != res.pid {
		t.Errorf("probe ran as PID %d, shim was PID %d: shim did not exec in place", p.pid, res.pid)
	}
	wantEnv := []string{"PATH=" + binDir + ":/usr/bin:/bin", "A=1", "POSTGRES_PASSWORD=p/+=@:% x" + sentinel, "B=2", "POSTGRES_HOST=db",
		"DATABASE_URL=postgresql://:p%2F%2B%3D%40%3A%25%20x" + sentinel + "@db:5432"}
	if !slices.Equal(p.env, wantEnv) {
		t.Errorf("environment\n got: %q\nwant: %q", p.env, wantEnv)
	}
	// After the command, --help belongs to the command.
	if want := []string{"probe", "--help", "p/+=@:% x" + sentinel}; !slices.Equal(p.args, want) {
		t.Errorf("arguments\n got: %q\nwant: %q", p.args, want)
	}
	killed := run{args: []string{"probe", "kill"}}.do(t)
	if ws := killed.state.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Errorf("status %v, want death by SIGTERM, as the command died", killed.state)
	}
}

// TestCheckAndVerbose: --check reports every step and every problem and
// runs nothing; SHIM_VERBOSE prints exactly the same lines on stderr.
func TestCheckAndVerbose(t *testing.T) {
	skipIfEmulated(t, reversedEnv)
	dir := t.TempDir()
	secret := writeSecret(t, dir, "pw", sentinel, 0o600)
	marker := filepath.Join(dir, "ran")
	env := []string{"PW_FILE=" + secret, "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt", "PGHOST=db"}
	args := []string{"probe", "touch", marker, "${PW}"}
	check := run{args: append([]string{"--check"}, args...), env: env}.do(t)
	want := "skip SSL_CERT_FILE: a path other tools read (built-in list)\n" +
		"set PW from " + secret + " (8 bytes)\n" +
		"set DATABASE_URL=postgresql://db:5432 (assembled, no password)\n" +
		"expand PW from argument 3\n" +
		"exec " + probePath + "\n"
	if check.code != 0 || check.stdout != want || check.stderr != "" {
		t.Errorf("--check: exit %d, stderr %q, report\n got: %q\nwant: %q", check.code, check.stderr, check.stdout, want)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("--check ran the command")
	}
	verbose := run{args: args, env: append(env, "SHIM_VERBOSE=true")}.do(t)
	var wantVerbose strings.Builder
	for _, line := range strings.SplitAfter(strings.TrimSuffix(want, "\n"), "\n") {
		wantVerbose.WriteString("shim: " + line)
	}
	if verbose.code != 0 || verbose.stderr != wantVerbose.String()+"\n" {
		t.Errorf("SHIM_VERBOSE: exit %d, stderr\n got: %q\nwant: %q", verbose.code, verbose.stderr, wantVerbose.String()+"\n")
	}
	if _, err := os.Stat(marker); err != nil {
		t.Error("SHIM_VERBOSE did not run the command")
	}
}

// TestCheckReportsEveryProblem: a dry run is where every problem is wanted
// at once; a real run stops at the first.
func TestCheckReportsEveryProblem(t *testing.T) {
	skipIfEmulated(t, reversedEnv)
	dir := t.TempDir()
	env := []string{"A_FILE=" + dir + "/a", "B_FILE=" + dir + "/b", "SHIM_REQUIRE=DATABSE_URL", "PGHOST=db", "REDIS_HOST=cache", "REDIS_PORT=http"}
	notMounted := "shim: hint: the secret is probably not mounted: compare the service's secrets: list (Compose, Swarm) or the volume's items (Kubernetes) with what the container has (ls -la " + dir + " in it)\n"
	problems := "shim: A_FILE: open " + dir + "/a: no such file or directory\n" + notMounted +
		"shim: hint: if A_FILE holds a path for the program to open itself, add it to SHIM_SKIP\n" +
		"shim: B_FILE: open " + dir + "/b: no such file or directory\n" + notMounted +
		"shim: hint: if B_FILE holds a path for the program to open itself, add it to SHIM_SKIP\n" +
		"shim: REDIS_PORT: not a port number (1-65535)\n" +
		"shim: hint: set REDIS_URL yourself, or SHIM_REDIS_URL=false to leave it unset\n" +
		"shim: DATABSE_URL is required (SHIM_REQUIRE) but not set\n" +
		"shim: hint: did you mean DATABASE_URL, which is set?\n" +
		"shim: exec no-such-command: not found in PATH\n"
	check := run{args: []string{"--check", "no-such-command"}, env: env}.do(t)
	if check.code != 125 || check.stderr != problems || check.stdout != "set DATABASE_URL=postgresql://db:5432 (assembled, no password)\n" {
		t.Errorf("--check: exit %d, stdout %q, stderr\n got: %q\nwant: %q", check.code, check.stdout, check.stderr, problems)
	}
	first := strings.Join(strings.SplitAfter(problems, "\n")[:3], "")
	if res := (run{args: []string{"no-such-command"}, env: env}).do(t); res.code != 125 || res.stderr != first {
		t.Errorf("run: exit %d, stderr\n got: %q\nwant: %q", res.code, res.stderr, first)
	}
}

func TestTooLargeForExec(t *testing.T) {
	dir := t.TempDir()
	// Enough 100 kB secrets to pass ARG_MAX, each within the one-variable limit.
	chunk := strings.Repeat("x", 100000)
	n := argMax()/len(chunk) + 2
	env := []string{}
	final := []string{"PATH=" + binDir + ":/usr/bin:/bin"}
	for i := range n {
		p := writeSecret(t, dir, strconv.Itoa(i), chunk, 0o600)
		env = append(env, fmt.Sprintf("S%d_FILE=%s", i, p))
		final = append(final, fmt.Sprintf("S%d=%s", i, chunk))
	}
	total := len(probePath) + 1 + strconv.IntSize/8*(1+len(final)) + len("probe") + 1
	for _, kv := range final {
		total += len(kv) + 1
	}
	res := run{args: []string{"probe"}, env: env}.do(t)
	want := fmt.Sprintf("shim: the command's arguments and environment take %d bytes, over the kernel's limit of %d (ARG_MAX)\n"+
		"shim: hint: fewer or smaller secrets as variables; a program that can read a file is better given the path (SHIM_SKIP)\n", total, argMax())
	if res.code != 125 || res.stderr != want {
		t.Errorf("exit %d, stderr\n got: %q\nwant: %q", res.code, res.stderr, want)
	}
}

// TestOutput: what shim prints arrives whole or the status says so (125),
// and a broken pipe never kills shim with SIGPIPE (141). An error message
// that cannot be written keeps the error's own status.
func TestOutput(t *testing.T) {
	const broken = "shim: writing the output: broken pipe\n"
	marker := filepath.Join(t.TempDir(), "ran")
	for _, tc := range []struct {
		args, env        []string
		breakFD          int // 1 or 2: a pipe whose reader is gone
		wantCode         int
		wantOut, wantErr string
	}{
		{args: []string{"--help"}, wantOut: usage},
		{args: []string{"-h"}, wantOut: usage},
		// The test binary carries no VCS stamp and no -X version: devel.
		{args: []string{"--version"}, wantOut: "shim devel\n"},
		{args: []string{"--help"}, breakFD: 1, wantCode: 125, wantErr: broken},
		{args: []string{"--version"}, breakFD: 1, wantCode: 125, wantErr: broken},
		{args: []string{"--check", "probe"}, breakFD: 1, wantCode: 125, wantErr: broken},
		{args: []string{"probe", "touch", marker}, env: []string{"SHIM_VERBOSE=true"}, breakFD: 2, wantCode: 125},
		{args: []string{"no-such-command"}, breakFD: 2, wantCode: 127},
		{args: []string{"--check", "no-such-command"}, breakFD: 2, wantCode: 127},
	} {
		r := run{args: tc.args, env: tc.env}
		if tc.breakFD != 0 {
			pr, pw, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			pr.Close()
			defer pw.Close()
			r.stdout, r.stderr = map[int]*os.File{1: pw}[tc.breakFD], map[int]*os.File{2: pw}[tc.breakFD]
		}
		res := r.do(t)
		if ws := res.state.Sys().(syscall.WaitStatus); ws.Signaled() || res.code != tc.wantCode || res.stdout != tc.wantOut || res.stderr != tc.wantErr {
			t.Errorf("shim %q with fd %d broken: %v, stdout %q, stderr %q; want %d, %q, %q", tc.args, tc.breakFD, res.state, res.stdout, res.stderr, tc.wantCode, tc.wantOut, tc.wantErr)
		}
		if _, err := os.Stat(marker); err == nil {
			t.Fatalf("shim %q: the command ran", tc.args)
		}
	}
}

// TestClosedStandardDescriptors pins what Go's runtime does before main: a
// closed fd 0, 1 or 2 is opened as /dev/null, so the command inherits
// /dev/null there and a write to a closed descriptor is no error shim sees.
func TestClosedStandardDescriptors(t *testing.T) {
	out := filepath.Join(t.TempDir(), "fds")
	proc, err := os.StartProcess(shimPath, []string{"shim", "probe", "fds", out}, &os.ProcAttr{Env: withCover([]string{"PATH=" + binDir})})
	if err != nil {
		t.Fatal(err)
	}
	state, _ := proc.Wait()
	got, _ := os.ReadFile(out)
	if want := "/dev/null\n/dev/null\n/dev/null\n"; state.ExitCode() != 0 || string(got) != want {
		t.Errorf("%v, the command's fds 0-2: %q, want %q", state, got, want)
	}
}

func TestThousandSecrets(t *testing.T) {
	dir := t.TempDir()
	var env []string
	for i := range 1000 {
		p := writeSecret(t, dir, fmt.Sprintf("s%d", i), fmt.Sprintf("%s-%d\n", sentinel, i), 0o600)
		env = append(env, fmt.Sprintf("SECRET_%d_FILE=%s", i, p))
	}
	res := run{args: []string{"probe"}, env: env}.do(t)
	p := parseProbe(t, res.stdout)
	if res.code != 0 || len(p.env) != 1001 {
		t.Fatalf("exit %d, %d variables reached the command, want 1001", res.code, len(p.env))
	}
	for i := range 1000 {
		if v, _ := p.get(fmt.Sprintf("SECRET_%d", i)); v != fmt.Sprintf("%s-%d", sentinel, i) {
			t.Fatalf("SECRET_%d = %q", i, v)
		}
	}
}

// TestSettings keeps the hand-written help in step with the settings
// struct, every key with its default, and the defaults used when no SHIM_*
// variable is set with what envconfig gives.
func TestSettings(t *testing.T) {
	var b bytes.Buffer
	format := `{{range .}}{{.Key}}={{.Tags.Get "default"}}{{"\n"}}{{end}}`
	if err := envconfig.Usagef("shim", &settings{}, &b, format); err != nil {
		t.Fatal(err)
	}
	if keys := strings.Fields(b.String()); len(keys) != 11 {
		t.Errorf("%d settings found, want 11", len(keys))
	} else {
		for _, key := range keys {
			if !strings.Contains(usage, "\n  "+key+" ") {
				t.Errorf("--help does not list %s", key)
			}
		}
	}
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "SHIM_") {
			t.Setenv(name, "")
			os.Unsetenv(name)
		}
	}
	var processed settings
	if err := envconfig.Process("shim", &processed); err != nil {
		t.Fatal(err)
	}
	if got := defaultSettings(); fmt.Sprint(got) != fmt.Sprint(processed) {
		t.Errorf("defaultSettings() = %+v, envconfig gives %+v", got, processed)
	}
	t.Setenv("SHIM_SECRETS_DIR", "/a, /b,")
	t.Setenv("SHIM_DATABASE_URL", "false")
	t.Setenv("SHIM_EXPAND_ARGS", "false")
	t.Setenv("DATABASE_URL", "true") // never read as SHIM_DATABASE_URL
	s, err := loadSettings(os.Environ())
	if err != nil || !slices.Equal(s.Secrets.Dir, []string{"/a", "/b"}) || s.Database.URL || !s.Redis.URL || s.Expand.Args {
		t.Errorf("got %+v, %v", s, err)
	}
}

// asPID1 starts shim with args and env as PID 1 of a new PID namespace and
// returns unshare's command, shim's PID and its stderr.
func asPID1(t *testing.T, env []string, args ...string) (*exec.Cmd, int, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(requirePIDNamespace(t), append([]string{"--pid", "--fork", shimPath}, args...)...)
	cmd.Env = withCover(append([]string{"PATH=" + binDir + ":/usr/bin:/bin"}, env...))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	return cmd, unshareChild(t, cmd), &stderr
}

// unshareChild waits for the PID of the child unshare --fork starts (PID 1
// of its namespace), and kills unshare if none comes.
func unshareChild(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	child := 0
	for deadline := time.Now().Add(5 * time.Second); child == 0 && time.Now().Before(deadline); {
		children, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", cmd.Process.Pid, cmd.Process.Pid))
		fmt.Sscan(string(children), &child)
	}
	if child == 0 {
		cmd.Process.Kill()
		t.Fatal("unshare started no child")
	}
	return child
}

// requirePIDNamespace skips where shim cannot be made PID 1 of a new PID
// namespace, and returns unshare(1), which makes it so.
func requirePIDNamespace(t *testing.T) string {
	t.Helper()
	skipIfEmulated(t, "qemu-user emulates signal delivery to the guest")
	requireRoot(t)
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("no unshare")
	}
	return unshare
}

// sigField reads a hexadecimal field of /proc/PID/status.
func sigField(pid int, name string) uint64 {
	status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, name+":\t"); ok {
			n, _ := strconv.ParseUint(v, 16, 64)
			return n
		}
	}
	return 0
}

// TestSignalWhileResolving: a secret that blocks (a FIFO whose writer never
// comes) leaves no unstoppable shim. Outside PID 1 shim has no handler, and
// the kernel's default action ends it, except SIGQUIT, which Go's runtime
// turns into a goroutine dump and status 2. As PID 1, where the kernel
// drops a signal without a handler, shim says which signal and exits
// 128+n. Blocked there, shim runs no more threads than as PID 1, which
// alone watches signals.
func TestSignalWhileResolving(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fi\nfo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	threads := func(pid int) int { tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid)); return len(tasks) }
	for _, sig := range watched {
		name := unix.SignalName(sig)
		t.Run(name, func(t *testing.T) {
			var outside int
			got := run{args: []string{"probe"}, env: []string{"PW_FILE=" + fifo}, signal: sig, blocked: func(pid int) { outside = threads(pid) }}.do(t)
			ws := got.state.Sys().(syscall.WaitStatus)
			switch {
			case sig == syscall.SIGQUIT && got.code == 2 && strings.HasPrefix(got.stderr, "SIGQUIT: quit\n"):
			case !ws.Signaled() || ws.Signal() != sig || got.stderr != "":
				t.Errorf("outside PID 1: %v, stderr %q; want death by %s", got.state, got.stderr, name)
			}
			cmd, shim, stderr := asPID1(t, []string{"PW_FILE=" + fifo}, "probe")
			waitBlocked(t, shim)
			asInit := threads(shim)
			syscall.Kill(shim, sig)
			cmd.Wait()
			if code, want := cmd.ProcessState.ExitCode(), "shim: stopped by "+name+"\n"; code != 128+int(sig) || stderr.String() != want {
				t.Errorf("as PID 1: exit %d, stderr %q; want %d, %q", code, stderr.String(), 128+int(sig), want)
			}
			if outside > asInit {
				t.Errorf("blocked outside PID 1, shim runs %d threads; as PID 1, %d", outside, asInit)
			}
			t.Logf("threads of a blocked shim: %d outside PID 1, %d as PID 1", outside, asInit)
		})
	}
}

// TestSignalAtAnyMoment sends a watched signal at generated moments from
// shim's start to past its execve, outside PID 1 and as PID 1, and none is
// lost: outside PID 1 the parent sees death by it (shim's or the
// command's; SIGQUIT: Go's dump and status 2); as PID 1, once Go's runtime
// has its handlers, shim's 128+n and its message before the command
// started, or status 2: Go's runtime in the last microseconds before
// execve (documented), or the command, a Go program as PID 1, that got it.
// A lost signal shows as the command finishing its sleep with status 0,
// allowed as PID 1 only when the signal came as shim's execve completed:
// it reaches the new image before the command has a handler, and the
// kernel drops it (shim cannot block it there: the command would inherit
// the mask).
func TestSignalAtAnyMoment(t *testing.T) {
	skipIfEmulated(t, "qemu-user emulates signal delivery to the guest")
	requireStatic(t) // with cgo (the race detector), Go cannot mask every thread
	dir := t.TempDir()
	for i := range 200 {
		writeSecret(t, dir, fmt.Sprintf("s%d", i), sentinel, 0o600)
	}
	marker := filepath.Join(t.TempDir(), "ran")
	env := []string{"SHIM_SECRETS_DIR=" + dir}
	args := []string{"probe", "touch", marker, "sleep", "1500"}
	start := time.Now()
	run{args: []string{"true"}, env: env}.do(t)
	span := time.Since(start) + time.Millisecond
	pid1 := os.Geteuid() == 0
	if _, err := exec.LookPath("unshare"); err != nil {
		pid1 = false
	}
	outcomes := map[string]int{}
	for i := range runs(60) {
		rng := rand.New(rand.NewPCG(i, 18))
		sig, asInit := watched[rng.IntN(len(watched))], pid1 && i%2 == 1
		delay := time.Duration(rng.Int64N(int64(span) * 3 / 2))
		os.Remove(marker)
		var cmd *exec.Cmd
		var stderr *bytes.Buffer
		target := 0
		if asInit {
			cmd, target, stderr = asPID1(t, env, args...)
			for deadline := time.Now().Add(5 * time.Second); sigField(target, "SigCgt")&(1<<(sig-1)) == 0 && time.Now().Before(deadline); {
			}
		} else {
			cmd, stderr = exec.Command(shimPath, args...), &bytes.Buffer{}
			cmd.Env, cmd.Stderr = withCover([]string{"PATH=" + binDir, env[0]}), stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			target = cmd.Process.Pid
		}
		time.Sleep(delay)
		exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", target))
		syscall.Kill(target, sig)
		exeAfter, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", target))
		cmd.Wait()
		ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
		_, err := os.Stat(marker)
		ran, outcome := err == nil, ""
		switch {
		case !asInit && ws.Signaled() && ws.Signal() == sig:
			outcome = "death by the signal"
		case ws.ExitStatus() == 2 && (asInit || sig == syscall.SIGQUIT):
			outcome = "status 2 from Go's runtime"
		case asInit && exe == probePath && ran:
			outcome = "sent to the command as PID 1, which had started" // its own start-up's window
		case asInit && exe == shimPath && exeAfter == probePath && ran && ws.ExitStatus() == 0:
			outcome = "sent during execve, dropped by the kernel" // as for any PID 1 that execs
		case asInit && ws.ExitStatus() == 128+int(sig) && stderr.String() == "shim: stopped by "+unix.SignalName(sig)+"\n" && !ran:
			outcome = "shim stopped"
		default:
			t.Fatalf("run %d (%s after %v to %s, PID 1: %v): %v, stderr %q, the command ran: %v: the signal was lost", i, unix.SignalName(sig), delay, exe, asInit, cmd.ProcessState, stderr.String(), ran)
		}
		outcomes[fmt.Sprintf("%s, PID 1 %v, command ran %v", outcome, asInit, ran)]++
	}
	t.Logf("outcomes: %v", outcomes)
}

// TestProcessState: the command inherits what the parent gave, as far as
// Go's runtime lets shim pass it on. Go unblocks SIGHUP, SIGINT, SIGQUIT
// and SIGTERM in every thread before shim's code runs and cannot tell
// whether the parent blocked them; it keeps an inherited SIG_IGN only for
// SIGHUP and SIGINT. This test pins exactly that, and equal open file
// descriptors.
func TestProcessState(t *testing.T) {
	skipIfEmulated(t, "qemu-user keeps its own signal mask and dispositions")
	cat, ls := "/bin/cat", "/bin/ls"
	launchPath := filepath.Join(binDir, "launch")
	state := func(viaShim bool, command ...string) string {
		args := []string{"TERM,INT,USR1", "HUP,INT,PIPE,USR2"}
		if viaShim {
			args = append(args, shimPath)
		}
		res := run{path: launchPath, args: append(args, command...)}.do(t)
		if res.code != 0 {
			t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
		}
		return res.stdout
	}
	field := func(status, name string) uint64 {
		for _, line := range strings.Split(status, "\n") {
			if v, ok := strings.CutPrefix(line, name+":\t"); ok {
				n, _ := strconv.ParseUint(v, 16, 64)
				return n
			}
		}
		t.Fatalf("no %s in %q", name, status)
		return 0
	}
	bit := func(sigs ...syscall.Signal) uint64 {
		var b uint64
		for _, s := range sigs {
			b |= 1 << (s - 1)
		}
		return b
	}
	direct, shimmed := state(false, cat, "/proc/self/status"), state(true, cat, "/proc/self/status")
	if got, want := field(direct, "SigBlk"), bit(syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR1); got != want {
		t.Fatalf("launch blocks %x, want %x", got, want)
	}
	if got, want := field(shimmed, "SigBlk"), bit(syscall.SIGUSR1); got != want {
		t.Errorf("blocked under shim: %x, want %x (USR1 kept; TERM and INT unblocked by Go's runtime)", got, want)
	}
	if got, want := field(direct, "SigIgn"), bit(syscall.SIGHUP, syscall.SIGINT, syscall.SIGPIPE, syscall.SIGUSR2); got != want {
		t.Fatalf("launch ignores %x, want %x", got, want)
	}
	if got, want := field(shimmed, "SigIgn"), bit(syscall.SIGHUP, syscall.SIGINT); got != want {
		t.Errorf("ignored under shim: %x, want %x (HUP and INT kept; Go's runtime handles the rest)", got, want)
	}
	if d, s := state(false, ls, "-l", "/proc/self/fd"), state(true, ls, "-l", "/proc/self/fd"); fdList(d) != fdList(s) {
		t.Errorf("open descriptors differ:\ndirect:\n%s\nunder shim:\n%s", d, s)
	}
}

// fdList keeps the descriptor numbers and targets of ls -l's lines.
func fdList(ls string) string {
	var fds []string
	for _, line := range strings.Split(ls, "\n") {
		if f := strings.Fields(line); len(f) >= 11 {
			target := f[10]
			if strings.HasPrefix(target, "pipe:") {
				target = "pipe"
			}
			if strings.HasPrefix(target, "/proc/") {
				target = "/proc/PID" + target[strings.Index(target[6:], "/")+6:]
			}
			fds = append(fds, f[8]+"->"+target)
		}
	}
	return strings.Join(fds, " ")
}

// TestNoSecretInAnyOutput is the no-leak property over the real binary:
// generated hostile runs, each with --check, with SHIM_VERBOSE and as a
// plain run, and no output of shim's holds any file's content.
func TestNoSecretInAnyOutput(t *testing.T) {
	for seed := range runs(60) {
		rng := rand.New(rand.NewPCG(seed, 5))
		env, args, files, s := hostileRun(rng)
		dir := t.TempDir()
		root := strings.NewReplacer("/f/", dir+"/f/", "/s", dir+"/s")
		os.MkdirAll(dir+"/f", 0o755)
		os.MkdirAll(dir+"/s", 0o755)
		for p, content := range files {
			if content != dirFile {
				os.WriteFile(root.Replace(p), []byte(content), 0o600)
			}
		}
		for i := range env {
			env[i] = root.Replace(env[i])
		}
		env = slices.DeleteFunc(env, func(kv string) bool { return strings.Contains(kv, "\x00") }) // no environment holds one
		if len(s.Secrets.Dir) > 0 {
			env = append(env, "SHIM_SECRETS_DIR="+dir+"/s")
		}
		// Hosts, and a port and a database number from files at the end, so
		// that URL parts from files reach a URL in most runs.
		os.WriteFile(dir+"/port", []byte(numericSentinel+"\n"), 0o600)
		env = append(env, "PGHOST=db", "REDIS_HOST=cache", "PGPORT_FILE="+dir+"/port", "REDIS_DB_FILE="+dir+"/port")
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

// TestAddressSpaceLimit pins a floor of Go's runtime: it reserves address
// space at start (about 700 MB on amd64, mostly PROT_NONE), so under a lower
// RLIMIT_AS it dies with status 2 before shim's first line. Above the floor
// shim runs as usual.
func TestAddressSpaceLimit(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("the floor is measured on amd64")
	}
	requireStatic(t)
	for _, tc := range []struct {
		kib  int
		want int
	}{{300000, 2}, {1 << 20, 0}} {
		res := run{path: "/bin/sh", args: []string{"-c", fmt.Sprintf("ulimit -v %d && exec %s /bin/true", tc.kib, shimPath)}}.do(t)
		if res.code != tc.want {
			t.Errorf("ulimit -v %d: exit %d, want %d; stderr %q", tc.kib, res.code, tc.want, res.stderr)
		}
	}
}
