//go:build linux

package main

// The bad-input catalogue: one row per input that needs a real process to
// judge, with the exact exit status and stderr the real binary must give.
// Every file the rows create holds the sentinel, and run.do fails a row
// whose output shows it.

import (
	"bytes"
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
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
	badLoader  // a copy of /bin/true whose PT_INTERP names a missing loader
	executable // a regular file with mode 0755
	noexecDir  // a directory with a tmpfs mounted noexec on it (needs root)
	charDevice // /dev/tty's numbers (needs root)
)

type catalogueFile struct {
	name    string
	kind    fileKind
	content string
	mode    os.FileMode // 0600 unless set
}

type catalogueRow struct {
	name       string
	files      []catalogueFile // created in {dir}
	env        []string
	rawEnv     []string // passed as is, duplicates included, instead of env
	args       []string
	uid        int
	sameCheck  bool     // --check must give the same status and stderr
	emulated   string   // why qemu-user cannot reproduce the row, if it cannot
	wantEnv    []string // when set, the command's whole environment after PATH
	wantCode   int
	wantStderr string
}

func TestBadInputCatalogue(t *testing.T) {
	const dirHint = "shim: hint: a file in a secrets directory that is not a secret can be moved out of it, or the directory left out of SHIM_SECRETS_DIR\n"
	const skipHint = "shim: hint: if S_FILE holds a path for the program to open itself, add it to SHIM_SKIP\n"
	limit := maxEntry() - len("AT=") - 1
	atLimit := sentinel + strings.Repeat("x", limit-len(sentinel))
	rows := []catalogueRow{
		// One pure failure, for the prefix, the hint lines and the status.
		{name: "missing file", env: []string{"S_FILE={dir}/missing"}, args: []string{"probe"}, wantCode: 125, wantStderr: "shim: S_FILE: open {dir}/missing: no such file or directory\n" + "shim: hint: the secret is probably not mounted: compare the service's secrets: list (Compose, Swarm) or the volume's items (Kubernetes) with what the container has (ls -la {dir} in it)\n" + skipHint},

		// Files the kernel judges.
		{name: "unreadable file", uid: 65534, files: []catalogueFile{{name: "s", content: sentinel}}, env: []string{"S_FILE={dir}/s"}, args: []string{"probe"}, wantCode: 125, wantStderr: "shim: S_FILE: open {dir}/s: permission denied\n" + "shim: hint: {dir}/s is owned by uid 0 gid 0 with mode 0600 and shim runs as uid 65534; run shim as root and set SHIM_USER to read secrets first and then drop privileges\n" + skipHint},
		{name: "directory", files: []catalogueFile{{name: "d", kind: directory}}, env: []string{"S_FILE={dir}/d"}, args: []string{"probe"}, wantCode: 125, wantStderr: "shim: S_FILE: read {dir}/d: is a directory\n" + skipHint},
		{name: "/dev/zero", env: []string{"S_FILE=/dev/zero"}, args: []string{"probe"}, wantCode: 125, wantStderr: "shim: S_FILE: /dev/zero: too large for one environment variable (the file may be at most 131069 bytes)\n" + skipHint},
		{name: "1 GiB sparse file", files: []catalogueFile{{name: "big", kind: sparse}}, env: []string{"S_FILE={dir}/big"}, args: []string{"probe"}, wantCode: 125, wantStderr: "shim: S_FILE: {dir}/big: too large for one environment variable (the file may be at most 131069 bytes)\n" + skipHint},
		{name: "exactly at the entry limit", files: []catalogueFile{{name: "at", content: atLimit}}, env: []string{"AT_FILE={dir}/at"}, args: []string{"probe"}, wantEnv: []string{"AT=" + atLimit}},
		{name: "one byte over the entry limit", files: []catalogueFile{{name: "at", content: atLimit + "x"}}, env: []string{"AT_FILE={dir}/at"}, args: []string{"probe"}, wantCode: 125, wantStderr: "shim: AT_FILE: {dir}/at: too large for one environment variable (the file may be at most 131068 bytes)\n" + "shim: hint: if AT_FILE holds a path for the program to open itself, add it to SHIM_SKIP\n"},
		{name: "at the limit once trimmed is still too large", files: []catalogueFile{{name: "at", content: atLimit + "\n"}}, env: []string{"AT_FILE={dir}/at"}, args: []string{"probe"}, wantCode: 125, wantStderr: "shim: AT_FILE: {dir}/at: too large for one environment variable (the file may be at most 131068 bytes)\n" + "shim: hint: if AT_FILE holds a path for the program to open itself, add it to SHIM_SKIP\n"},
		{name: "a dangling link in a secrets directory", files: []catalogueFile{{name: "d", kind: directory}, {name: "d/pw", kind: symlink, content: "..data/pw"}}, env: []string{"SHIM_SECRETS_DIR={dir}/d"}, args: []string{"probe"}, wantCode: 125, wantStderr: "shim: PW from SHIM_SECRETS_DIR: open {dir}/d/pw: a symbolic link to a file that does not exist\n" + "shim: hint: the secret is probably not mounted: compare the service's secrets: list (Compose, Swarm) or the volume's items (Kubernetes) with what the container has (ls -la {dir}/d in it)\n" + dirHint},
		{name: "a FIFO in a secrets directory is refused without blocking", files: []catalogueFile{{name: "d", kind: directory}, {name: "d/f", kind: fifo}}, env: []string{"SHIM_SECRETS_DIR={dir}/d"}, args: []string{"probe"}, wantCode: 125, wantStderr: "shim: F from SHIM_SECRETS_DIR: open {dir}/d/f: not a regular file (a named pipe)\n" + dirHint},
		{name: "a character device in a secrets directory is refused unopened", files: []catalogueFile{{name: "d", kind: directory}, {name: "d/tty", kind: charDevice}}, env: []string{"SHIM_SECRETS_DIR={dir}/d"}, args: []string{"probe"}, wantCode: 125, wantStderr: "shim: TTY from SHIM_SECRETS_DIR: open {dir}/d/tty: not a regular file (a character device)\n" + dirHint},
		{name: "a symlink loop in a secrets directory", files: []catalogueFile{{name: "d", kind: directory}, {name: "d/loop", kind: symlink, content: "loop"}}, env: []string{"SHIM_SECRETS_DIR={dir}/d"}, args: []string{"probe"}, wantCode: 125, wantStderr: "shim: LOOP from SHIM_SECRETS_DIR: open {dir}/d/loop: too many levels of symbolic links\n" + dirHint},
		{name: "a newline in a file name cannot forge a line", files: []catalogueFile{{name: "d", kind: directory}, {name: "d/evil\nshim: hint: everything is fine", kind: directory}}, env: []string{"SHIM_SECRETS_DIR={dir}/d"}, args: []string{"probe"}, wantCode: 125, wantStderr: "shim: EVIL_SHIM__HINT__EVERYTHING_IS_FINE from SHIM_SECRETS_DIR: open \"{dir}/d/evil\\nshim: hint: everything is fine\": not a regular file (a directory)\n" + dirHint},

		// The incoming environment as the kernel hands it over.
		{name: "duplicate names: the first wins", emulated: reversedEnv, files: []catalogueFile{{name: "s", content: sentinel}}, rawEnv: []string{"A=1", "S_FILE={dir}/s", "A=2", "S_FILE=/nonexistent"}, args: []string{"probe"}, wantEnv: []string{"A=1", "S=" + sentinel}},
		{name: "an entry with an empty name or no =", emulated: "qemu-user drops an entry without = before the guest starts", rawEnv: []string{"=X_FILE=/nonexistent", "NOEQUALS", "B=1"}, args: []string{"probe"}, wantEnv: []string{"=X_FILE=/nonexistent", "NOEQUALS", "B=1"}},

		// SHIM_* settings that are wrong, or empty where empty would fail open.
		{name: "SHIM_TRIM not a boolean", env: []string{"SHIM_TRIM=maybe"}, args: []string{"probe"}, wantCode: 125, wantStderr: "shim: SHIM_TRIM=maybe: not a boolean (use true or false)\n"},
		{name: "SHIM_VERBOSE empty", env: []string{"SHIM_VERBOSE="}, args: []string{"probe"}, wantCode: 125, wantStderr: "shim: SHIM_VERBOSE=\"\": not a boolean (use true or false)\n"},
		{name: "SHIM_SKIP bad pattern", env: []string{"SHIM_SKIP=A,[B"}, args: []string{"probe"}, wantCode: 125, wantStderr: "shim: SHIM_SKIP: bad pattern [B: syntax error in pattern\n"},
		{name: "SHIM_ONLY bad pattern", env: []string{"SHIM_ONLY=A_[FILE"}, args: []string{"--check", "probe"}, wantCode: 125, wantStderr: "shim: SHIM_ONLY: bad pattern A_[FILE: syntax error in pattern\n"},
		{name: "SHIM_SUFFIX empty", env: []string{"SHIM_SUFFIX="}, args: []string{"probe"}, wantCode: 125, wantStderr: "shim: SHIM_SUFFIX is empty; it names the suffix of variables to expand, _FILE by default\n"},
		{name: "SHIM_ONLY naming no pattern", env: []string{"SHIM_ONLY= ,"}, args: []string{"probe"}, wantCode: 125, wantStderr: "shim: SHIM_ONLY is set but names no pattern; unset it to expand every _FILE, or list the names to expand\n"},
		{name: "SHIM_ONLY empty", env: []string{"SHIM_ONLY="}, args: []string{"probe"}, wantCode: 125, wantStderr: "shim: SHIM_ONLY is set but names no pattern; unset it to expand every _FILE, or list the names to expand\n"},

		{name: "an empty string in the environment block is dropped by Go's runtime", rawEnv: []string{"", "B=1", ""}, args: []string{"probe"}, wantEnv: []string{"B=1"}},

		// The command line.
		{name: "usage: no command", wantCode: 125, wantStderr: "shim: no command given\n" + usageLine + "\nrun 'shim --help' for more\n"},
		{name: "usage: only --", args: []string{"--"}, wantCode: 125, wantStderr: "shim: no command given\n" + usageLine + "\nrun 'shim --help' for more\n"},
		{name: "usage: unknown option", args: []string{"--chek", "probe"}, wantCode: 125, wantStderr: "shim: unknown option --chek (shim's options come before the command; use -- to end them)\n" + usageLine + "\nrun 'shim --help' for more\n"},

		// Commands: what execve decides, and --check must say the same.
		{name: "unknown command", args: []string{"no-such-command"}, sameCheck: true, wantCode: 127, wantStderr: "shim: exec no-such-command: not found in PATH\n"},
		{name: "no such path", args: []string{"{dir}/nope"}, sameCheck: true, wantCode: 127, wantStderr: "shim: exec {dir}/nope: no such file or directory\n"},
		{name: "a path through a file", args: []string{"/etc/passwd/x"}, sameCheck: true, wantCode: 127, wantStderr: "shim: exec /etc/passwd/x: not a directory\n"},
		{name: "a command name from a secret is not shown", files: []catalogueFile{{name: "bin", content: sentinel + "-cmd"}}, env: []string{"BIN_FILE={dir}/bin"}, args: []string{"${BIN}"}, sameCheck: true, wantCode: 127, wantStderr: "shim: exec ${BIN}: not found in PATH\n"},
		{name: "empty command", args: []string{"${EMPTY:-}"}, sameCheck: true, wantCode: 127, wantStderr: "shim: exec ${EMPTY:-}: the command is empty\n"},
		{name: "not executable", files: []catalogueFile{{name: "plain", content: "#!/bin/sh\n", mode: 0o644}}, args: []string{"{dir}/plain"}, sameCheck: true, wantCode: 126, wantStderr: "shim: exec {dir}/plain: permission denied\nshim: hint: the file is not executable for uid 0 (chmod +x, or its owner and mode)\n"},
		{name: "missing interpreter", files: []catalogueFile{{name: "script", kind: executable, content: "#!/nonexistent/bash -e\necho hi\n"}}, args: []string{"{dir}/script"}, sameCheck: true, wantCode: 126, wantStderr: "shim: exec {dir}/script: no such file or directory\nshim: hint: the file exists, so what is missing is its interpreter /nonexistent/bash\n"},
		{name: "relative interpreter", files: []catalogueFile{{name: "script", kind: executable, content: "#!sh\n"}}, args: []string{"{dir}/script"}, sameCheck: true, wantCode: 126, wantStderr: "shim: exec {dir}/script: no such file or directory\nshim: hint: the file exists, so what is missing is its interpreter sh\n"},
		{name: "interpreter is a directory", files: []catalogueFile{{name: "script", kind: executable, content: "#!/tmp\n"}}, args: []string{"{dir}/script"}, sameCheck: true, wantCode: 126, wantStderr: "shim: exec {dir}/script: permission denied\nshim: hint: its interpreter /tmp is not a regular file\n"},
		{name: "interpreter is a script with a missing interpreter", files: []catalogueFile{{name: "inner", kind: executable, content: "#!/nonexistent/sh\n"}, {name: "outer", kind: executable, content: "#!{dir}/inner\n"}}, args: []string{"{dir}/outer"}, sameCheck: true, wantCode: 126, wantStderr: "shim: exec {dir}/outer: no such file or directory\nshim: hint: the file exists, so what is missing is its interpreter /nonexistent/sh\n"},
		{name: "empty #! line", files: []catalogueFile{{name: "script", kind: executable, content: "#!\n"}}, args: []string{"{dir}/script"}, sameCheck: true, wantCode: 126, wantStderr: "shim: exec {dir}/script: exec format error\nshim: hint: a #! line that names no interpreter, or one cut off at 255 bytes\n"},
		{name: "missing dynamic loader", emulated: "the loader is patched into the host's /bin/true, no program for the emulated machine", files: []catalogueFile{{name: "prog", kind: badLoader}}, args: []string{"{dir}/prog"}, sameCheck: true, wantCode: 126, wantStderr: "shim: exec {dir}/prog: no such file or directory\nshim: hint: the file exists, so what is missing is its dynamic loader /nonexistent/ld.so (a dynamically linked binary in an image without its libc)\n"},
		{name: "directory as command", args: []string{"{dir}"}, sameCheck: true, wantCode: 126, wantStderr: "shim: exec {dir}: is a directory\n"},
		{name: "a program on a noexec mount", files: []catalogueFile{{name: "noexec", kind: noexecDir}, {name: "noexec/prog", kind: executable, content: "#!/bin/sh\n"}}, args: []string{"{dir}/noexec/prog"}, sameCheck: true, wantCode: 126, wantStderr: "shim: exec {dir}/noexec/prog: permission denied\nshim: hint: the file is on a file system mounted noexec\n"},
	}
	// The command's own status passes through.
	for _, code := range []int{0, 1, 2, 125, 126, 127, 255} {
		rows = append(rows, catalogueRow{name: fmt.Sprint("status ", code), args: []string{"probe", "exit", fmt.Sprint(code)}, wantCode: code})
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			if row.uid != 0 || row.name == "a program on a noexec mount" {
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
			r, path := run{uid: row.uid, args: all(nil, row.args), env: all(nil, row.env)}, []string{"PATH=" + binDir + ":/usr/bin:/bin"}
			if row.rawEnv != nil {
				r.rawEnv = all(path, row.rawEnv)
			}
			res := r.do(t)
			if res.code != row.wantCode || res.stderr != expand(row.wantStderr) {
				t.Errorf("exit %d, stderr\n got: %q\nwant: %d, %q", res.code, res.stderr, row.wantCode, expand(row.wantStderr))
			}
			if row.sameCheck {
				r.args = append([]string{"--check"}, r.args...)
				if check := r.do(t); check.code != res.code || check.stderr != res.stderr {
					t.Errorf("--check says exit %d, stderr %q; the run %d, %q", check.code, check.stderr, res.code, res.stderr)
				}
			}
			if row.wantEnv != nil {
				if p, want := parseProbe(t, res.stdout), all(path, row.wantEnv); p.pid != res.pid || !slices.Equal(p.env, want) {
					t.Errorf("PID %d (shim's %d), environment\n got: %q\nwant: %q", p.pid, res.pid, p.env, want)
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
		case badLoader:
			err = withBadLoader(p)
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

// withBadLoader writes a copy of a dynamically linked /bin/true whose
// PT_INTERP names a loader that does not exist, as a glibc binary copied
// into a static image would have.
func withBadLoader(to string) error {
	data, err := os.ReadFile("/bin/true")
	if err != nil {
		return err
	}
	for _, loader := range []string{"/lib64/ld-linux-x86-64.so.2", "/lib/ld-linux-aarch64.so.1", "/lib/ld-linux-armhf.so.3", "/lib/ld-linux.so.2"} {
		if i := bytes.Index(data, []byte(loader+"\x00")); i >= 0 {
			bad := "/nonexistent/ld.so"
			copy(data[i:], bad+strings.Repeat("\x00", len(loader)-len(bad)+1))
			return os.WriteFile(to, data, 0o755)
		}
	}
	return unix.ENOEXEC
}
