//go:build linux

package main

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The test binary as deathsig prints /proc/self/status, its parent-death signal, HOME and S; as
// userns cmd... it runs cmd in a user namespace mapping ids 0-999 with setgroups allowed.
func init() {
	switch filepath.Base(os.Args[0]) {
	case "deathsig":
		var sig int
		unix.Prctl(unix.PR_GET_PDEATHSIG, uintptr(unsafe.Pointer(&sig)), 0, 0, 0) // the main thread: Go locks it during init
		status, _ := os.ReadFile("/proc/self/status")
		fmt.Printf("%sPDeathSig:\t%d\nHOME:\t%s\nSecret:\t%s\n", status, sig, quote(os.Getenv("HOME")), os.Getenv("S"))
		os.Exit(0)
	case "userns":
		ids := []syscall.SysProcIDMap{{Size: 1000}}
		cmd := exec.Command(os.Args[1], os.Args[2:]...)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWUSER, UidMappings: ids, GidMappings: ids, GidMappingsEnableSetgroups: true}
		cmd.Run()
		os.Exit(cmd.ProcessState.ExitCode())
	}
}

const fixturePasswd = `root:x:0:0:root:/root:/bin/sh
# a comment, a commented-out entry, and a line too short to be an entry
#old:x:1000:0::/root:
redis:x:999:999::/data:/usr/sbin/nologin
short:x:1006
app:x:1000:1000:App:/home/app:/bin/sh
nohome:x:1001:1001:::/bin/sh
spaced:x:1002:1002::/home/a b:/bin/sh
broken:x:abc:1:::
:x:1003:1003::/nameless:/bin/sh

 	lead:x:1004:1004::/lead:/bin/sh
nul:x:1005:1005::/ho` + "\x00" + `me:/bin/sh
`

const fixtureGroup = `root:x:0:
redis:x:999:
#old:x:3000:redis
app:x:1000:
extra:x:2000:redis,app
other:x:2001:app
`

// TestParseUser: SHIM_USER against the fixture files (which line is an
// entry, comments and blanks included: TestFindEntryModel).
func TestParseUser(t *testing.T) {
	for _, tc := range []struct{ spec, want string }{
		{"redis", "uid 999 gid 999 groups [999 2000] HOME=/data, no capabilities"},            // not in the commented-out group 3000
		{"1000", "uid 1000 gid 1000 groups [1000 2000 2001] HOME=/home/app, no capabilities"}, // not #old's gid 0 and /root, as getent passwd 1000
		{"redis:extra", "uid 999 gid 2000 groups [2000] HOME=/data, no capabilities"},
		{"redis:05", "uid 999 gid 5 groups [5] HOME=/data, no capabilities"},
		{":2000", "uid 0 gid 2000 groups [2000] HOME=/root, capabilities kept"},
		{"1003", "uid 1003 gid 1003 groups [1003] HOME=/nameless, no capabilities"}, // no name: a member of no group
		{"nohome", "uid 1001 gid 1001 groups [1001] HOME=/, no capabilities"},
		{"spaced", `uid 1002 gid 1002 groups [1002] HOME="/home/a b", no capabilities`},
		{"nul", `error: the entry of user "nul" in /etc/passwd holds a NUL byte`},
		{"1005", `error: the entry of user "nul" in /etc/passwd holds a NUL byte`},
		{"bo\ngus", `error: no user "bo\ngus" in /etc/passwd`},
		{"redis:bogus", `error: no group "bogus" in /etc/group`},
		{"4294967295", "error: uid out of range (0-4294967294)"},
		{"1:99999999999999999999", "error: gid out of range (0-4294967294)"},
		{"redis:", "error: no group after the colon"},
		{"", "error: no user"},
		{"-1", `error: no user "-1" in /etc/passwd`},
		{"broken", `error: user "broken" has a bad uid in /etc/passwd`},
		{"scratch/1234", "uid 1234 gid 1234 groups [1234] HOME=/, no capabilities"},
		{"scratch/redis", `error: no /etc/passwd to look up user "redis" in; use a numeric uid`},
		{"scratch/1:redis", `error: no /etc/group to look up group "redis" in; use a numeric gid`},
	} {
		passwd, group := []byte(fixturePasswd), []byte(fixtureGroup)
		spec, scratch := strings.CutPrefix(tc.spec, "scratch/") // no account files, as in a FROM scratch image
		if scratch {
			passwd, group = nil, nil
		}
		c, err := parseUser(spec, passwd, group, 0)
		got := c.String()
		if err != nil {
			got = "error: " + err.Error()
		}
		if got != tc.want {
			t.Errorf("SHIM_USER=%q:\n got %q\nwant %q", tc.spec, got, tc.want)
		}
	}
}

