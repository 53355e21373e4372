//go:build linux

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// handOnAt is a maker of in-memory files that hands each on at path and
// keeps nothing.
func handOnAt(path string) func(string, []byte) (string, error) {
	return func(string, []byte) (string, error) { return path, nil }
}

func TestRender(t *testing.T) {
	files := fakeFiles{"/t": "user ${PW_USER:-app}\npass ${PW}\n", "/plain": "port 6379\n", "/pw": pw, "/two": "a\nb ${MULTI}\n", "/multi": "x\ny",
		"/unset": "a\n${NOPE}", "/form": "${PW:=x}", "/open": "${PW", "/nul": "ab\x00", "/big": strings.Repeat("x", 27), "/grows": "${PW}${PW}${PW}",
		"/denied": deniedFile, "/dir": dirFile, "/secrets": dirFile, "/lb": "x ${LB}\n"}
	render := func(items ...string) func(*request) {
		return func(r *request) {
			r.render = templates{items: items, read: files.read, handOn: handOnAt("/dev/fd/9"), entryLimit: r.entryLimit}.render
		}
	}
	noMemfd := func(r *request) { // as exec_other.go's stand-in answers
		r.render = templates{items: []string{"CONF=/plain"}, read: files.read, entryLimit: r.entryLimit,
			handOn: func(string, []byte) (string, error) {
				return "", errors.New("in-memory files are supported on Linux only")
			}}.render
	}
	in := func(p string) string { return "SHIM_RENDER: CONF: " + quote(p) + ": " }
	argHint := "\nhint: shim expands only ${NAME} and ${NAME:-default}; write $${ for a literal ${"
	env := []string{"PW_FILE=/pw", "MULTI_FILE=/multi"}
	cases := []resolveCase{
		{name: "each file reported with its size and the names it used, never its content", env: env, files: files,
			req: render("CONF=/t", "PLAIN=/plain"), want: []string{"PW=" + pw, "MULTI=x\ny", "CONF=/dev/fd/9", "PLAIN=/dev/fd/9"},
			wantReport: []string{"set PW from /pw (11 bytes)", "set MULTI from /multi (3 bytes)",
				"render CONF=/dev/fd/9 from /t (26 bytes, using PW)", "render PLAIN=/dev/fd/9 from /plain (10 bytes, no variables)"}},
		{name: "the path in the arguments, where it reveals nothing", env: env, files: files, args: []string{"redis-server", "${CONF}"}, req: render("CONF=/plain"),
			want: []string{"PW=" + pw, "MULTI=x\ny", "CONF=/dev/fd/9"}, wantArgs: []string{"redis-server", "/dev/fd/9"}},
		{name: "not NAME=/path", env: env, files: files, req: render("CONF"),
			wantErr: `SHIM_RENDER: CONF: not NAME=/path/to/template` + "\nhint: separate several with commas"},
		{name: "a relative path", env: env, files: files, req: render("CONF=t"),
			wantErr: `SHIM_RENDER: CONF=t: not NAME=/path/to/template` + "\nhint: separate several with commas"},
		{name: "the name is taken", env: append(env, "CONF=x"), files: files, req: render("CONF=/t"),
			wantErr: "SHIM_RENDER: CONF is already set; a rendered file would replace it"},
		{name: "a setting of shim's", env: env, files: files, req: render("SHIM_USER=/plain"),
			wantErr: "SHIM_RENDER: SHIM_USER: shim reads its settings from the environment only\nhint: set SHIM_USER itself"},
		{name: "a name twice", env: env, files: files, req: render("CONF=/plain", "CONF=/t"), wantErr: "SHIM_RENDER: CONF is named twice"},
		{name: "a value with a line break", env: env, files: files, req: render("CONF=/two"),
			wantErr: in("/two") + "line 2: MULTI holds a line break, which would add lines to the file\nhint: a value that spans lines belongs in a file the program opens by its path"},
		{name: "unset", env: env, files: files, req: render("CONF=/unset"),
			wantErr: in("/unset") + "line 2: NOPE is not set\nhint: set NOPE (or NOPE_FILE), write ${NOPE:-} to allow an empty value, or $${ for a literal ${"},
		{name: "another shell form", env: env, files: files, req: render("CONF=/form"), wantErr: in("/form") + `line 1: a ${...} that is not ${NAME} or ${NAME:-default}` + argHint},
		{name: "unclosed", env: env, files: files, req: render("CONF=/open"), wantErr: in("/open") + "line 1: ${ without a closing }" + argHint},
		{name: "a NUL", env: env, files: files, req: render("CONF=/nul"), wantErr: in("/nul") + "contains a NUL byte (at offset 2)"},
		{name: "a template as large as a secret may be", env: env, files: files, req: render("CONF=/big"), entryLimit: 33,
			want: []string{"PW=" + pw, "MULTI=x\ny", "CONF=/dev/fd/9"}},
		{name: "one byte more", env: env, files: files, req: render("CONF=/big"), entryLimit: 32, wantErr: in("/big") + "over the limit of 26 bytes for a template"},
		{name: "too large once filled", env: env, files: files, req: render("CONF=/grows"), entryLimit: 32, wantErr: in("/grows") + "filled, over the limit of 26 bytes for a template"},
		{name: "not mounted", env: env, files: files, req: render("CONF=/none"),
			wantErr: "SHIM_RENDER: CONF: open /none: no such file or directory\nhint: the template is probably not mounted: compare the service's configs: (Compose, Swarm) or the ConfigMap's items (Kubernetes) with what the container has (ls -la / in it)"},
		{name: "denied", env: env, files: files, req: render("CONF=/denied"),
			wantErr: "SHIM_RENDER: CONF: open /denied: permission denied\nhint: /denied is owned by uid 1000 gid 1000 with mode 0600 and shim runs as uid 999; run shim as root and set SHIM_USER to read secrets first and then drop privileges"},
		{name: "no in-memory file, and no hint about ${...}", env: env, files: files, req: noMemfd,
			wantErr: "SHIM_RENDER: CONF: in-memory files are supported on Linux only"},
		{name: "a directory", env: env, files: files, req: render("CONF=/dir"), wantErr: "SHIM_RENDER: CONF: open /dir: not a regular file (a directory)"},
	}
	for _, r := range "\v\f\x1c\x1d\x1e\u0085\u2028\u2029" { // Python's str.splitlines breaks at each, YAML 1.1 at the last three
		cases = append(cases, resolveCase{name: fmt.Sprintf("a value with %U", r), env: append(env, "LB=a"+string(r)+"b"), files: files, req: render("CONF=/lb"),
			wantErr: in("/lb") + "line 1: LB holds a line break, which would add lines to the file\nhint: a value that spans lines belongs in a file the program opens by its path"})
	}
	runResolveCases(t, cases)
}

