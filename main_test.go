package main

// End-to-end tests of the real binary: TestMain builds shim exactly as the
// Dockerfile does (static, -trimpath) and a static probe command that reports
// the process it runs in, and the tests run them with real files.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kelseyhightower/envconfig"
)

var (
	binDir    string // holds shim and probe, readable by every user
	shimPath  string
	probePath string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "shim-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir, shimPath, probePath = dir, filepath.Join(dir, "shim"), filepath.Join(dir, "probe")
	code := 1
	if err := buildBinaries(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

func buildBinaries() error {
	if err := os.Chmod(binDir, 0o755); err != nil {
		return err
	}
	for out, pkg := range map[string]string{shimPath: ".", probePath: "./testdata/probe"} {
		cmd := exec.Command("go", "build", "-trimpath", "-o", out, pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
		}
	}
	return nil
}

// run describes one start of shim.
type run struct {
	args   []string
	env    []string // added to a minimal PATH
	uid    int      // run as this uid (and gid) when non-zero; needs root
	chroot string   // run in this root, where shim is /shim
	setup  func(*exec.Cmd)
}

type result struct {
	code           int
	stdout, stderr string
	state          *os.ProcessState
	pid            int
}

func (r run) cmd() *exec.Cmd {
	path := shimPath
	if r.chroot != "" {
		path = "/shim"
	}
	cmd := &exec.Cmd{Path: path, Args: append([]string{"shim"}, r.args...)}
	cmd.Env = append([]string{"PATH=" + binDir + ":/usr/bin:/bin"}, r.env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: r.chroot}
	if r.chroot != "" {
		cmd.Env[0] = "PATH=/"
	}
	if r.uid != 0 {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(r.uid), Gid: uint32(r.uid)}
	}
	return cmd
}

func (r run) do(t *testing.T) result {
	t.Helper()
	cmd := r.cmd()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if r.setup != nil {
		r.setup(cmd)
	}
	err := cmd.Run()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Fatalf("running shim: %v", err)
	}
	res := result{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String(), state: cmd.ProcessState, pid: cmd.Process.Pid}
	// shim's own words must never carry a secret; a probe's report of its
	// environment is the command speaking, not shim.
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

// writeSecret writes a file in dir and returns its path.
func writeSecret(t *testing.T, dir, name, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExecReplacesShim(t *testing.T) {
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
	if strings.Join(p.env, "\n") != strings.Join(wantEnv, "\n") {
		t.Errorf("environment\n got: %q\nwant: %q", p.env, wantEnv)
	}
	wantArgs := []string{"probe", "--help", "p/+=@:% x" + sentinel}
	if strings.Join(p.args, "\n") != strings.Join(wantArgs, "\n") {
		t.Errorf("arguments\n got: %q\nwant: %q", p.args, wantArgs)
	}
}

func TestKilledCommand(t *testing.T) {
	res := run{args: []string{"probe", "kill"}}.do(t)
	ws := res.state.Sys().(syscall.WaitStatus)
	if !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Errorf("status %v, want death by SIGTERM, as the command died", res.state)
	}
}

func TestCheckRunsNothing(t *testing.T) {
	dir := t.TempDir()
	secret := writeSecret(t, dir, "pw", sentinel, 0o600)
	marker := filepath.Join(dir, "ran")
	res := run{
		args: []string{"--check", "probe", "touch", marker, "${PW}"},
		env:  []string{"PW_FILE=" + secret, "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt", "PGHOST=db"},
	}.do(t)
	if res.code != 0 {
		t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("--check ran the command")
	}
	want := "set PW from " + secret + " (8 bytes)\n" +
		"skip SSL_CERT_FILE: a path other tools read (built-in list)\n" +
		"set DATABASE_URL=postgresql://db:5432 (assembled)\n" +
		"expand PW from argument 3\n" +
		"exec " + probePath + "\n"
	if res.stdout != want {
		t.Errorf("report\n got: %q\nwant: %q", res.stdout, want)
	}

	missing := run{args: []string{"--check", "no-such-command"}}.do(t)
	if missing.code != 127 || missing.stderr != "shim: exec no-such-command: not found in PATH\n" {
		t.Errorf("--check of a missing command: exit %d, stderr %q", missing.code, missing.stderr)
	}
	notExecutable := writeSecret(t, dir, "plain", "", 0o644)
	denied := run{args: []string{"--check", notExecutable}}.do(t)
	if denied.code != 126 {
		t.Errorf("--check of a file that is not executable: exit %d, want 126", denied.code)
	}
}

func TestVerbose(t *testing.T) {
	dir := t.TempDir()
	secret := writeSecret(t, dir, "pw", sentinel+"\n", 0o600)
	res := run{args: []string{"probe"}, env: []string{"SHIM_VERBOSE=true", "PW_FILE=" + secret}}.do(t)
	want := "shim: set PW from " + secret + " (8 bytes)\n"
	if res.code != 0 || res.stderr != want {
		t.Errorf("exit %d, stderr %q, want %q", res.code, res.stderr, want)
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
	if res.code != 0 {
		t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
	}
	p := parseProbe(t, res.stdout)
	if len(p.env) != 1001 {
		t.Errorf("%d variables reached the command, want 1001", len(p.env))
	}
	for i := range 1000 {
		if v, _ := p.get(fmt.Sprintf("SECRET_%d", i)); v != fmt.Sprintf("%s-%d", sentinel, i) {
			t.Fatalf("SECRET_%d = %q", i, v)
		}
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
	total := len(probePath) + 1 + 8*(1+len(final)) + len("probe") + 1
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

func TestHelpAndVersion(t *testing.T) {
	for _, arg := range []string{"--help", "-h"} {
		res := run{args: []string{arg}}.do(t)
		if res.code != 0 || res.stdout != usage || res.stderr != "" {
			t.Errorf("shim %s: exit %d, stderr %q, stdout matches usage: %v", arg, res.code, res.stderr, res.stdout == usage)
		}
	}
	res := run{args: []string{"--version"}}.do(t)
	if res.code != 0 || !strings.HasPrefix(res.stdout, "shim ") || res.stderr != "" {
		t.Errorf("shim --version: exit %d, stdout %q, stderr %q", res.code, res.stdout, res.stderr)
	}
	// After the command, --help belongs to the command.
	res = run{args: []string{"probe", "--help"}}.do(t)
	if p := parseProbe(t, res.stdout); len(p.args) != 2 || p.args[1] != "--help" {
		t.Errorf("probe got %q", p.args)
	}
}

// TestHelpListsEverySetting keeps the hand-written help in step with the
// settings struct: every key, its default and its description.
func TestHelpListsEverySetting(t *testing.T) {
	var b bytes.Buffer
	format := `{{range .}}{{.Key}}={{.Tags.Get "default"}}|{{.Tags.Get "desc"}}{{"\n"}}{{end}}`
	if err := envconfig.Usagef("shim", &settings{}, &b, format); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) < 11 {
		t.Fatalf("only %d settings found", len(lines))
	}
	for _, line := range lines {
		setting, desc, _ := strings.Cut(line, "|")
		if !strings.Contains(usage, "  "+setting+" ") {
			t.Errorf("--help does not list %s", setting)
		}
		if !strings.Contains(usage, " "+desc+"\n") {
			t.Errorf("--help does not describe %s as %q", setting, desc)
		}
	}
}

// TestSignalWhileReading proves the startup window: a secret that blocks (a
// FIFO whose writer never comes) does not leave an unstoppable shim.
func TestSignalWhileReading(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			fifo := filepath.Join(t.TempDir(), "fifo")
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Fatal(err)
			}
			cmd := run{args: []string{"probe"}, env: []string{"PW_FILE=" + fifo}}.cmd()
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			waitBlocked(t, cmd.Process.Pid)
			start := time.Now()
			cmd.Process.Signal(sig)
			cmd.Wait()
			if took := time.Since(start); took > time.Second {
				t.Errorf("took %v to stop", took)
			}
			want := fmt.Sprintf("shim: stopped by %s while reading %s\n", signalName(sig), fifo)
			if code := cmd.ProcessState.ExitCode(); code != 128+int(sig) || stderr.String() != want {
				t.Errorf("exit %d, stderr %q; want %d, %q", code, stderr.String(), 128+int(sig), want)
			}
		})
	}
}

func signalName(sig syscall.Signal) string {
	return map[syscall.Signal]string{syscall.SIGTERM: "SIGTERM", syscall.SIGINT: "SIGINT"}[sig]
}

// waitBlocked waits until a thread of the process sleeps in the kernel's
// FIFO open (wait_for_partner), so the signal arrives while shim resolves, not before it started.
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
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("shim never blocked on the FIFO")
}