// TestFindEntryModel: on generated files findEntry agrees with a model of
// glibc's files backend, and as root the model with getent(1) on the file.
func TestFindEntryModel(t *testing.T) {
	model := func(file, key string) string {
		for _, line := range strings.Split(file, "\n") {
			line = strings.TrimLeft(line, " \t\n\v\f\r") // isspace in the C locale
			if f := strings.SplitN(line, ":", 7); len(f) >= 4 && line[0] != '#' && (f[0] == key || f[2] == key) {
				return strings.Join(append(f, make([]string, 7-len(f))...), ":") + "\n"
			}
		}
		return ""
	}
	keys := []string{"a", "b", "1000", "1001", "1002"}
	unshare, err := exec.LookPath("unshare")
	for seed := range runs(400) {
		rng := rand.New(rand.NewPCG(seed, 23))
		pick := func(s ...string) string { return s[rng.IntN(len(s))] }
		var b, want strings.Builder
		for range rng.IntN(8) {
			f := []string{pick("a", "b", ""), "x", pick("1000", "1001", "1002"), pick("1000", "5"), pick("", "#g"), pick("", "/h", "/a b"), pick("", "/bin/sh")}
			n := rng.IntN(len(f) + 1)
			b.WriteString(pick("", "", " ", "\t", "\v\f", "\r") + pick("", "", "", "#") + strings.Join(f[:n], ":") + map[bool]string{false: "\n", true: "\r\n"}[n > 4 && rng.IntN(3) == 0]) // glibc skips a gid "5\r"
		}
		file := b.String()
		if seed >= 25 { // glibc 2.36 misreads some last lines without a newline ("\rb:x:1:1:#g" after a comment)
			file = strings.TrimSuffix(file, pick("", "\n"))
		}
		for _, key := range keys {
			got, w := findEntry([]byte(file), func(f []string) bool { return f[0] == key || f[2] == key }), model(file, key)
			if (got == nil) != (w == "") || got != nil && strings.Join(got, ":")+"\n" != w {
				t.Fatalf("seed %d, key %q, file %q: findEntry %q, model %q", seed, key, file, got, w)
			}
			want.WriteString(w + "--\n")
		}
		if seed < 25 && err == nil && os.Geteuid() == 0 {
			path := writeSecret(t, t.TempDir(), "passwd", file, 0o644)
			out, err := exec.Command(unshare, append([]string{"-m", "sh", "-c", `mount --bind "$0" /etc/passwd && for k; do getent passwd "$k"; echo --; done`, path}, keys...)...).Output()
			if err != nil || string(out) != want.String() {
				t.Fatalf("seed %d, file %q: getent %q (%v), model %q", seed, file, out, err, want.String())
			}
		}
	}
}

// credCase runs a command through shim with --check, then for real: its ids,
// groups, capabilities and HOME are what the run-as line says, the rest as a
// direct exec's; or both stop with the same words.
type credCase struct {
	name, path string   // path: PATH when not binDir:/usr/bin:/bin
	wrap, env  []string // wrap starts shim: setpriv, prlimit, unshare
	cmd        []string // deathsig in PATH when nil
	uid, times int
	groups     []uint32
	code       int
	want       string // code != 0: what both print; else what the report or the command holds
	checkNote  string // after --check's exec line: why only a run can tell
}

func (c credCase) start(t *testing.T, argv ...string) result {
	argv = append(slices.Clone(c.wrap), argv...)
	env := append([]string{"PATH=" + cmp.Or(c.path, binDir+":/usr/bin:/bin")}, c.env...)
	return run{path: argv[0], args: argv[1:], rawEnv: env, uid: c.uid, groups: c.groups}.do(t)
}