// TestRenderedConfig, issue 21's promise: a secret rendered into a file only
// in memory, which the command opens as another user, is in no argument, file
// on disk or output of shim's.
func TestRenderedConfig(t *testing.T) {
	requireRoot(t)
	skipIfEmulated(t, "qemu-user answers /proc/self for the emulator")
	dir := openTempDir(t)
	template := "requirepass \"${REDIS_PASSWORD}\"\r\nport ${REDIS_PORT:-6379}\n# $${literal}, $HOME and $ as they are, no final newline"
	os.WriteFile(dir+"/redis.conf.in", []byte(template), 0o600) // for root only: read before the switch
	os.WriteFile(dir+"/pw", []byte(sentinel+"\n"), 0o600)
	env := []string{"REDIS_PASSWORD_FILE=" + dir + "/pw", "SHIM_RENDER=CONF=" + dir + "/redis.conf.in", "SHIM_USER=nobody"}
	rendered := strings.NewReplacer("${REDIS_PASSWORD}", sentinel, "${REDIS_PORT:-6379}", "6379", "$${", "${").Replace(template)
	unshareNoDevFd := []string{"--mount", "sh", "-c", `mount -t tmpfs none /dev && exec "$@"`, "sh", shimPath}
	for _, tc := range []struct {
		name, fdDir string
		path        string
		args        []string
	}{
		{"where /dev/fd exists", "/dev/fd/", "", nil},
		{"without /dev/fd, as in FROM scratch", "/proc/self/fd/", "/usr/bin/unshare", unshareNoDevFd},
	} {
		args := append(slices.Clone(tc.args), "probe", "read", "${CONF}")
		res := run{path: tc.path, args: args, env: append(env, "SHIM_VERBOSE=true")}.do(t)
		p := parseProbe(t, res.stdout)
		conf := strings.TrimPrefix(p.env[slices.IndexFunc(p.env, func(kv string) bool { return strings.HasPrefix(kv, "CONF=") })], "CONF=")
		fd := strings.TrimPrefix(conf, tc.fdDir)
		if res.code != 0 || fd == conf || !slices.Equal(p.args, []string{"probe", "read", conf}) {
			t.Fatalf("%s: exit %d, arguments %q, CONF=%s; stdout %q, stderr %q", tc.name, res.code, p.args, conf, res.stdout, res.stderr)
		}
		want := fmt.Sprintf("read %q\n", rendered+fmt.Sprintf("--\nlink /memfd:shim:CONF (deleted)\nmode -r-------- owner 65534 seals %#x, read by uid 65534",
			unix.F_SEAL_WRITE|unix.F_SEAL_GROW|unix.F_SEAL_SHRINK|unix.F_SEAL_SEAL))
		if got := res.stdout[strings.Index(res.stdout, "\nread ")+1:]; got != want {
			t.Errorf("%s: the command read\n%s\nwant\n%s", tc.name, got, want)
		}
		line := fmt.Sprintf("shim: render CONF=%s from %s/redis.conf.in (%d bytes, using REDIS_PASSWORD)\n", conf, dir, len(rendered))
		if !strings.Contains(res.stderr, line) {
			t.Errorf("%s: SHIM_VERBOSE says\n%s\nwithout the line\n%s", tc.name, res.stderr, line)
		}
		check := run{path: tc.path, args: append(slices.Clone(tc.args), "--check", "probe", "${CONF}"), env: env}.do(t)
		if !strings.Contains(check.stdout, strings.TrimPrefix(line, "shim: ")) || check.code != 0 {
			t.Errorf("%s: --check exits %d and says\n%s\nwithout the line\n%s", tc.name, check.code, check.stdout, line)
		}
	}
	filepath.WalkDir(dir, func(p string, _ os.DirEntry, _ error) error {
		if b, _ := os.ReadFile(p); p != dir+"/pw" && strings.Contains(string(b), sentinel) {
			t.Errorf("%s holds the secret", p)
		}
		return nil
	})
}

