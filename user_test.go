//go:build linux

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const fixturePasswd = `root:x:0:0:root:/root:/bin/sh
# a comment, and a line too short to be an entry
redis:x:999:999::/data:/usr/sbin/nologin
app:x:1000:1000:App:/home/app:/bin/sh
nohome:x:1001:1001:::/bin/sh
spaced:x:1002:1002::/home/a b:/bin/sh
broken:x:abc:1:::
:x:1003:1003::/nameless:/bin/sh
`

const fixtureGroup = `root:x:0:
redis:x:999:
app:x:1000:
extra:x:2000:redis,app
other:x:2001:app
`

func TestParseUser(t *testing.T) {
	for _, tc := range []struct {
		spec              string
		noPasswd, noGroup bool // the file does not exist, as in a FROM scratch image
		want              string
		wantErr           string
	}{
		{spec: "redis", want: "uid 999 gid 999 groups [999 2000] HOME=/data"},
		{spec: "999", want: "uid 999 gid 999 groups [999 2000] HOME=/data"},
		{spec: "0999", want: "uid 999 gid 999 groups [999 2000] HOME=/data"},
		{spec: "app", want: "uid 1000 gid 1000 groups [1000 2000 2001] HOME=/home/app"},
		{spec: "redis:extra", want: "uid 999 gid 2000 groups [2000] HOME=/data"},
		{spec: "redis:5", want: "uid 999 gid 5 groups [5] HOME=/data"},
		{spec: "redis:05", want: "uid 999 gid 5 groups [5] HOME=/data"},
		{spec: "1234", want: "uid 1234 gid 1234 groups [1234] HOME=/"},
		{spec: "1234:5678", want: "uid 1234 gid 5678 groups [5678] HOME=/"},
		{spec: ":2000", want: "uid 0 gid 2000 groups [2000] HOME=/root"},
		{spec: "1003", want: "uid 1003 gid 1003 groups [1003] HOME=/nameless"}, // no name: a member of no group, not of those with an empty list
		{spec: "nohome", want: "uid 1001 gid 1001 groups [1001] HOME=/"},
		{spec: "spaced", want: `uid 1002 gid 1002 groups [1002] HOME="/home/a b"`},
		{spec: "1234", noPasswd: true, noGroup: true, want: "uid 1234 gid 1234 groups [1234] HOME=/"},
		{spec: "65534:65534", noPasswd: true, noGroup: true, want: "uid 65534 gid 65534 groups [65534] HOME=/"},
		{spec: "bogus", wantErr: `no user "bogus" in /etc/passwd`},
		{spec: "bo\ngus", wantErr: `no user "bo\ngus" in /etc/passwd`},
		{spec: "redis:bogus", wantErr: `no group "bogus" in /etc/group`},
		{spec: "4294967295", wantErr: "uid out of range (0-4294967294)"},
		{spec: "1:99999999999999999999", wantErr: "gid out of range (0-4294967294)"},
		{spec: "redis:", wantErr: "no group after the colon"},
		{spec: ":", wantErr: "no group after the colon"},
		{spec: "-1", wantErr: `no user "-1" in /etc/passwd`},
		{spec: "broken", wantErr: `user "broken" has a bad uid in /etc/passwd`},
		{spec: "redis", noPasswd: true, wantErr: `no /etc/passwd to look up user "redis" in; use a numeric uid`},
		{spec: "1:redis", noGroup: true, wantErr: `no /etc/group to look up group "redis" in; use a numeric gid`},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			passwd, group := []byte(fixturePasswd), []byte(fixtureGroup)
			if tc.noPasswd {
				passwd = nil
			}
			if tc.noGroup {
				group = nil
			}
			c, err := parseUser(tc.spec, passwd, group, 0)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("got %v, want error %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || c.String() != tc.want {
				t.Fatalf("got %q, %v; want %q", c, err, tc.want)
			}
		})
	}
}

// nobody reads the host's entry for uid 65534, to know what SHIM_USER
// should give without asking shim's own parser.
func nobody(t *testing.T) (gid, home string) {
	t.Helper()
	data, err := os.ReadFile("/etc/passwd")
	if err != nil {
		t.Skip("no /etc/passwd")
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(line, ":")
		if len(f) >= 6 && f[2] == "65534" {
			return f[3], f[5]
		}
	}
	t.Skip("no uid 65534 in /etc/passwd")
	return "", ""
}

