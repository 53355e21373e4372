//go:build linux

package main

// The bad-input catalogue: one row per input that needs a real process to
// judge, with the exact status and output of a run and of --check. run.do
// fails a row whose output shows the sentinel the rows' files hold.

import (
	"bytes"
	"cmp"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

type fileKind int

const (
	regular fileKind = iota
	fifo
	directory
	sparse     // 1 GiB with the sentinel at its start
	symlink    // to the content, which need not exist
	program    // a copy of the dynamically linked /bin/true
	badLoader  // program, its PT_INTERP naming a missing loader
	arm64      // program (x86-64), made an arm64 one with its loader missing
	executable // a regular file with mode 0755
	noexecDir  // a directory with a tmpfs mounted noexec on it (needs root)
	charDevice // /dev/tty's numbers (needs root)
)

type catalogueFile struct {
	name    string
	kind    fileKind
	content string
	mode    os.FileMode // 0600 (programs 0755) unless set
}

type catalogueRow struct {
	name       string
	files      []catalogueFile // created in {dir}
	env        []string
	rawEnv     []string // passed as is, duplicates included, instead of env
	args       []string
	path       string // the program to start instead of shim: launch, say
	uid        int
	root       bool     // the row needs root
	broken     int      // 1 or 2: that descriptor is a pipe whose reader is gone
	sameCheck  bool     // --check must give the same status and stderr
	check      *result  // else, when set, --check's status and output
	emulated   string   // why qemu-user cannot reproduce the row, if it cannot
	wantEnv    []string // when set, the probe ran with this whole environment after PATH
	wantArgs   []string // when set, the probe's arguments
	wantCode   int      // -1: death by wantSignal
	wantSignal syscall.Signal
	wantStdout string // unless the probe ran
	wantStderr string
}

func TestBadInputCatalogue(t *testing.T) {
	const foreign = "the kernel's answer for a foreign binary is qemu-user's"
	const brokenPipe = "shim: writing the output: broken pipe\n"
	limit := maxEntry() - len("AT=") - 1
	atLimit := sentinel + strings.Repeat("x", limit-len(sentinel))
	missing := func(name string) string { // NAME_FILE={dir}/name, which does not exist
		return shimLines(name+"_FILE: open {dir}/"+strings.ToLower(name)+": no such file or directory", notMountedHint("{dir}"), skipHint(name+"_FILE"))
	}
	usageError := func(msg string) string { return shimLines(msg) + usageLine + "\nrun 'shim --help' for more\n" }
	pwFile := []catalogueFile{{name: "pw", content: sentinel}}
	checked := []string{"PW_FILE={dir}/pw", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt", "PGHOST=db"}
	report := []string{"skip SSL_CERT_FILE: a path other tools read (built-in list)", "set PW from {dir}/pw (8 bytes)", "set DATABASE_URL=postgresql://db:5432 (assembled, no password)", "expand PW from argument 1: " + inCmdline, "exec " + probePath}
	rows := []catalogueRow{
		// shim execs the command in its own place (same PID, environment in
		// order, every argument after it the command's); its death is the parent's.
		{name: "exec in place", emulated: reversedEnv, files: []catalogueFile{{name: "pw", content: "p/+=@:% x" + sentinel + "\n"}}, env: []string{"A=1", "POSTGRES_PASSWORD_FILE={dir}/pw", "B=2", "POSTGRES_HOST=db"}, args: []string{"probe", "--help", "${POSTGRES_PASSWORD}"},
			wantArgs: []string{"probe", "--help", "p/+=@:% x" + sentinel}, wantEnv: []string{"A=1", "POSTGRES_PASSWORD=p/+=@:% x" + sentinel, "B=2", "POSTGRES_HOST=db", "DATABASE_URL=postgresql://:p%2F%2B%3D%40%3A%25%20x" + sentinel + "@db:5432"}},
		{name: "the command dies by a signal", args: []string{"probe", "kill"}, wantEnv: []string{}, wantCode: -1, wantSignal: syscall.SIGTERM},
		// --check reports every step and runs nothing; SHIM_VERBOSE prints the
		// same lines on stderr and runs the command.
		{name: "--check", emulated: noPtrace, files: pwFile, env: checked, args: []string{"--check", "probe", "${PW}"}, wantStdout: strings.Join(report, "\n") + "\n"},
		{name: "SHIM_VERBOSE", emulated: reversedEnv, files: pwFile, env: append(checked, "SHIM_VERBOSE=true"), args: []string{"probe", "${PW}"}, wantStderr: shimLines(report...),
			wantEnv: []string{"PW=" + sentinel, "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt", "PGHOST=db", "SHIM_VERBOSE=true", "DATABASE_URL=postgresql://db:5432"}},
		// One pure failure, for the prefix, the hint lines and the status; a
		// run stops at the first problem, --check reports every one.
		{name: "missing file", env: []string{"S_FILE={dir}/s"}, args: []string{"probe"}, wantCode: 125, wantStderr: missing("S")},
		{name: "every problem with --check", emulated: reversedEnv, env: []string{"A_FILE={dir}/a", "B_FILE={dir}/b", "SHIM_REQUIRE=DATABSE_URL", "PGHOST=db", "REDIS_HOST=cache", "REDIS_PORT=http"}, args: []string{"no-such-command"}, wantCode: 125, wantStderr: missing("A"),
			check: &result{code: 125, stdout: "set DATABASE_URL=postgresql://db:5432 (assembled, no password)\n", stderr: missing("A") + missing("B") + shimLines("REDIS_PORT: not a port number (1-65535)", "hint: set REDIS_URL yourself, or SHIM_REDIS_URL=false to leave it unset",
				"DATABSE_URL is required (SHIM_REQUIRE) but not set", "hint: did you mean DATABASE_URL, which is set?", "exec no-such-command: not found in PATH")}},

		// Files the kernel judges.
		{name: "unreadable file", uid: 65534, files: []catalogueFile{{name: "s", content: sentinel}}, env: []string{"S_FILE={dir}/s"}, args: []string{"probe"}, wantCode: 125, wantStderr: shimLines("S_FILE: open {dir}/s: permission denied", "hint: {dir}/s is owned by uid 0 gid 0 with mode 0600 and shim runs as uid 65534; run shim as root and set SHIM_USER to read secrets first and then drop privileges", skipHint("S_FILE"))},
		{name: "directory", files: []catalogueFile{{name: "d", kind: directory}}, env: []string{"S_FILE={dir}/d"}, args: []string{"probe"}, wantCode: 125, wantStderr: shimLines("S_FILE: read {dir}/d: is a directory", skipHint("S_FILE"))},
		{name: "/dev/zero", env: []string{"S_FILE=/dev/zero"}, args: []string{"probe"}, wantCode: 125, wantStderr: shimLines("S_FILE: /dev/zero: too large for one environment variable (the file may be at most 131069 bytes)", skipHint("S_FILE"))},
		{name: "1 GiB sparse file", files: []catalogueFile{{name: "big", kind: sparse}}, env: []string{"S_FILE={dir}/big"}, args: []string{"probe"}, wantCode: 125, wantStderr: shimLines("S_FILE: {dir}/big: too large for one environment variable (the file may be at most 131069 bytes)", skipHint("S_FILE"))},
		{name: "exactly at the entry limit", files: []catalogueFile{{name: "at", content: atLimit}}, env: []string{"AT_FILE={dir}/at"}, args: []string{"probe"}, wantEnv: []string{"AT=" + atLimit}},
		{name: "one byte over the entry limit", files: []catalogueFile{{name: "at", content: atLimit + "x"}}, env: []string{"AT_FILE={dir}/at"}, args: []string{"probe"}, wantCode: 125, wantStderr: shimLines("AT_FILE: {dir}/at: too large for one environment variable (the file may be at most 131068 bytes)", skipHint("AT_FILE"))},
		{name: "at the limit once trimmed is still too large", files: []catalogueFile{{name: "at", content: atLimit + "\n"}}, env: []string{"AT_FILE={dir}/at"}, args: []string{"probe"}, wantCode: 125, wantStderr: shimLines("AT_FILE: {dir}/at: too large for one environment variable (the file may be at most 131068 bytes)", skipHint("AT_FILE"))},
		{name: "a dangling link in a secrets directory", files: []catalogueFile{{name: "d", kind: directory}, {name: "d/pw", kind: symlink, content: "..data/pw"}}, env: []string{"SHIM_SECRETS_DIR={dir}/d"}, args: []string{"probe"}, wantCode: 125, wantStderr: shimLines("PW from SHIM_SECRETS_DIR: open {dir}/d/pw: a symbolic link to a file that does not exist", notMountedHint("{dir}/d"), notSecret)},
		{name: "a FIFO in a secrets directory is refused without blocking", files: []catalogueFile{{name: "d", kind: directory}, {name: "d/f", kind: fifo}}, env: []string{"SHIM_SECRETS_DIR={dir}/d"}, args: []string{"probe"}, wantCode: 125, wantStderr: shimLines("F from SHIM_SECRETS_DIR: open {dir}/d/f: not a regular file (a named pipe)", notSecret)},
		{name: "a character device in a secrets directory is refused unopened", files: []catalogueFile{{name: "d", kind: directory}, {name: "d/tty", kind: charDevice}}, env: []string{"SHIM_SECRETS_DIR={dir}/d"}, args: []string{"probe"}, wantCode: 125, wantStderr: shimLines("TTY from SHIM_SECRETS_DIR: open {dir}/d/tty: not a regular file (a character device)", notSecret)},
		{name: "a symlink loop in a secrets directory", files: []catalogueFile{{name: "d", kind: directory}, {name: "d/loop", kind: symlink, content: "loop"}}, env: []string{"SHIM_SECRETS_DIR={dir}/d"}, args: []string{"probe"}, wantCode: 125, wantStderr: shimLines("LOOP from SHIM_SECRETS_DIR: open {dir}/d/loop: too many levels of symbolic links", notSecret)},
		{name: "a newline in a file name cannot forge a line", files: []catalogueFile{{name: "d", kind: directory}, {name: "d/evil\nshim: hint: everything is fine", kind: directory}}, env: []string{"SHIM_SECRETS_DIR={dir}/d"}, args: []string{"probe"}, wantCode: 125, wantStderr: shimLines(`EVIL_SHIM__HINT__EVERYTHING_IS_FINE from SHIM_SECRETS_DIR: open "{dir}/d/evil\nshim: hint: everything is fine": not a regular file (a directory)`, notSecret)},

		// The incoming environment as the kernel hands it over.
		{name: "duplicate names: the first wins", emulated: reversedEnv, files: []catalogueFile{{name: "s", content: sentinel}}, rawEnv: []string{"A=1", "S_FILE={dir}/s", "A=2", "S_FILE=/nonexistent"}, args: []string{"probe"}, wantEnv: []string{"A=1", "S=" + sentinel}},
		{name: "an entry with an empty name or no =", emulated: "qemu-user drops an entry without = before the guest starts", rawEnv: []string{"=X_FILE=/nonexistent", "NOEQUALS", "B=1"}, args: []string{"probe"}, wantEnv: []string{"=X_FILE=/nonexistent", "NOEQUALS", "B=1"}},
		{name: "an empty string in the environment block is dropped by Go's runtime", rawEnv: []string{"", "B=1", ""}, args: []string{"probe"}, wantEnv: []string{"B=1"}},

		// SHIM_* settings that are wrong, or empty where empty would fail open.
		{name: "SHIM_TRIM not a boolean", env: []string{"SHIM_TRIM=maybe"}, args: []string{"probe"}, wantCode: 125, wantStderr: "shim: SHIM_TRIM=maybe: not a boolean (use true or false)\n"},
		{name: "SHIM_VERBOSE empty", env: []string{"SHIM_VERBOSE="}, args: []string{"probe"}, wantCode: 125, wantStderr: "shim: SHIM_VERBOSE=\"\": not a boolean (use true or false)\n"},
		{name: "SHIM_SKIP bad pattern", env: []string{"SHIM_SKIP=A,[B"}, args: []string{"probe"}, wantCode: 125, wantStderr: "shim: SHIM_SKIP: bad pattern [B: syntax error in pattern\n"},
		{name: "SHIM_ONLY bad pattern", env: []string{"SHIM_ONLY=A_[FILE"}, args: []string{"--check", "probe"}, wantCode: 125, wantStderr: "shim: SHIM_ONLY: bad pattern A_[FILE: syntax error in pattern\n"},
		{name: "SHIM_SUFFIX empty", env: []string{"SHIM_SUFFIX="}, args: []string{"probe"}, wantCode: 125, wantStderr: "shim: SHIM_SUFFIX is empty; it names the suffix of variables to expand, _FILE by default\n"},
		{name: "SHIM_ONLY naming no pattern", env: []string{"SHIM_ONLY= ,"}, args: []string{"probe"}, wantCode: 125, wantStderr: "shim: SHIM_ONLY is set but names no pattern; unset it to expand every _FILE, or list the names to expand\n"},
		{name: "SHIM_ONLY empty", env: []string{"SHIM_ONLY="}, args: []string{"probe"}, wantCode: 125, wantStderr: "shim: SHIM_ONLY is set but names no pattern; unset it to expand every _FILE, or list the names to expand\n"},

		// Output arrives whole or the status says so (125, not SIGPIPE); an
		// error that cannot be written keeps its status.
		{name: "usage: no command", wantCode: 125, wantStderr: usageError("no command given")},
		{name: "usage: only --", args: []string{"--"}, wantCode: 125, wantStderr: usageError("no command given")},
		{name: "usage: unknown option", args: []string{"--chek", "probe"}, wantCode: 125, wantStderr: usageError("unknown option --chek (shim's options come before the command; use -- to end them)")},
		{name: "--help", args: []string{"--help"}, wantStdout: usage},
		{name: "-h", args: []string{"-h"}, wantStdout: usage},
		{name: "--version", args: []string{"--version"}, wantStdout: "shim devel\n"}, // no VCS stamp, no -X version
		{name: "--help into a broken pipe", args: []string{"--help"}, broken: 1, wantCode: 125, wantStderr: brokenPipe},
		{name: "--version into a broken pipe", args: []string{"--version"}, broken: 1, wantCode: 125, wantStderr: brokenPipe},
		{name: "--check into a broken pipe", args: []string{"--check", "probe"}, broken: 1, wantCode: 125, wantStderr: brokenPipe},
		{name: "SHIM_VERBOSE into a broken pipe", env: []string{"SHIM_VERBOSE=true"}, args: []string{"probe"}, broken: 2, wantCode: 125},
		{name: "an error into a broken pipe", args: []string{"no-such-command"}, broken: 2, sameCheck: true, wantCode: 127},

		// Commands: what execve decides, and --check, which asks execve too,
		// must say the same; the hints name the interpreter as the kernel reads it.
		{name: "unknown command", args: []string{"no-such-command"}, sameCheck: true, wantCode: 127, wantStderr: "shim: exec no-such-command: not found in PATH\n"},
		{name: "no such path", args: []string{"{dir}/nope"}, sameCheck: true, wantCode: 127, wantStderr: "shim: exec {dir}/nope: no such file or directory\n"},
		{name: "a path through a file", args: []string{"/etc/passwd/x"}, sameCheck: true, wantCode: 127, wantStderr: "shim: exec /etc/passwd/x: not a directory\n"},
		{name: "a command name from a secret is not shown", files: []catalogueFile{{name: "bin", content: sentinel + "-cmd"}}, env: []string{"BIN_FILE={dir}/bin"}, args: []string{"${BIN}"}, sameCheck: true, wantCode: 127, wantStderr: "shim: exec ${BIN}: not found in PATH\n"},
		{name: "empty command", args: []string{"${EMPTY:-}"}, sameCheck: true, wantCode: 127, wantStderr: "shim: exec ${EMPTY:-}: the command is empty\n"},
		{name: "not executable", files: []catalogueFile{{name: "plain", content: "#!/bin/sh\n", mode: 0o644}}, args: []string{"{dir}/plain"}, sameCheck: true, wantCode: 126, wantStderr: "shim: exec {dir}/plain: permission denied\nshim: hint: the file is not executable for uid 0 (chmod +x, or its owner and mode)\n"},
		{name: "missing interpreter", files: []catalogueFile{{name: "script", kind: executable, content: "#!/nonexistent/bash -e\necho hi\n"}}, args: []string{"{dir}/script"}, sameCheck: true, wantCode: 126, wantStderr: "shim: exec {dir}/script: no such file or directory\nshim: hint: the file exists, so what is missing is its interpreter /nonexistent/bash\n"},
		{name: "relative interpreter", files: []catalogueFile{{name: "script", kind: executable, content: "#!sh\n"}}, args: []string{"{dir}/script"}, sameCheck: true, wantCode: 126, wantStderr: "shim: exec {dir}/script: no such file or directory\nshim: hint: the file exists, so what is missing is its interpreter sh\n"},
		{name: "a CR ends the interpreter's name", emulated: foreign, files: []catalogueFile{{name: "script", kind: executable, content: "#!/bin/sh\r\nexit 0\r\n"}}, args: []string{"{dir}/script"}, sameCheck: true, wantCode: 126, wantStderr: "shim: exec {dir}/script: no such file or directory\nshim: hint: the file exists, so what is missing is its interpreter \"/bin/sh\\r\"\n"},
		{name: "a no-break space ends the interpreter's name", emulated: foreign, files: []catalogueFile{{name: "script", kind: executable, content: "#!/bin/sh\u00a0\nexit 0\n"}}, args: []string{"{dir}/script"}, sameCheck: true, wantCode: 126, wantStderr: "shim: exec {dir}/script: no such file or directory\nshim: hint: the file exists, so what is missing is its interpreter \"/bin/sh\\u00a0\"\n"},
		{name: "interpreter is a directory", files: []catalogueFile{{name: "script", kind: executable, content: "#!/tmp\n"}}, args: []string{"{dir}/script"}, sameCheck: true, wantCode: 126, wantStderr: "shim: exec {dir}/script: permission denied\nshim: hint: its interpreter /tmp is not a regular file\n"},
		{name: "interpreter is a script with a missing interpreter", files: []catalogueFile{{name: "inner", kind: executable, content: "#!/nonexistent/sh\n"}, {name: "outer", kind: executable, content: "#!{dir}/inner\n"}}, args: []string{"{dir}/outer"}, sameCheck: true, wantCode: 126, wantStderr: "shim: exec {dir}/outer: no such file or directory\nshim: hint: the file exists, so what is missing is its interpreter /nonexistent/sh\n"},
		{name: "empty #! line", files: []catalogueFile{{name: "script", kind: executable, content: "#!\n"}}, args: []string{"{dir}/script"}, sameCheck: true, wantCode: 126, wantStderr: "shim: exec {dir}/script: exec format error\nshim: hint: the file has a #! line that names no interpreter, or one cut off at 255 bytes\n"},
		{name: "missing dynamic loader", emulated: "the loader is patched into the host's /bin/true, no program for the emulated machine", files: []catalogueFile{{name: "prog", kind: badLoader}}, args: []string{"{dir}/prog"}, sameCheck: true, wantCode: 126, wantStderr: "shim: exec {dir}/prog: no such file or directory\nshim: hint: the file exists, so what is missing is its dynamic loader (a dynamically linked binary in an image without its libc)\n"},
		{name: "directory as command", args: []string{"{dir}"}, sameCheck: true, wantCode: 126, wantStderr: "shim: exec {dir}: is a directory\n"},
		{name: "a program on a noexec mount", root: true, files: []catalogueFile{{name: "noexec", kind: noexecDir}, {name: "noexec/prog", kind: executable, content: "#!/bin/sh\n"}}, args: []string{"{dir}/noexec/prog"}, sameCheck: true, wantCode: 126, wantStderr: "shim: exec {dir}/noexec/prog: permission denied\nshim: hint: the file is on a file system mounted noexec\n"},
		// Where seccomp refuses in-memory files (gVisor, old kernels), SHIM_RENDER fails closed.
		{name: "SHIM_RENDER without memfd_create", emulated: "the filter is for the host's system call numbers", path: filepath.Join(binDir, "launch"), files: []catalogueFile{{name: "t", content: "port 1\n"}},
			env: []string{"SHIM_RENDER=CONF={dir}/t"}, args: []string{"", "", "NOMEMFD", shimPath, "probe"}, wantCode: 125,
			wantStderr: shimLines("SHIM_RENDER: CONF: memfd_create: function not implemented", "hint: the kernel or the container's seccomp profile refuses in-memory files (gVisor, an old kernel, a strict profile); shim never falls back to a file on disk: allow memfd_create, or leave SHIM_RENDER unset")},
		// Where --check cannot set up its traced child, only a run tells (a run needs no descriptor).
		{name: "--check with no descriptor to spare", emulated: noPtrace, path: "/bin/sh", args: []string{"-c", `ulimit -n 4 && exec "$0" "$@"`, shimPath, "--check", "probe"},
			wantStdout: "exec " + probePath + " (whether the kernel runs it only a run tells: the kernel refused --check's traced child (too many open files))\n"},
		{name: "--check whose traced child a seccomp profile kills", emulated: "the filter is for the host's system call numbers", path: filepath.Join(binDir, "launch"),
			args: []string{"", "", "NOPTRACE", shimPath, "--check", "probe"}, wantStdout: "exec " + probePath + " (whether the kernel runs it only a run tells: --check's traced child was killed by SIGSYS)\n"},
		{name: "a run with no descriptor to spare", path: "/bin/sh", args: []string{"-c", `ulimit -n 4 && exec "$0" "$@"`, shimPath, "true"}},
		// --check asks the kernel as the user the command runs as.
		{name: "a program SHIM_USER may run but not read", root: true, emulated: foreign, files: []catalogueFile{{name: "prog", kind: program, mode: 0o711}}, env: []string{"SHIM_USER=nobody"}, args: []string{"{dir}/prog"},
			check: &result{stdout: "run as uid 65534 gid 65534 groups [65534] HOME=/nonexistent, no capabilities\nexec {dir}/prog\n"}},
	}
	arm64Prog := []catalogueFile{{name: "prog", kind: arm64}}
	if _, err := os.Stat("/proc/sys/fs/binfmt_misc/qemu-aarch64"); err == nil { // an emulator runs it: the kernel says yes
		rows = append(rows, catalogueRow{name: "a program for another machine, with an emulator", emulated: foreign, files: arm64Prog, args: []string{"--check", "{dir}/prog"}, wantStdout: "exec {dir}/prog\n"})
	} else if runtime.GOARCH == "amd64" { // arm64 is made from an x86-64 /bin/true
		rows = append(rows, catalogueRow{name: "a program for another machine", emulated: foreign, files: arm64Prog, args: []string{"{dir}/prog"}, sameCheck: true, wantCode: 126,
			wantStderr: "shim: exec {dir}/prog: exec format error\nshim: hint: the file is an ELF file this machine cannot run (built for another CPU, or damaged)\n"})
	}
	// The command's own status passes through.
	for _, code := range []int{0, 1, 2, 125, 126, 127, 255} {
		rows = append(rows, catalogueRow{name: fmt.Sprint("status ", code), args: []string{"probe", "exit", fmt.Sprint(code)}, wantEnv: []string{}, wantCode: code})
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			if row.uid != 0 || row.root {
				requireRoot(t)
			}
			if row.emulated != "" {
				skipIfEmulated(t, row.emulated)
			}
			dir := openTempDir(t)
			expand := func(s string) string { return strings.ReplaceAll(s, "{dir}", dir) }
			all := func(prefix []string, list []string) []string {
				for _, s := range list {
					prefix = append(prefix, expand(s))
				}
				return prefix
			}
			makeFiles(t, dir, row.files, expand)
			r, path := run{path: row.path, uid: row.uid, broken: row.broken, args: all(nil, row.args), env: all(nil, row.env)}, []string{"PATH=" + binDir + ":/usr/bin:/bin"}
			if row.rawEnv != nil {
				r.rawEnv = all(path, row.rawEnv)
			}
			res := r.do(t)
			ws := res.state.Sys().(syscall.WaitStatus)
			if res.code != row.wantCode || ws.Signaled() && ws.Signal() != row.wantSignal || res.stderr != expand(row.wantStderr) || row.wantEnv == nil && res.stdout != expand(row.wantStdout) {
				t.Errorf("%v, stdout %q, stderr\n got: %q\nwant: %d (%v), %q, %q", res.state, res.stdout, res.stderr, row.wantCode, row.wantSignal, expand(row.wantStdout), expand(row.wantStderr))
			}
			if (row.sameCheck || row.check != nil) && !emulated(runtime.GOARCH, kernelArch()) { // noPtrace
				r.args = append([]string{"--check"}, r.args...)
				check := r.do(t)
				want := cmp.Or(row.check, &result{code: res.code, stdout: check.stdout, stderr: res.stderr}) // sameCheck: stdout aside
				if check.code != want.code || check.stdout != expand(want.stdout) || check.stderr != expand(want.stderr) {
					t.Errorf("--check: exit %d, stdout %q, stderr %q; want %d, %q, %q", check.code, check.stdout, check.stderr, want.code, expand(want.stdout), expand(want.stderr))
				}
			}
			if row.wantEnv != nil {
				if p, want := parseProbe(t, res.stdout), all(path, row.wantEnv); p.pid != res.pid || !slices.Equal(p.env, want) || row.wantArgs != nil && !slices.Equal(p.args, row.wantArgs) {
					t.Errorf("PID %d (shim's %d), environment\n got: %q\nwant: %q\narguments %q, want %q", p.pid, res.pid, p.env, want, p.args, row.wantArgs)
				}
			}
		})
	}
}