// refuseCall installs, for this thread and what it execs, a seccomp filter
// that answers system call nr with action.
func refuseCall(nr, action uint32) {
	filter := []unix.SockFilter{
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 0}, // seccomp_data.nr
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, K: nr, Jf: 1},
		{Code: unix.BPF_RET | unix.BPF_K, K: action},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
	}
	runtime.LockOSThread()
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		panic(err)
	}
	fprog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	if err := unix.Prctl(unix.PR_SET_SECCOMP, unix.SECCOMP_MODE_FILTER, uintptr(unsafe.Pointer(&fprog)), 0, 0); err != nil {
		panic(err)
	}
}

// readBack is the probe's read action: the file at p as the command sees
// it, and whether it is the sealed in-memory file it should be.
func readBack(p string) string {
	b, _ := os.ReadFile(p)
	link, _ := os.Readlink(p)
	var st syscall.Stat_t
	syscall.Stat(p, &st)
	f, _ := os.Open(p)
	seals, _ := unix.FcntlInt(f.Fd(), unix.F_GET_SEALS, 0)
	return fmt.Sprintf("read %q\n", fmt.Sprintf("%s--\nlink %s\nmode %v owner %d seals %#x, read by uid %d",
		b, link, os.FileMode(st.Mode&0o777), st.Uid, seals, os.Getuid()))
}
