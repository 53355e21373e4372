package main

// The bad-input catalogue: one row per input a user can get wrong (files,
// environment, arguments, settings), each with the exact exit status and
// stderr the real binary must give, within a second and leaving no process
// behind. Every file the rows create holds the sentinel, and run.do fails
// a row whose stderr (or report) shows it.

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Special file contents the catalogue turns into other kinds of file.
const (
	asFIFO   = "\x00fifo"
	asDir    = "\x00dir"
	asSparse = "\x00sparse" // a 1 GiB file with the sentinel at its start
)

type catalogueRow struct {
	name       string
	files      map[string]string // created in {dir}, mode 0600 unless a script
	env        []string
	rawEnv     []string // passed as is, duplicates included, instead of env
	args       []string
	uid        int
	signal     syscall.Signal // sent once shim blocks on a FIFO
	wantEnv    []string       // when set, the command's whole environment after PATH
	wantCode   int
	wantStderr string
}

func TestBadInputCatalogue(t *testing.T) {
	const skipHint = "shim: hint: if S_FILE holds a path for the program to open itself, add it to SHIM_SKIP\n"
	const exprHint = "shim: hint: shim expands only ${NAME} and ${NAME:-default}; write $${ for a literal ${\n"
	atLimit := strings.Repeat("x", maxEntry()-len("AT=")-1-len(sentinel))
	rows := []catalogueRow{
		// Secret files.
		{name: "missing file", env: []string{"S_FILE={dir}/missing"}, args: []string{"probe"}, wantCode: 125,
			wantStderr: "shim: S_FILE: open {dir}/missing: no such file or directory\n" + skipHint},
		{name: "empty file", files: map[string]string{"s": ""}, env: []string{"S_FILE={dir}/s"}, args: []string{"probe"}, wantEnv: []string{"S="}},
		{name: "unreadable file", uid: 65534, files: map[string]string{"s": sentinel}, env: []string{"S_FILE={dir}/s"}, args: []string{"probe"}, wantCode: 125,
			wantStderr: "shim: S_FILE: open {dir}/s: permission denied\n" +
				"shim: hint: {dir}/s is owned by uid 0 gid 0 with mode 0600 and shim runs as uid 65534; run shim as root and set SHIM_USER to read secrets first and then drop privileges\n" + skipHint},
		{name: "directory", files: map[string]string{"d": asDir}, env: []string{"S_FILE={dir}/d"}, args: []string{"probe"}, wantCode: 125,
			wantStderr: "shim: S_FILE: read {dir}/d: is a directory\n" + skipHint},
		{name: "FIFO with no writer, SIGTERM", files: map[string]string{"f": asFIFO}, env: []string{"S_FILE={dir}/f"}, args: []string{"probe"},
			signal: syscall.SIGTERM, wantCode: 143, wantStderr: "shim: stopped by SIGTERM while reading {dir}/f\n"},
		{name: "FIFO with no writer, SIGINT", files: map[string]string{"f": asFIFO}, env: []string{"S_FILE={dir}/f"}, args: []string{"probe"},
			signal: syscall.SIGINT, wantCode: 130, wantStderr: "shim: stopped by SIGINT while reading {dir}/f\n"},
		{name: "/dev/zero", env: []string{"S_FILE=/dev/zero"}, args: []string{"probe"}, wantCode: 125,
			wantStderr: "shim: S_FILE: /dev/zero: too large for one environment variable (S=value may be at most 131071 bytes)\n" + skipHint},
		{name: "1 GiB sparse file", files: map[string]string{"big": asSparse}, env: []string{"S_FILE={dir}/big"}, args: []string{"probe"}, wantCode: 125,
			wantStderr: "shim: S_FILE: {dir}/big: too large for one environment variable (S=value may be at most 131071 bytes)\n" + skipHint},
		{name: "exactly at the entry limit", files: map[string]string{"at": sentinel + atLimit}, env: []string{"AT_FILE={dir}/at"}, args: []string{"probe"},
			wantEnv: []string{"AT=" + sentinel + atLimit}},
		{name: "one byte over the entry limit", files: map[string]string{"at": sentinel + atLimit + "x"}, env: []string{"AT_FILE={dir}/at"}, args: []string{"probe"}, wantCode: 125,
			wantStderr: "shim: AT_FILE: {dir}/at: too large for one environment variable (AT=value may be at most 131071 bytes)\n" +
				"shim: hint: if AT_FILE holds a path for the program to open itself, add it to SHIM_SKIP\n"},
		{name: "NUL byte", files: map[string]string{"s": sentinel + "\x00"}, env: []string{"S_FILE={dir}/s"}, args: []string{"probe"}, wantCode: 125,
			wantStderr: "shim: S_FILE: {dir}/s: contains a NUL byte (at offset 8), which an environment variable cannot hold\n" + skipHint},
		{name: "invalid UTF-8 passes", files: map[string]string{"s": sentinel + "\xff\xfe"}, env: []string{"S_FILE={dir}/s"}, args: []string{"probe"},
			wantEnv: []string{"S=" + sentinel + "\xff\xfe"}},
		{name: "both set", files: map[string]string{"s": sentinel}, env: []string{"S=x", "S_FILE={dir}/s"}, args: []string{"probe"}, wantCode: 125,
			wantStderr: "shim: both S and S_FILE are set (but are exclusive)\n"},

		// The incoming environment.
		{name: "a bare _FILE", env: []string{"_FILE={dir}/s"}, args: []string{"probe"}, wantEnv: []string{"_FILE={dir}/s"}},
		{name: "duplicate names: the first wins", files: map[string]string{"s": sentinel}, rawEnv: []string{"A=1", "S_FILE={dir}/s", "A=2", "S_FILE=/nonexistent"}, args: []string{"probe"},
			wantEnv: []string{"A=1", "S=" + sentinel}},
		{name: "an entry with an empty name or no =", rawEnv: []string{"=X_FILE=/nonexistent", "NOEQUALS", "B=1"}, args: []string{"probe"},
			wantEnv: []string{"=X_FILE=/nonexistent", "NOEQUALS", "B=1"}},

		// Arguments.
		{name: "unset variable", args: []string{"probe", "${NOPE}"}, wantCode: 125,
			wantStderr: "shim: argument 1 \"${NOPE}\": NOPE is not set\nshim: hint: set NOPE (or NOPE_FILE), write ${NOPE:-} to allow an empty value, or $${ for a literal ${\n"},
		{name: "unterminated", args: []string{"probe", "${A"}, wantCode: 125, wantStderr: "shim: argument 1 \"${A\": ${ without a closing }\n" + exprHint},
		{name: "empty name", args: []string{"probe", "x${}"}, wantCode: 125, wantStderr: "shim: argument 1 \"x${}\": ${} names no variable\n" + exprHint},
		{name: "digit name", args: []string{"probe", "${1}"}, wantCode: 125, wantStderr: "shim: argument 1 \"${1}\": ${1} is not ${NAME} or ${NAME:-default}\n" + exprHint},
		{name: "assign default", args: []string{"probe", "${A:=x}"}, wantCode: 125, wantStderr: "shim: argument 1 \"${A:=x}\": ${A:=x} is not ${NAME} or ${NAME:-default}\n" + exprHint},
		{name: "error if unset", args: []string{"probe", "${A:?x}"}, wantCode: 125, wantStderr: "shim: argument 1 \"${A:?x}\": ${A:?x} is not ${NAME} or ${NAME:-default}\n" + exprHint},
		{name: "default without colon", args: []string{"probe", "${A-x}"}, wantCode: 125, wantStderr: "shim: argument 1 \"${A-x}\": ${A-x} is not ${NAME} or ${NAME:-default}\n" + exprHint},
		{name: "length", args: []string{"probe", "${#A}"}, wantCode: 125, wantStderr: "shim: argument 1 \"${#A}\": ${#A} is not ${NAME} or ${NAME:-default}\n" + exprHint},
		{name: "substitution", args: []string{"probe", "${A/x/y}"}, wantCode: 125, wantStderr: "shim: argument 1 \"${A/x/y}\": ${A/x/y} is not ${NAME} or ${NAME:-default}\n" + exprHint},
		{name: "nested", args: []string{"probe", "${A:-${B}}"}, wantCode: 125, wantStderr: "shim: argument 1 \"${A:-${B}}\": ${ inside a ${...} default is not supported\n" + exprHint},
		{name: "in the command", args: []string{"${BIN"}, wantCode: 125, wantStderr: "shim: the command \"${BIN\": ${ without a closing }\n" + exprHint},

		// Settings.
		{name: "SHIM_TRIM not a boolean", env: []string{"SHIM_TRIM=maybe"}, args: []string{"probe"}, wantCode: 125, wantStderr: "shim: SHIM_TRIM=\"maybe\": not a boolean (use true or false)\n"},
		{name: "SHIM_VERBOSE empty", env: []string{"SHIM_VERBOSE="}, args: []string{"probe"}, wantCode: 125, wantStderr: "shim: SHIM_VERBOSE=\"\": not a boolean (use true or false)\n"},
		{name: "SHIM_DATABASE_URL not a boolean", env: []string{"SHIM_DATABASE_URL=yes"}, args: []string{"probe"}, wantCode: 125, wantStderr: "shim: SHIM_DATABASE_URL=\"yes\": not a boolean (use true or false)\n"},
		{name: "SHIM_SKIP bad glob", env: []string{"SHIM_SKIP=A,[B"}, args: []string{"probe"}, wantCode: 125, wantStderr: "shim: SHIM_SKIP: bad pattern \"[B\": syntax error in pattern\n"},
		{name: "SHIM_ONLY bad glob", env: []string{"SHIM_ONLY=A_[FILE"}, args: []string{"probe"}, wantCode: 125, wantStderr: "shim: SHIM_ONLY: bad pattern \"A_[FILE\": syntax error in pattern\n"},
		{name: "SHIM_SUFFIX empty", env: []string{"SHIM_SUFFIX="}, args: []string{"probe"}, wantCode: 125, wantStderr: "shim: SHIM_SUFFIX is empty; it names the suffix of variables to expand, _FILE by default\n"},
		{name: "SHIM_SECRETS_DIR missing", env: []string{"SHIM_SECRETS_DIR={dir}/none"}, args: []string{"probe"}, wantCode: 125,
			wantStderr: "shim: SHIM_SECRETS_DIR: open {dir}/none: no such file or directory\nshim: hint: SHIM_SECRETS_DIR names directories that must exist; leave a missing one out\n"},
		{name: "SHIM_USER unknown", env: []string{"SHIM_USER=no-such-user"}, args: []string{"probe"}, wantCode: 125, wantStderr: "shim: SHIM_USER=no-such-user: no user \"no-such-user\" in /etc/passwd\n"},
		{name: "SHIM_USER unknown group", env: []string{"SHIM_USER=0:no-such-group"}, args: []string{"probe"}, wantCode: 125, wantStderr: "shim: SHIM_USER=0:no-such-group: no group \"no-such-group\" in /etc/group\n"},
		{name: "SHIM_USER out of range", env: []string{"SHIM_USER=1:4294967295"}, args: []string{"probe"}, wantCode: 125, wantStderr: "shim: SHIM_USER=1:4294967295: gid out of range (0-4294967294)\n"},
		{name: "SHIM_USER empty group", env: []string{"SHIM_USER=root:"}, args: []string{"probe"}, wantCode: 125, wantStderr: "shim: SHIM_USER=root:: no group after the colon\n"},
		{name: "usage: no command", wantCode: 125, wantStderr: "shim: no command given\n" + usage},
		{name: "usage: only --", args: []string{"--"}, wantCode: 125, wantStderr: "shim: no command given\n" + usage},
		{name: "usage: unknown option", args: []string{"--chek", "probe"}, wantCode: 125,
			wantStderr: "shim: unknown option \"--chek\" (shim's options come before the command; use -- to end them)\n" + usage},

		// Commands.
		{name: "unknown command", args: []string{"no-such-command"}, wantCode: 127, wantStderr: "shim: exec no-such-command: not found in PATH\n"},
		{name: "no such path", args: []string{"{dir}/nope"}, wantCode: 127, wantStderr: "shim: exec {dir}/nope: no such file or directory\n"},
		{name: "a path through a file", args: []string{"/etc/passwd/x"}, wantCode: 127, wantStderr: "shim: exec /etc/passwd/x: not a directory\n"},
		{name: "a command name from a secret is not shown", files: map[string]string{"bin": sentinel + "-cmd"}, env: []string{"BIN_FILE={dir}/bin"},
			args: []string{"${BIN}"}, wantCode: 127, wantStderr: "shim: exec ${BIN}: not found in PATH\n"},
		{name: "empty command", args: []string{"${EMPTY:-}"}, wantCode: 127, wantStderr: "shim: exec: the command is empty\n"},
		{name: "not executable", files: map[string]string{"plain": "#!/bin/sh\n"}, args: []string{"{dir}/plain"}, wantCode: 126,
			wantStderr: "shim: exec {dir}/plain: permission denied\nshim: hint: the file is not executable: chmod +x {dir}/plain\n"},
		{name: "missing interpreter", files: map[string]string{"script": "#!/nonexistent/bash -e\necho hi\n"}, args: []string{"{dir}/script"}, wantCode: 126,
			wantStderr: "shim: exec {dir}/script: no such file or directory\nshim: hint: the file exists, so what is missing is its interpreter \"/nonexistent/bash\"\n"},
		{name: "not a program", files: map[string]string{"data": "\x01\x02\x03 no #! line"}, args: []string{"{dir}/data"}, wantCode: 126,
			wantStderr: "shim: exec {dir}/data: exec format error\nshim: hint: not a program for this machine, or a script without a #! line\n"},
		{name: "directory as command", args: []string{"{dir}"}, wantCode: 126, wantStderr: "shim: exec {dir}: is a directory\n"},

		// The command's own status passes through.
		{name: "status 0", args: []string{"probe", "exit", "0"}},
		{name: "status 1", args: []string{"probe", "exit", "1"}, wantCode: 1},
		{name: "status 2", args: []string{"probe", "exit", "2"}, wantCode: 2},
		{name: "status 125", args: []string{"probe", "exit", "125"}, wantCode: 125},
		{name: "status 126", args: []string{"probe", "exit", "126"}, wantCode: 126},
		{name: "status 127", args: []string{"probe", "exit", "127"}, wantCode: 127},
		{name: "status 255", args: []string{"probe", "exit", "255"}, wantCode: 255},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			if row.uid != 0 {
				requireRoot(t)
			}
			dir := openTempDir(t)
			expand := func(s string) string { return strings.ReplaceAll(s, "{dir}", dir) }
			makeFiles(t, dir, row.files)
			r := run{uid: row.uid}
			for _, a := range row.args {
				r.args = append(r.args, expand(a))
			}
			for _, e := range row.env {
				r.env = append(r.env, expand(e))
			}
			res := runRow(t, r, row, expand)
			if res.code != row.wantCode || res.stderr != expand(row.wantStderr) {
				t.Errorf("exit %d, stderr\n got: %q\nwant: %d, %q", res.code, res.stderr, row.wantCode, expand(row.wantStderr))
			}
		})
	}
}

func makeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		switch content {
		case asFIFO:
			if err := syscall.Mkfifo(p, 0o600); err != nil {
				t.Fatal(err)
			}
		case asDir:
			if err := os.Mkdir(p, 0o700); err != nil {
				t.Fatal(err)
			}
		case asSparse:
			writeSecret(t, dir, name, sentinel, 0o600)
			if err := os.Truncate(p, 1<<30); err != nil {
				t.Fatal(err)
			}
		default:
			mode := os.FileMode(0o600)
			if strings.HasPrefix(content, "#!") {
				mode = 0o755
				if name == "plain" {
					mode = 0o644
				}
			}
			if strings.HasPrefix(content, "\x01") {
				mode = 0o755
			}
			writeSecret(t, dir, name, content, mode)
		}
	}
}

// runRow runs one row in its own process group and checks that it took
// under a second and that nothing of the group is left afterwards.
func runRow(t *testing.T, r run, row catalogueRow, expand func(string) string) result {
	t.Helper()
	cmd := r.cmd()
	if row.rawEnv != nil {
		cmd.Env = []string{cmd.Env[0]}
		for _, e := range row.rawEnv {
			cmd.Env = append(cmd.Env, expand(e))
		}
	}
	cmd.SysProcAttr.Setpgid = true
	var stdout, stderr bytes.Buffer
	// os.StartProcess passes the environment as is; exec.Cmd would drop
	// duplicate names before shim could see them.
	attr := &os.ProcAttr{Env: cmd.Env, Sys: cmd.SysProcAttr}
	outR, outW, _ := os.Pipe()
	errR, errW, _ := os.Pipe()
	attr.Files = []*os.File{nil, outW, errW}
	start := time.Now()
	proc, err := os.StartProcess(cmd.Path, cmd.Args, attr)
	outW.Close()
	errW.Close()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { stdout.ReadFrom(outR); stderr.ReadFrom(errR); close(done) }()
	if row.signal != 0 {
		waitBlocked(t, proc.Pid)
		proc.Signal(row.signal)
	}
	state, err := proc.Wait()
	<-done
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("took %v", took)
	}
	if err := syscall.Kill(-proc.Pid, 0); !errors.Is(err, syscall.ESRCH) {
		syscall.Kill(-proc.Pid, syscall.SIGKILL)
		t.Errorf("a process of the row's group is still running (kill: %v)", err)
	}
	res := result{code: state.ExitCode(), stdout: stdout.String(), stderr: stderr.String(), state: state, pid: proc.Pid}
	assertNoSecret(t, "stderr", res.stderr)
	if strings.HasPrefix(res.stdout, "pid ") {
		p := parseProbe(t, res.stdout)
		if p.pid != proc.Pid {
			t.Errorf("the command ran as PID %d, not in shim's place (%d)", p.pid, proc.Pid)
		}
		if row.wantEnv != nil {
			want := []string{cmd.Env[0]}
			for _, e := range row.wantEnv {
				want = append(want, expand(e))
			}
			if strings.Join(p.env, "\n") != strings.Join(want, "\n") {
				t.Errorf("environment\n got: %q\nwant: %q", p.env, want)
			}
		}
	} else {
		assertNoSecret(t, "stdout", res.stdout)
	}
	return res
}