func (c credCase) test(t *testing.T) {
	if slices.Contains(c.wrap, "") {
		t.Skip("a tool is missing, or emulated")
	}
	fields, exe, direct := []string{"Uid", "Gid", "Groups", "CapInh", "CapPrm", "CapEff", "CapAmb", "PDeathSig", "HOME"}, binDir+"/deathsig", ""
	if c.cmd == nil {
		c.cmd = []string{"deathsig"}
	} else if c.cmd[0] == "/bin/cat" {
		fields, exe = fields[:7], c.cmd[0]
	}
	for i := range max(c.times, 1) {
		check, res := c.start(t, append([]string{shimPath, "--check"}, c.cmd...)...), c.start(t, append([]string{shimPath}, c.cmd...)...)
		if c.code != 0 || check.code != 0 {
			if check.code != c.code || res.code != c.code || check.stderr != c.want || res.stderr != c.want {
				t.Fatalf("start %d: --check exit %d, run exit %d, want %d; stderr\n--check: %q\n    run: %q\n   want: %q", i, check.code, res.code, c.code, check.stderr, res.stderr, c.want)
			}
			continue
		}
		if res.code != 0 || !strings.HasSuffix("\n"+check.stdout, "\nexec "+exe+c.checkNote+"\n") || !strings.Contains(check.stdout+res.stdout, c.want) {
			t.Fatalf("start %d: --check %.300q; run exit %d, stderr %q; neither holds %q:\n%.3000s", i, check.stdout, res.code, res.stderr, c.want, res.stdout)
		}
		if direct == "" {
			direct = c.start(t, append([]string{exe}, c.cmd[1:]...)...).stdout
		}
		_, runAs, switched := strings.Cut(check.stdout, "run as ")
		runAs, _, _ = strings.Cut(runAs, "\n")
		var uid, gid string
		fmt.Sscanf(runAs, "uid %s gid %s", &uid, &gid)
		for _, name := range fields {
			got, want := statusField(res.stdout, name), statusField(direct, name)
			switch {
			case !switched: // as a direct exec
			case name == "Uid" || name == "Gid":
				id := map[string]string{"Uid": uid, "Gid": gid}[name]
				want = strings.Repeat(id+"\t", 3) + id
			case name == "Groups": // the primary group counts as a member
				got, want = memberOf(got, gid), memberOf(runAs[strings.Index(runAs, "[")+1:strings.Index(runAs, "]")], gid)
			case name == "HOME":
				want = runAs[strings.Index(runAs, "HOME=")+5 : strings.LastIndex(runAs, ", ")]
			case strings.HasPrefix(name, "Cap") && strings.HasSuffix(runAs, ", no capabilities"):
				want = "0000000000000000"
			}
			if got != want {
				t.Errorf("start %d: %s %.200q, want %.200q (run as %.200s)", i, name, got, want, runAs)
			}
		}
	}
}

func statusField(status, name string) string {
	_, v, _ := strings.Cut("\n"+status, "\n"+name+":\t")
	v, _, _ = strings.Cut(v, "\n")
	return strings.TrimSpace(v)
}

func memberOf(groups, gid string) string {
	list := append(strings.Fields(groups), gid)
	slices.Sort(list)
	return strings.Join(slices.Compact(list), " ")
}

func notRoot(spec string, uid int) string {
	return fmt.Sprintf("shim: SHIM_USER=%s: operation not permitted (running as uid %d)\n", spec, uid) +
		"shim: hint: shim must start as root to switch users: remove USER from the image or set user: \"0\" for the service, and let SHIM_USER drop privileges\n"
}