func TestUserReadsAsRootThenDrops(t *testing.T) {
	requireRoot(t)
	gid, home := nobody(t)
	dir := t.TempDir() // 0700, root's
	secret := writeSecret(t, dir, "redis_password", sentinel+"-redis\n", 0o600)
	for _, spec := range []string{"65534", "nobody"} {
		res := run{
			args: []string{"probe", "${REDIS_PASSWORD}"},
			env:  []string{"SHIM_USER=" + spec, "REDIS_PASSWORD_FILE=" + secret, "HOME=/root"},
		}.do(t)
		if res.code != 0 {
			t.Fatalf("SHIM_USER=%s: exit %d, stderr %q", spec, res.code, res.stderr)
		}
		p := parseProbe(t, res.stdout)
		if got, want := fmt.Sprintf("%d %d %s", p.uid, p.gid, p.groups), "65534 "+gid+" ["+gid+"]"; got != want {
			t.Errorf("SHIM_USER=%s: uid gid groups %q, want %q", spec, got, want)
		}
		if h, _ := p.get("HOME"); h != home {
			t.Errorf("SHIM_USER=%s: HOME=%q, want %q", spec, h, home)
		}
		if v, _ := p.get("REDIS_PASSWORD"); v != sentinel+"-redis" || p.args[1] != sentinel+"-redis" {
			t.Errorf("SHIM_USER=%s: the secret did not arrive: %q %q", spec, v, p.args)
		}
	}

	check := run{args: []string{"--check", "probe"}, env: []string{"SHIM_USER=65534", "REDIS_PASSWORD_FILE=" + secret}}.do(t)
	want := "set REDIS_PASSWORD from " + secret + " (14 bytes)\nrun as uid 65534 gid " + gid + " groups [" + gid + "] HOME=" + home + "\nexec " + probePath + "\n"
	if check.code != 0 || check.stdout != want {
		t.Errorf("--check: exit %d, stdout\n got: %q\nwant: %q", check.code, check.stdout, want)
	}
}

// chroot makes a root with shim and probe and, if given, passwd and group
// files: a FROM scratch image without the image.
func chroot(t *testing.T, passwd, group string) string {
	t.Helper()
	requireStatic(t)
	root := t.TempDir()
	for _, bin := range []string{shimPath, probePath} {
		data, err := os.ReadFile(bin)
		if err != nil {
			t.Fatal(err)
		}
		writeSecret(t, root, filepath.Base(bin), string(data), 0o755)
	}
	if passwd != "" {
		os.Mkdir(filepath.Join(root, "etc"), 0o755)
		writeSecret(t, root, "etc/passwd", passwd, 0o644)
		writeSecret(t, root, "etc/group", group, 0o644)
	}
	writeSecret(t, root, "secret", sentinel, 0o600)
	return root
}

func TestUserInScratchImage(t *testing.T) {
	requireRoot(t)
	bare := chroot(t, "", "")
	withFiles := chroot(t, fixturePasswd, fixtureGroup)
	for _, tc := range []struct {
		name, root, spec string
		want             string // uid gid groups HOME
		wantCode         int
		wantStderr       string
	}{
		{name: "numeric without passwd", root: bare, spec: "1234", want: "1234 1234 [1234] /"},
		{name: "uid:gid without passwd", root: bare, spec: "1234:5678", want: "1234 5678 [5678] /"},
		{name: "a name without passwd", root: bare, spec: "redis", wantCode: 125,
			wantStderr: "shim: SHIM_USER=redis: no /etc/passwd to look up user \"redis\" in; use a numeric uid\n"},
		{name: "a name from passwd", root: withFiles, spec: "redis", want: "999 999 [999 2000] /data"},
		{name: "a name and group", root: withFiles, spec: "app:other", want: "1000 2001 [2001] /home/app"},
		{name: "an unknown user", root: withFiles, spec: "bogus", wantCode: 125,
			wantStderr: "shim: SHIM_USER=bogus: no user \"bogus\" in /etc/passwd\n"},
		{name: "an unknown group", root: withFiles, spec: "redis:bogus", wantCode: 125,
			wantStderr: "shim: SHIM_USER=redis:bogus: no group \"bogus\" in /etc/group\n"},
		{name: "out of range", root: withFiles, spec: "4294967295", wantCode: 125,
			wantStderr: "shim: SHIM_USER=4294967295: uid out of range (0-4294967294)\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := run{chroot: tc.root, args: []string{"probe"}, env: []string{"SHIM_USER=" + tc.spec, "S_FILE=/secret"}}.do(t)
			if res.code != tc.wantCode || res.stderr != tc.wantStderr {
				t.Fatalf("exit %d, stderr %q; want %d, %q", res.code, res.stderr, tc.wantCode, tc.wantStderr)
			}
			if tc.wantCode != 0 {
				return
			}
			p := parseProbe(t, res.stdout)
			home, _ := p.get("HOME")
			got := fmt.Sprintf("%d %d %s %s", p.uid, p.gid, p.groups, home)
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if v, _ := p.get("S"); v != sentinel {
				t.Errorf("the secret read as root did not arrive")
			}
		})
	}
}