func makeFiles(t *testing.T, dir string, files []catalogueFile, expand func(string) string) {
	t.Helper()
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		var err error
		switch f.kind {
		case fifo:
			err = unix.Mkfifo(p, 0o600)
		case directory:
			err = os.Mkdir(p, 0o755)
		case symlink:
			err = os.Symlink(f.content, p)
		case sparse:
			writeSecret(t, dir, f.name, sentinel, 0o600)
			err = os.Truncate(p, 1<<30)
		case program, badLoader, arm64:
			err = copyTrue(p, f.kind, cmp.Or(f.mode, 0o755))
		case charDevice:
			err = unix.Mknod(p, unix.S_IFCHR|0o666, int(unix.Mkdev(5, 0)))
		case noexecDir:
			if err = os.Mkdir(p, 0o755); err == nil {
				err = unix.Mount("tmpfs", p, "tmpfs", unix.MS_NOEXEC, "mode=0755")
				t.Cleanup(func() { unix.Unmount(p, unix.MNT_DETACH) })
			}
		default:
			writeSecret(t, dir, f.name, expand(f.content), cmp.Or(f.mode, map[fileKind]os.FileMode{executable: 0o755}[f.kind], 0o600))
		}
		if err != nil {
			t.Skip(err)
		}
	}
}

// copyTrue writes a copy of the dynamically linked /bin/true: as it is, with
// a PT_INTERP naming a missing loader, or (from x86-64) marked arm64.
func copyTrue(to string, kind fileKind, mode os.FileMode) error {
	data, err := os.ReadFile("/bin/true")
	if err != nil {
		return err
	}
	if kind == arm64 {
		binary.LittleEndian.PutUint16(data[18:], uint16(elf.EM_AARCH64))
	}
	for _, old := range []string{"/lib64/ld-linux-x86-64.so.2", "/lib/ld-linux-aarch64.so.1", "/lib/ld-linux-armhf.so.3", "/lib/ld-linux.so.2"} {
		loader := cmp.Or(map[fileKind]string{badLoader: "/nonexistent/ld.so", arm64: "/lib/ld-linux-aarch64.so.1"}[kind], old) // a program keeps its own
		if i := bytes.Index(data, []byte(old+"\x00")); i >= 0 && len(loader) <= len(old) {
			copy(data[i:], loader+strings.Repeat("\x00", len(old)-len(loader)+1))
			return os.WriteFile(to, data, mode)
		}
	}
	return unix.ENOEXEC
}