// TestCredentialsExactly: from every kind of start, the command runs with
// exactly the credentials --check reports, or both stop alike.
func TestCredentialsExactly(t *testing.T) {
	skipIfEmulated(t, "qemu-user keeps its own credential and signal state")
	requireRoot(t)
	tool := func(name string) string { p, _ := exec.LookPath(name); return p }
	for _, name := range []string{"deathsig", "userns"} {
		os.Symlink(shimPath, filepath.Join(binDir, name))
	}
	dir := openTempDir(t)
	private := filepath.Join(dir, "private") // only root may enter
	os.Mkdir(private, 0o700)
	writeSecret(t, private, "deathsig", "#!/bin/sh\n", 0o755)
	writeSecret(t, private, "mycmd", "#!/bin/sh\n", 0o755)
	writeSecret(t, dir, "script", "#!/bin/sh\n", 0o700)
	copyTrue(dir+"/binary", program, 0o700)
	blocked, secret, users := writeSecret(t, private, "pw", sentinel, 0o644), writeSecret(t, dir, "pw", "read as root\n", 0o600), writeSecret(t, dir, "users", sentinel, 0o600)
	os.Chown(users, 1000, 1000)
	etc := func(n int) []string { // the fixture files, app in n more groups, on /etc; none if n < 0
		d, b := openTempDir(t), strings.Builder{}
		for i := range n {
			fmt.Fprintf(&b, "g%d:x:%d:app\n", i, 200000+i)
		}
		if n >= 0 {
			writeSecret(t, d, "passwd", fixturePasswd, 0o644)
			writeSecret(t, d, "group", fixtureGroup+b.String(), 0o644)
		}
		return []string{tool("unshare"), "-m", "sh", "-c", `mount --bind "$0" /etc && exec "$@"`, d}
	}
	setpriv := func(args ...string) []string { return append([]string{tool("setpriv")}, args...) }
	caps := setpriv("--inh-caps", "+net_bind_service,+net_raw", "--ambient-caps", "+net_bind_service,+net_raw", "--securebits", "+no_setuid_fixup")
	as1000, userns, rootless := setpriv("--reuid", "1000", "--regid", "1000", "--clear-groups"), []string{binDir + "/userns"}, []string{tool("unshare"), "--user", "--map-root-user"} // setgroups denied
	unmapped := "shim: hint: an id that this user namespace does not map (a rootless container): choose one the container maps, or run the container as the user\n"
	skipHint, denied := "shim: hint: if PW_FILE holds a path for the program to open itself, add it to SHIM_SKIP\n", ": permission denied\nshim: hint: "
	user := func(spec string) []string { return []string{"SHIM_USER=" + spec} }
	cases := []credCase{
		{name: "no files", wrap: etc(-1), env: user("redis"), code: 125, want: "shim: SHIM_USER=redis: no /etc/passwd to look up user \"redis\" in; use a numeric uid\n"},
		{name: "65536 groups", wrap: etc(65533), env: user("app")}, // issue 23 defect 8
		{name: "65537 groups", wrap: etc(65534), env: user("app"), code: 125, want: "shim: SHIM_USER=app: 65537 groups, more than the kernel allows (65536)\n"},
		{name: "ambient caps and no_setuid_fixup, dropped", wrap: caps, env: user("nobody")},                                // issue 19 defect 10
		{name: "ambient caps and no_setuid_fixup, root", wrap: caps, env: user("0"), want: "\nCapAmb:\t0000000000002400\n"}, // kept
		{name: "pdeathsig", wrap: setpriv("--pdeathsig", "TERM"), times: int(runs(10)), want: "\nPDeathSig:\t15\n"},         // issue 23 defect 1
		{name: "pdeathsig, dropped", wrap: setpriv("--pdeathsig", "TERM"), env: user("nobody"), times: int(runs(10)), want: "\nPDeathSig:\t15\n"},
		{name: "pdeathsig USR1, switched", wrap: setpriv("--pdeathsig", "USR1"), env: user("1234:5678"), times: int(runs(10)), want: "\nPDeathSig:\t10\n"},
		{name: "already 1000:1000 without groups", wrap: as1000, env: user("1000:1000")}, // issue 19 defect 12
		{name: "1000 asks for 1001", wrap: as1000, env: user("1001"), code: 125, want: notRoot("1001", 1000)},
		{name: "userns, unmapped group", wrap: userns, env: user("nobody"), code: 125, want: "shim: SHIM_USER=nobody: setgroups: invalid argument\n" + unmapped}, // issue 19 defect 3
		{name: "userns, unmapped user", wrap: userns, env: user("2000:5"), code: 125, want: "shim: SHIM_USER=2000:5: setuid 2000: invalid argument\n" + unmapped},
		{name: "userns, mapped", wrap: userns, env: user("5:5")},
		{name: "userns, setgroups denied", wrap: rootless, env: user("nobody"), code: 125, want: "shim: SHIM_USER=nobody: setgroups: operation not permitted\nshim: hint: a user namespace that denies setgroups (rootless containers): run the container as the user instead\n"},
		{name: "userns, root stays root", wrap: rootless, env: user("0")},
		{name: "PATH dir for root only", path: private + ":/usr/bin:/bin", env: user("nobody"), cmd: []string{"mycmd"}, code: 127, want: "shim: exec mycmd: not found in PATH\n"}, // issue 19 defect 2
		{name: "PATH dir for root only, found after it", path: private + ":" + binDir, env: user("nobody")},
		{name: "no CAP_SETUID", wrap: setpriv("--bounding-set=-setuid,-setgid", "--inh-caps=-all"), env: append(user("65534"), "PW_FILE="+secret), code: 125, want: "shim: SHIM_USER=65534: shim runs as root without CAP_SETGID and CAP_SETUID, which the switch needs\nshim: hint: the container drops it (cap_drop: ALL?): add cap_add: [SETGID, SETUID] to the service, or run the container as the user and leave SHIM_USER unset\n"},
		{name: "no CAP_DAC_OVERRIDE", wrap: setpriv("--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-all"), env: []string{"PW_FILE=" + users}, code: 125, want: "shim: PW_FILE: open " + users + denied + "shim runs as root without the capability to read other users' files (cap_drop: ALL?): add cap_add: [DAC_OVERRIDE] or make the file readable by uid 0\n" + skipHint},
		{name: "nobody reads root's secret", uid: 65534, env: []string{"PW_FILE=" + secret}, code: 125, want: "shim: PW_FILE: open " + secret + denied + secret + " is owned by uid 0 gid 0 with mode 0600 and shim runs as uid 65534; run shim as root and set SHIM_USER to read secrets first and then drop privileges\n" + skipHint},
		{name: "nobody reads behind root's directory", uid: 65534, env: []string{"PW_FILE=" + blocked}, code: 125, want: "shim: PW_FILE: open " + blocked + denied + "shim runs as uid 65534, which may not search a directory on the way to " + blocked + "; run shim as root and set SHIM_USER to read secrets first and then drop privileges\n" + skipHint},
	}
	for _, name := range []string{"script", "binary"} {
		cases = append(cases, credCase{name: "for root only: " + name, path: dir, env: user("nobody"), cmd: []string{name}, code: 126, want: "shim: exec " + dir + "/" + name + denied + "the file is not executable for uid 65534 (chmod +x, or its owner and mode)\n"})
	}
	for _, n := range []string{"0", "1", "2"} { // issue 23 defect 2, as a uid no other test runs as: the run starts; --check's child needs one more process
		note := map[bool]string{true: " (whether the kernel runs it only a run tells: the kernel refused --check's traced child (resource temporarily unavailable))"}[n != "2"]
		cases = append(cases, credCase{name: "nproc " + n, wrap: []string{tool("prlimit"), "--nproc=" + n}, env: user("43917"), cmd: []string{"/bin/cat", "/proc/self/status"}, times: int(runs(20)), checkNote: note})
	}
	shim, _ := os.ReadFile(shimPath)
	for i, mode := range []os.FileMode{os.ModeSetuid, os.ModeSetgid, os.ModeSetuid, os.ModeSetgid} {
		bin := writeSecret(t, openTempDir(t), "shim", string(shim), 0o755|mode)
		cases = append(cases, credCase{name: fmt.Sprint("setuid ", i), wrap: []string{bin}, uid: i / 2 * 65534, code: 125, want: "shim: refusing to run setuid or setgid; remove the bits with chmod u-s,g-s\n"})
	}
	for _, from := range []credCase{{name: "root"}, {name: "root with groups", groups: []uint32{0, 4, 6, 27}}, {name: "nobody with root's groups", uid: 65534, groups: []uint32{0, 4}}, {name: "nobody", uid: 65534, groups: []uint32{65534}}} {
		for _, spec := range []string{"65534", "nobody", "65534:65534", "nobody:65534", ":65534", "0", "00", "root", "0:0", "1234:5678"} {
			c := from
			c.name, c.env = from.name+"/"+spec, user(spec)
			if from.uid == 0 { // read as root, then dropped
				c.env, c.want = append(c.env, "S_FILE="+secret), "\nSecret:\tread as root\n"
			} else if len(from.groups) > 1 || !strings.Contains(spec, "65534") && spec != "nobody" {
				c.code, c.want = 125, notRoot(spec, from.uid)
			}
			cases = append(cases, c)
		}
	}
	for _, c := range cases {
		t.Run(c.name, c.test)
	}
}