func TestUserNeedsRoot(t *testing.T) {
	requireRoot(t)
	dir := openTempDir(t)
	secret := writeSecret(t, dir, "pw", sentinel, 0o600)

	private := filepath.Join(dir, "private")
	if err := os.Mkdir(private, 0o700); err != nil {
		t.Fatal(err)
	}
	blocked := writeSecret(t, private, "pw", sentinel, 0o644)

	res := run{uid: 65534, args: []string{"probe"}, env: []string{"SHIM_USER=0"}}.do(t)
	want := "shim: SHIM_USER=0: operation not permitted (running as uid 65534)\n" +
		"shim: hint: shim must start as root to switch users: remove USER from the image or set user: \"0\" for the service, and let SHIM_USER drop privileges\n"
	if res.code != 125 || res.stderr != want {
		t.Errorf("exit %d, stderr\n got: %q\nwant: %q", res.code, res.stderr, want)
	}

	same := run{uid: 65534, groups: []uint32{65534}, args: []string{"probe"}, env: []string{"SHIM_USER=65534:65534"}}.do(t)
	if same.code != 0 || parseProbe(t, same.stdout).uid != 65534 {
		t.Errorf("already the requested user: exit %d, stderr %q", same.code, same.stderr)
	}
	// Root's group 0 among the groups is more than SHIM_USER asks for.
	extra := run{uid: 65534, groups: []uint32{0, 4}, args: []string{"probe"}, env: []string{"SHIM_USER=65534:65534"}}.do(t)
	want = "shim: SHIM_USER=65534:65534: operation not permitted (running as uid 65534)\n" +
		"shim: hint: shim must start as root to switch users: remove USER from the image or set user: \"0\" for the service, and let SHIM_USER drop privileges\n"
	if extra.code != 125 || extra.stderr != want {
		t.Errorf("with root's group: exit %d, stderr\n got: %q\nwant: %q", extra.code, extra.stderr, want)
	}

	denied := run{uid: 65534, args: []string{"probe"}, env: []string{"REDIS_PASSWORD_FILE=" + secret}}.do(t)
	want = "shim: REDIS_PASSWORD_FILE: open " + secret + ": permission denied\n" +
		"shim: hint: " + secret + " is owned by uid 0 gid 0 with mode 0600 and shim runs as uid 65534; run shim as root and set SHIM_USER to read secrets first and then drop privileges\n" +
		"shim: hint: if REDIS_PASSWORD_FILE holds a path for the program to open itself, add it to SHIM_SKIP\n"
	if denied.code != 125 || denied.stderr != want {
		t.Errorf("exit %d, stderr\n got: %q\nwant: %q", denied.code, denied.stderr, want)
	}

	unreachable := run{uid: 65534, args: []string{"probe"}, env: []string{"REDIS_PASSWORD_FILE=" + blocked}}.do(t)
	want = "shim: REDIS_PASSWORD_FILE: open " + blocked + ": permission denied\n" +
		"shim: hint: shim runs as uid 65534, which may not search a directory on the way to " + blocked + "; run shim as root and set SHIM_USER to read secrets first and then drop privileges\n" +
		"shim: hint: if REDIS_PASSWORD_FILE holds a path for the program to open itself, add it to SHIM_SKIP\n"
	if unreachable.code != 125 || unreachable.stderr != want {
		t.Errorf("exit %d, stderr\n got: %q\nwant: %q", unreachable.code, unreachable.stderr, want)
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

func TestSetuidRefused(t *testing.T) {
	skipIfEmulated(t, "qemu-user ignores the setuid bits of an emulated binary")
	requireRoot(t)
	dir := openTempDir(t)
	data, err := os.ReadFile(shimPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o755 | os.ModeSetuid, 0o755 | os.ModeSetgid} {
		bin := filepath.Join(dir, "shim")
		os.Remove(bin)
		if err := os.WriteFile(bin, data, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(bin, mode); err != nil {
			t.Fatal(err)
		}
		for _, uid := range []int{0, 65534} {
			res := run{uid: uid, path: bin, args: []string{"probe"}}.do(t)
			want := "shim: refusing to run setuid or setgid; remove the bits with chmod u-s,g-s\n"
			if res.code != 125 || res.stderr != want {
				t.Errorf("mode %v as uid %d: exit %d, stderr %q", mode, uid, res.code, res.stderr)
			}
		}
	}
}

// TestKubernetesSecretVolume imports a directory laid out as the kubelet
// does: keys are symlinks into ..data, which points at a timestamped
// directory.
func TestKubernetesSecretVolume(t *testing.T) {
	skipIfEmulated(t, reversedEnv)
	dir := t.TempDir()
	stamp := "..2026_11_27_10_00_00.123456789"
	os.Mkdir(filepath.Join(dir, stamp), 0o755)
	writeSecret(t, dir, stamp+"/postgres_password", sentinel+"-pg\n", 0o644)
	writeSecret(t, dir, stamp+"/tls.crt", "-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----\n", 0o644)
	writeSecret(t, dir, stamp+"/api-key", sentinel+"-api", 0o644)
	if err := os.Symlink(stamp, filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"postgres_password", "tls.crt", "api-key"} {
		if err := os.Symlink("..data/"+key, filepath.Join(dir, key)); err != nil {
			t.Fatal(err)
		}
	}
	override := writeSecret(t, t.TempDir(), "pw", sentinel+"-override", 0o600)
	res := run{args: []string{"probe"}, env: []string{"SHIM_SECRETS_DIR=" + dir, "API_KEY_FILE=" + override}}.do(t)
	if res.code != 0 {
		t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
	}
	p := parseProbe(t, res.stdout)
	want := []string{"PATH=" + binDir + ":/usr/bin:/bin", "SHIM_SECRETS_DIR=" + dir, "API_KEY=" + sentinel + "-override",
		"POSTGRES_PASSWORD=" + sentinel + "-pg", "TLS_CRT=-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----"}
	if strings.Join(p.env, "\n") != strings.Join(want, "\n") {
		t.Errorf("environment\n got: %q\nwant: %q", p.env, want)
	}

	check := run{args: []string{"--check", "probe"}, env: []string{"SHIM_SECRETS_DIR=" + dir, "API_KEY_FILE=" + override}}.do(t)
	wantReport := "set API_KEY from " + override + " (17 bytes)\n" +
		"shadowed " + dir + "/api-key: API_KEY is already set from API_KEY_FILE\n" +
		"set POSTGRES_PASSWORD from " + dir + "/postgres_password (11 bytes, SHIM_SECRETS_DIR)\n" +
		"set TLS_CRT from " + dir + "/tls.crt (57 bytes, SHIM_SECRETS_DIR)\n" +
		"exec " + probePath + "\n"
	if check.stdout != wantReport {
		t.Errorf("--check\n got: %q\nwant: %q", check.stdout, wantReport)
	}
}

// TestCredentialsExactly: the command runs with exactly the credentials
// --check reports (uid, gid and groups, real, effective and saved, and no
// capability left after a drop), for every SHIM_USER form and from every
// start; a switch that cannot be made exactly stops with 125 instead.
func TestCredentialsExactly(t *testing.T) {
	requireRoot(t)
	gid, _ := nobody(t)
	type start struct {
		name   string
		uid    int
		groups []uint32
	}
	starts := []start{
		{"root", 0, []uint32{0}},
		{"root with extra groups", 0, []uint32{0, 4, 6, 27}},
		{"nobody with root's groups", 65534, []uint32{0, 4}},
		{"nobody alone", 65534, []uint32{65534}},
	}
	specs := []string{"65534", "nobody", "65534:65534", "nobody:" + gid, "0", "00", "root", "0:0", ":65534", "1234:5678"}
	statusField := func(status, name string) string {
		for _, line := range strings.Split(status, "\n") {
			if v, ok := strings.CutPrefix(line, name+":\t"); ok {
				return strings.TrimSpace(v)
			}
		}
		return "?"
	}
	ownCaps := statusField(readStatus(t), "CapEff")
	for _, from := range starts {
		for _, spec := range specs {
			t.Run(from.name+"/"+spec, func(t *testing.T) {
				env := []string{"SHIM_USER=" + spec}
				check := run{uid: from.uid, groups: from.groups, args: []string{"--check", "/bin/cat", "/proc/self/status"}, env: env}.do(t)
				res := run{uid: from.uid, groups: from.groups, args: []string{"/bin/cat", "/proc/self/status"}, env: env}.do(t)
				if check.code != 0 {
					if check.code != 125 || res.code != 125 || res.stdout != "" {
						t.Fatalf("--check exit %d (%q), run exit %d: a refused switch must stop the run with 125", check.code, check.stderr, res.code)
					}
					return
				}
				var uid, gid int
				var groups string
				for _, line := range strings.Split(check.stdout, "\n") {
					if rest, ok := strings.CutPrefix(line, "run as "); ok {
						fmt.Sscanf(rest, "uid %d gid %d groups [", &uid, &gid)
						groups = rest[strings.Index(rest, "[")+1 : strings.Index(rest, "]")]
					}
				}
				if res.code != 0 {
					t.Fatalf("--check passed, the run exit %d, stderr %q", res.code, res.stderr)
				}
				want := fmt.Sprintf("%d\t%d\t%d\t%d", uid, uid, uid, uid)
				if got := statusField(res.stdout, "Uid"); got != want {
					t.Errorf("Uid %q, reported %q", got, want)
				}
				if got, want := statusField(res.stdout, "Gid"), fmt.Sprintf("%d\t%d\t%d\t%d", gid, gid, gid, gid); got != want {
					t.Errorf("Gid %q, reported %q", got, want)
				}
				gotGroups := strings.Fields(statusField(res.stdout, "Groups"))
				wantGroups := strings.Fields(groups)
				slices.Sort(gotGroups)
				slices.Sort(wantGroups)
				if !slices.Equal(gotGroups, wantGroups) {
					t.Errorf("Groups %q, reported %q", gotGroups, wantGroups)
				}
				wantCaps := "0000000000000000"
				if uid == 0 {
					wantCaps = ownCaps
				}
				if got := statusField(res.stdout, "CapEff"); got != wantCaps {
					t.Errorf("CapEff %s, want %s", got, wantCaps)
				}
			})
		}
	}
}

func readStatus(t *testing.T) string {
	t.Helper()
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip(err)
	}
	return string(status)
}

// TestWithoutCapabilities: root with capabilities dropped, as with Compose's
// cap_drop: ALL, is told which cap_add the switch or the read needs, before
// any secret is read.
func TestWithoutCapabilities(t *testing.T) {
	requireRoot(t)
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("no setpriv")
	}
	dir := openTempDir(t)
	secret := writeSecret(t, dir, "pw", sentinel, 0o600)
	os.Chown(secret, 1000, 1000)
	for _, tc := range []struct {
		name, drop string
		env        []string
		want       string
	}{
		{name: "no SETUID and SETGID", drop: "-setuid,-setgid", env: []string{"SHIM_USER=65534", "PW_FILE=" + dir + "/missing"},
			want: "shim: SHIM_USER=65534: shim runs as root without CAP_SETGID and CAP_SETUID, which the switch needs\n" +
				"shim: hint: the container drops it (cap_drop: ALL?): add cap_add: [SETGID, SETUID] to the service, or run the container as the user and leave SHIM_USER unset\n"},
		{name: "no DAC_OVERRIDE", drop: "-dac_override,-dac_read_search", env: []string{"PW_FILE=" + secret},
			want: "shim: PW_FILE: open " + secret + ": permission denied\n" +
				"shim: hint: shim runs as root without the capability to read other users' files (cap_drop: ALL?): add cap_add: [DAC_OVERRIDE] or make the file readable by uid 0\n" +
				"shim: hint: if PW_FILE holds a path for the program to open itself, add it to SHIM_SKIP\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := run{path: setpriv, args: []string{"--bounding-set=" + tc.drop, "--inh-caps=-all", shimPath, "probe"}, env: tc.env}.do(t)
			if res.code != 125 || res.stderr != tc.want {
				t.Errorf("exit %d, stderr\n got: %q\nwant: %q", res.code, res.stderr, tc.want)
			}
		})
	}
}