// TestSignalAsPID1 repeats the startup-window test with shim as PID 1 of a
// new PID namespace, where the kernel drops every signal without a handler.
func TestSignalAsPID1(t *testing.T) {
	requireRoot(t)
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("no unshare")
	}
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(unshare, "--pid", "--fork", shimPath, "probe")
	cmd.Env = []string{"PATH=" + binDir + ":/usr/bin:/bin", "S_FILE=" + fifo}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var shim int
	deadline := time.Now().Add(5 * time.Second)
	for shim == 0 && time.Now().Before(deadline) {
		children, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", cmd.Process.Pid, cmd.Process.Pid))
		fmt.Sscan(string(children), &shim)
		time.Sleep(10 * time.Millisecond)
	}
	if shim == 0 {
		t.Fatal("unshare started no child")
	}
	status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", shim))
	if !strings.Contains(string(status), "NSpid:\t"+fmt.Sprint(shim)+"\t1\n") {
		t.Fatalf("shim is not PID 1 of its namespace:\n%s", status)
	}
	waitBlocked(t, shim)
	start := time.Now()
	syscall.Kill(shim, syscall.SIGTERM)
	cmd.Wait()
	if took := time.Since(start); took > time.Second {
		t.Errorf("took %v to stop", took)
	}
	want := "shim: stopped by SIGTERM while reading " + fifo + "\n"
	if code := cmd.ProcessState.ExitCode(); code != 143 || stderr.String() != want {
		t.Errorf("exit %d, stderr %q; want 143, %q", code, stderr.String(), want)
	}
}