// openTempDir is a temporary directory that every user may search, like
// /run/secrets; t.TempDir's parent is root's and 0700.
func openTempDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestKubernetesSecretVolume, issue 23 defect 3: a directory laid out as the
// kubelet does (keys link into ..data, which an update swaps) is read through
// ..data, by --check too, and as one version, never a mix, while it swaps.
func TestKubernetesSecretVolume(t *testing.T) {
	skipIfEmulated(t, "hundreds of emulated starts")
	newVolume := func(nested bool) string { // the kubelet's layout in two generations: k0-k5, and db/k0-k5 when nested
		dir := t.TempDir()
		for _, v := range []string{"..v1", "..v2"} {
			os.MkdirAll(filepath.Join(dir, v, "db"), 0o755)
			for k := range 6 {
				writeSecret(t, dir, fmt.Sprintf("%s/k%d", v, k), v, 0o644)
				writeSecret(t, dir, fmt.Sprintf("%s/db/k%d", v, k), v, 0o644)
			}
		}
		for k := range 6 {
			os.Symlink(fmt.Sprintf("..data/k%d", k), fmt.Sprintf("%s/k%d", dir, k))
		}
		if nested { // items: path: db/k0 gives only db -> ..data/db
			os.Symlink("..data/db", dir+"/db")
		}
		os.Symlink("..v1", dir+"/..data")
		return dir
	}
	dir, deep := newVolume(false), newVolume(true)
	want := "set A from " + dir + "/k0 (4 bytes)\nset B from " + dir + "/k5 (4 bytes)\nexec " + probePath + "\n"
	if check := (run{args: []string{"--check", "probe"}, env: []string{"A_FILE=" + dir + "/k0", "B_FILE=" + dir + "/k5"}}).do(t); check.stdout != want {
		t.Errorf("--check\n got: %q\nwant: %q", check.stdout, want)
	}
	var stop atomic.Bool
	swaps, seen := make(chan int), map[string]int{}
	go func() {
		n := 0
		for ; !stop.Load(); n++ {
			for _, d := range []string{dir, deep} {
				os.Symlink(fmt.Sprint("..v", n%2+1), d+"/..new")
				os.Rename(d+"/..new", d+"/..data")
			}
		}
		swaps <- n
	}()
	starts := []struct {
		env  []string
		keys int
	}{
		{[]string{"SHIM_SECRETS_DIR=" + dir}, 6},
		{[]string{"A_FILE=" + dir + "/k0", "B_FILE=" + dir + "/k5"}, 2},
		{[]string{"SHIM_SECRETS_DIR=" + deep + "/db"}, 6},
		{[]string{"A_FILE=" + deep + "/db/k0", "B_FILE=" + deep + "/k5"}, 2},
	}
	for i, deadline := 0, time.Now().Add(30*time.Second); i < 200 && time.Now().Before(deadline); i++ {
		start := starts[i%len(starts)]
		versions := map[string]int{}
		for _, kv := range parseProbe(t, run{args: []string{"probe"}, env: start.env}.do(t).stdout).env {
			if name, v, _ := strings.Cut(kv, "="); len(name) <= 2 {
				versions[v]++
				seen[v]++
			}
		}
		if len(versions) != 1 || versions["..v1"]+versions["..v2"] != start.keys {
			t.Fatalf("start %d (%s): versions %v", i, start.env, versions)
		}
	}
	if stop.Store(true); <-swaps == 0 || len(seen) != 2 {
		t.Errorf("starts saw %v: the swaps did not race the starts", seen)
	}
}
