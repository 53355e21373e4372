package main

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// sentinel is part of every secret fixture, so a test can prove that no
// message carries a secret's value; numericSentinel stands for a secret
// that can only be digits (a port or a redis database read from a file).
const (
	sentinel        = "S3NTINEL"
	numericSentinel = "31337"
	pw              = sentinel + "-pw"
)

// fakeFiles is a source backed by a map, with osFiles' contract (at most
// limit+1 bytes; with regularOnly only a regular file); these contents
// stand for files that fail in a particular way.
type fakeFiles map[string]string

const deniedFile, dirFile, fifoFile, danglingFile = "\x00denied", "\x00dir", "\x00fifo", "\x00dangling"

func (f fakeFiles) read(p string, limit int, regularOnly bool) ([]byte, error) {
	c, ok := f[p]
	switch {
	case !ok:
		return nil, &fs.PathError{Op: "open", Path: p, Err: syscall.ENOENT}
	case c == danglingFile:
		return nil, &fs.PathError{Op: "open", Path: p, Err: errDangling}
	case c == deniedFile:
		return nil, &deniedError{err: &fs.PathError{Op: "open", Path: p, Err: syscall.EACCES}, uid: 1000, gid: 1000, mode: 0o600, euid: 999}
	case regularOnly && (c == dirFile || c == fifoFile):
		return nil, &fs.PathError{Op: "open", Path: p, Err: notRegular(map[string]string{dirFile: "a directory", fifoFile: "a named pipe"}[c])}
	case c == dirFile:
		return nil, &fs.PathError{Op: "read", Path: p, Err: syscall.EISDIR}
	case len(c) > limit+1:
		c = c[:limit+1]
	}
	return []byte(c), nil
}

// list gives the sorted names and the identity of the cleaned path.
func (f fakeFiles) list(dir string) ([]string, [2]uint64, error) {
	clean := path.Clean(dir)
	if _, ok := f[clean]; !ok {
		return nil, [2]uint64{}, &fs.PathError{Op: "open", Path: dir, Err: syscall.ENOENT}
	}
	var names []string
	for p := range f {
		if path.Dir(p) == clean && p != clean {
			names = append(names, path.Base(p))
		}
	}
	sort.Strings(names)
	h := fnv.New64()
	h.Write([]byte(clean))
	return names, [2]uint64{h.Sum64()}, nil
}

type resolveCase struct {
	name       string
	env, args  []string
	files      fakeFiles
	set        func(*shimSettings)
	req        func(*request) // request fields not from settings (SHIM_USER's)
	entryLimit int
	want       []string // the command's environment, when no error is wanted
	wantArgs   []string // nil: the arguments unchanged
	wantErr    string   // every line as printed, without "shim: "
	all        bool     // as --check: every problem, not the first
	wantReport []string // checked when set
}

// messages is err as shim prints it, without the prefix of each line.
func messages(err error) string {
	if err == nil {
		return ""
	}
	return strings.TrimPrefix(strings.ReplaceAll(strings.Join(errorLines(err), "\n"), "\nshim: ", "\n"), "shim: ")
}

func or(v, otherwise []string) []string {
	if v == nil {
		return otherwise
	}
	return v
}

func runResolveCases(t *testing.T, cases []resolveCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := defaultSettings()
			if tc.set != nil {
				tc.set(&s)
			}
			tc.args = or(tc.args, []string{"cmd"})
			r := request{environ: tc.env, args: tc.args, Rules: s.Rules, entryLimit: cmp.Or(tc.entryLimit, 131072), report: true, allProblems: tc.all}
			if tc.req != nil {
				tc.req(&r)
			}
			got, err := resolve(r, tc.files)
			if msg := messages(err); msg != tc.wantErr || exitCode(err) != exitShim {
				t.Fatalf("error (status %d)\n got: %q\nwant: %q", exitCode(err), msg, tc.wantErr)
			}
			want := []any{tc.want, or(tc.wantArgs, tc.args), or(tc.wantReport, got.report)}
			if err == nil && fmt.Sprintf("%q", want) != fmt.Sprintf("%q", []any{got.env, got.args, got.report}) {
				t.Errorf("env, args, report\n got: %q\nwant: %q", []any{got.env, got.args, got.report}, want)
			}
			assertNoSecret(t, "report", strings.Join(got.report, "\n"))
		})
	}
}

// runs is how many generated cases a property test tries: a tenth with
// -short, as under emulation, where each costs far more.
func runs(n uint64) uint64 {
	if testing.Short() {
		return max(n/10, 1)
	}
	return n
}

func notMountedHint(dir string) string {
	return "hint: the secret is probably not mounted: compare the service's secrets: list (Compose, Swarm) or the volume's items (Kubernetes) with what the container has (ls -la " + quote(dir) + " in it)"
}

func skipHint(inputVar string) string {
	return "hint: if " + inputVar + " holds a path for the program to open itself, add it to SHIM_SKIP"
}

// shimLines is lines as shim prints them.
func shimLines(lines ...string) string {
	return "shim: " + strings.Join(lines, "\nshim: ") + "\n"
}

const notSecret = "hint: a file in a secrets directory that is not a secret can be moved out of it, or the directory left out of SHIM_SECRETS_DIR"

func assertNoSecret(t *testing.T, what, text string) {
	t.Helper()
	if strings.Contains(text, sentinel) {
		t.Errorf("%s contains a secret value: %q", what, text)
	}
}

func TestExpandFiles(t *testing.T) {
	tooLarge := func(name, p string) string {
		return name + "_FILE: " + p + ": too large for one environment variable (the file may be at most 28 bytes)\n" + skipHint(name+"_FILE")
	}
	skip := func(p ...string) func(*shimSettings) { return func(s *shimSettings) { s.Skip = p } }
	only := func(p ...string) func(*shimSettings) { return func(s *shimSettings) { s.Only = p } }
	alone := []string{"PW=v", "PW_FILE=", "SSL_CERT_FILE=/etc/ssl/ca.pem", "AWS_WEB_IDENTITY_TOKEN_FILE=/var/run/token", "LOG_FILE=/var/log/app.log",
		"GF_SECURITY_ADMIN_PASSWORD__FILE=/run/secrets/gf", "MINIO_ROOT_USER_FILE=access_key", "_FILE=/x"}
	runResolveCases(t, []resolveCase{
		{name: "no _FILE passes everything through in order, entries without = included", env: []string{"B=2", "A=1", "EMPTY=", "WEIRD=a=b", "JUNK"},
			want: []string{"B=2", "A=1", "EMPTY=", "WEIRD=a=b", "JUNK"}},
		{name: "NAME_FILE becomes NAME in its place; trailing CR and LF go, the rest stays",
			env:   []string{"A=1", "PW_FILE=/run/secrets/pw", "B_FILE=/b", "C_FILE=./c", "KEY_FILE=/k", "E_FILE=/e", "U_FILE=/u"},
			files: fakeFiles{"/run/secrets/pw": pw, "/b": " b\t\r\n", "./c": "c\n\n\r\n", "/k": "-----BEGIN-----\nxyz\n-----END-----\n", "/e": "", "/u": "\xff\xfe" + sentinel},
			want:  []string{"A=1", "PW=" + pw, "B= b\t", "C=c", "KEY=-----BEGIN-----\nxyz\n-----END-----", "E=", "U=\xff\xfe" + sentinel}},
		{name: "SHIM_TRIM=false keeps the bytes exactly", env: []string{"A_FILE=/a"}, files: fakeFiles{"/a": "a\r\n\n"},
			set: func(s *shimSettings) { s.Trim = false }, want: []string{"A=a\r\n\n"}},
		{name: "both set is an error", env: []string{"PW=x", "PW_FILE=/pw"}, files: fakeFiles{"/pw": pw},
			wantErr: "both PW and PW_FILE are set (but are exclusive)"},
		{name: "an empty NAME counts as unset: the file wins, in NAME_FILE's place", env: []string{"PW=", "A=1", "PW_FILE=/pw"},
			files: fakeFiles{"/pw": pw}, want: []string{"A=1", "PW=" + pw}},
		{name: "left alone: empty, built-in path variables, Grafana's __FILE, no slash, bare _FILE", env: alone, want: alone},
		{name: "SHIM_SKIP matches the full name with globs and wins over SHIM_ONLY",
			env: []string{"APP_CERT_FILE=/c", "APP_FILE_FILE=/f", "DB_FILE=/d", "A_FILE=/a"}, files: fakeFiles{"/d": "d"},
			set: func(s *shimSettings) {
				s.Skip = []string{"APP_*_FILE", "NOPE", "A_*"}
				s.Only = []string{"A_FILE", "D*"}
			},
			want: []string{"APP_CERT_FILE=/c", "APP_FILE_FILE=/f", "DB=d", "A_FILE=/a"}},
		// Issue 23 defect 10: the globs match the whole name, / included.
		{name: "SHIM_SKIP=* skips a name with a /", env: []string{"A/B_FILE=/a", "X/Y/Z_FILE=/a"}, files: fakeFiles{"/a": pw}, set: skip("*"),
			want:       []string{"A/B_FILE=/a", "X/Y/Z_FILE=/a"},
			wantReport: []string{"skip A/B_FILE: matches SHIM_SKIP pattern *", "skip X/Y/Z_FILE: matches SHIM_SKIP pattern *"}},
		{name: "SHIM_SKIP's ? and [/] match a /", env: []string{"A/B_FILE=/a", "C/D_FILE=/a", "E_FILE=/a"}, files: fakeFiles{"/a": "a"},
			set: skip("A?B_FILE", "C[/]D_*"), want: []string{"A/B_FILE=/a", "C/D_FILE=/a", "E=a"}},
		{name: "SHIM_ONLY's * crosses a / too", env: []string{"A/B_FILE=/a", "X/Y/Z_FILE=/a", "B_FILE=/a"}, files: fakeFiles{"/a": "a"},
			set: only("A*", "*/Z_FILE"), want: []string{"A/B=a", "X/Y/Z=a", "B_FILE=/a"},
			wantReport: []string{"skip B_FILE: not matched by SHIM_ONLY", "set A/B from /a (1 bytes)", "set X/Y/Z from /a (1 bytes)"}},
		{name: "SHIM_SUFFIX changes the suffix", env: []string{"A_SECRET=/a", "B_FILE=/b"}, files: fakeFiles{"/a": "a"},
			set: func(s *shimSettings) { s.Suffix = "_SECRET" }, want: []string{"A=a", "B_FILE=/b"}},
		// Issue 21: linuxserver.io's FILE__NAME, by the same rules.
		{name: "FILE__NAME is read into NAME; no name after FILE__ and Grafana's rule are for _FILE only",
			env: []string{"A=1", "FILE__PW=/pw", "FILE__=/pw", "FILE__X_=/pw", "FILE__SHIM_USER=/pw"}, files: fakeFiles{"/pw": pw}, all: true,
			wantErr: "FILE__SHIM_USER: shim reads its settings from the environment only\nhint: set SHIM_USER itself"},
		{name: "FILE__NAME beside NAME_FILE", env: []string{"A=1", "FILE__PW=/pw", "FILE__=/pw", "FILE__X_=/pw"}, files: fakeFiles{"/pw": pw},
			want:       []string{"A=1", "PW=" + pw, "FILE__=/pw", "X_=" + pw},
			wantReport: []string{"skip FILE__: no variable name after FILE__", "set PW from /pw (11 bytes)", "set X_ from /pw (11 bytes)"}},
		{name: "one name reached both ways", env: []string{"PW_FILE=/pw", "FILE__PW=/pw", "FILE__Q=/pw", "Q=x"}, files: fakeFiles{"/pw": pw}, all: true,
			wantErr: "both PW_FILE and FILE__PW are set (but are exclusive)\nboth Q and FILE__Q are set (but are exclusive)"},
		{name: "one name reached both ways, in the other order: neither file is read", env: []string{"FILE__PW=/nul", "PW_FILE=/nul"}, files: fakeFiles{"/nul": "a\x00"}, all: true,
			wantErr: "both PW_FILE and FILE__PW are set (but are exclusive)"},
		{name: "SHIM_PREFIX= turns FILE__ off", env: []string{"FILE__PW=/pw"}, set: func(s *shimSettings) { s.Prefix = "" }, want: []string{"FILE__PW=/pw"}},
		{name: "the first of duplicate names wins, as for getenv", env: []string{"A=1", "A_FILE=/a", "A=2", "B=x", "A_FILE=/other"},
			set: skip("A_FILE"), want: []string{"A=1", "A_FILE=/a", "B=x"}},
		// No value read from a file is ever used as a path.
		{name: "a _FILE whose file names another _FILE: the content is not a path, in either order",
			env: []string{"X_FILE_FILE=/b64", "X_FILE=", "Y_FILE=", "Y_FILE_FILE=/b64"}, files: fakeFiles{"/b64": "/etc/" + sentinel},
			want: []string{"X_FILE=/etc/" + sentinel, "Y_FILE=/etc/" + sentinel}},
		{name: "a chain where both are paths conflicts", env: []string{"X_FILE=/b", "X_FILE_FILE=/a"}, files: fakeFiles{"/a": pw, "/b": pw},
			wantErr: "both X_FILE and X_FILE_FILE are set (but are exclusive)"},
		// Issue 19: settings come from the environment only; a SHIM_*_FILE is refused.
		{name: "SHIM_USER_FILE, any SHIM_*_FILE, even with an empty SHIM_* set", all: true,
			env: []string{"SHIM_USER_FILE=/run/secrets/user", "SHIM_VERBOSE=", "SHIM_VERBOSE_FILE=/v", "SHIM_NO_SUCH_FILE=/v"}, files: fakeFiles{"/run/secrets/user": "nobody"},
			wantErr: "SHIM_USER_FILE: shim reads its settings from the environment only\nhint: set SHIM_USER itself\n" +
				"SHIM_VERBOSE_FILE: shim reads its settings from the environment only\nhint: set SHIM_VERBOSE itself\nSHIM_NO_SUCH_FILE: shim reads its settings from the environment only\nhint: set SHIM_NO_SUCH itself"},
		{name: "with SHIM_SUFFIX", env: []string{"SHIM_USER_SECRET=/u"}, set: func(s *shimSettings) { s.Suffix = "_SECRET" },
			wantErr: "SHIM_USER_SECRET: shim reads its settings from the environment only\nhint: set SHIM_USER itself"},
		{name: "SHIM_USER and SHIM_USER_FILE both set", env: []string{"SHIM_USER=app", "SHIM_USER_FILE=/u"},
			wantErr: "both SHIM_USER and SHIM_USER_FILE are set (but are exclusive)"},
		// Files that cannot be passed whole stop the start.
		{name: "files that cannot be read whole, every one with --check",
			env:   []string{"DB_PASSWORD_FILE=/run/secrets/db", "REDIS_PASSWORD_FILE=/run/secrets/redis", "A_FILE=/run/secrets", "KEY_FILE=/k", "B_FILE=/x\nshim: hint: fine"},
			files: fakeFiles{"/run/secrets/redis": deniedFile, "/run/secrets": dirFile, "/k": sentinel + "\x00rest"}, all: true,
			wantErr: "DB_PASSWORD_FILE: open /run/secrets/db: no such file or directory\n" + notMountedHint("/run/secrets") + "\n" + skipHint("DB_PASSWORD_FILE") +
				"\nREDIS_PASSWORD_FILE: open /run/secrets/redis: permission denied\nhint: /run/secrets/redis is owned by uid 1000 gid 1000 with mode 0600 and shim runs as uid 999; run shim as root and set SHIM_USER to read secrets first and then drop privileges\n" + skipHint("REDIS_PASSWORD_FILE") +
				"\nA_FILE: read /run/secrets: is a directory\n" + skipHint("A_FILE") +
				"\nKEY_FILE: /k: contains a NUL byte, which an environment variable cannot hold\n" + skipHint("KEY_FILE") +
				"\nB_FILE: open \"/x\\nshim: hint: fine\": no such file or directory\n" + notMountedHint("/") + "\n" + skipHint("B_FILE")},
		{name: "exactly at the entry limit, and a trailing newline judged with the file", env: []string{"AB_FILE=/a", "CD_FILE=/c"},
			files: fakeFiles{"/a": strings.Repeat("x", 28), "/c": strings.Repeat("x", 27) + "\n"}, entryLimit: 32,
			want: []string{"AB=" + strings.Repeat("x", 28), "CD=" + strings.Repeat("x", 27)}},
		{name: "over the limit by a byte, a cut in a run of newlines, a NUL past the limit", entryLimit: 32, all: true, env: []string{"AB_FILE=/a", "CD_FILE=/c", "EF_FILE=/e"},
			files:   fakeFiles{"/a": strings.Repeat("x", 29), "/c": "x" + strings.Repeat("\n", 100) + "TAIL", "/e": strings.Repeat("x", 28) + "\x00"},
			wantErr: tooLarge("AB", "/a") + "\n" + tooLarge("CD", "/c") + "\n" + tooLarge("EF", "/e")},
	})
}

func TestSecretsDir(t *testing.T) {
	dirs := func(d ...string) func(*shimSettings) { return func(s *shimSettings) { s.Secrets.Dir = d } }
	s := dirs("/s")
	runResolveCases(t, []resolveCase{
		{name: "each file becomes a variable named after it; dot names are left out, even broken ones", env: []string{"A=1"},
			files: fakeFiles{"/s": dirFile, "/s/postgres_password": pw + "\n", "/s/tls.crt": "crt", "/s/api-key.v2": "k", "/s/..data": danglingFile, "/s/..2026_12_01": dirFile, "/s/.hidden": fifoFile},
			set:   s, want: []string{"A=1", "API_KEY_V2=k", "POSTGRES_PASSWORD=" + pw, "TLS_CRT=crt"}},
		{name: "a variable already set wins over the directory; an empty one does not",
			env:   []string{"TOKEN=env", "DB_PASSWORD_FILE=/elsewhere", "FILE__API=/e", "EMPTY="},
			files: fakeFiles{"/s": dirFile, "/s/token": "t", "/s/db_password": "dir", "/elsewhere": "file", "/s/empty": "filled", "/s/api": "dir", "/e": "e"}, set: s,
			want: []string{"TOKEN=env", "DB_PASSWORD=file", "API=e", "EMPTY=filled"},
			wantReport: []string{"set DB_PASSWORD from /elsewhere (4 bytes)", "set API from /e (1 bytes)", "shadowed /s/api: API is already set from FILE__API",
				"shadowed /s/db_password: DB_PASSWORD is already set from DB_PASSWORD_FILE", "set EMPTY from /s/empty (6 bytes, SHIM_SECRETS_DIR)", "shadowed /s/token: TOKEN is already set from the environment"}},
		{name: "a file named like a _FILE sets that name and is not expanded", env: []string{"TOKEN_FILE=/t"},
			files: fakeFiles{"/s": dirFile, "/s/token_file": "d", "/s/y_file": "/etc/passwd", "/t": "f"}, set: s,
			want: []string{"TOKEN=f", "TOKEN_FILE=d", "Y_FILE=/etc/passwd"}},
		{name: "two files with one name", files: fakeFiles{"/s": dirFile, "/s/tls.crt": "a", "/s/tls_crt": "b"}, set: s,
			wantErr: "SHIM_SECRETS_DIR: /s/tls.crt and /s/tls_crt both map to TLS_CRT"},
		{name: "a missing directory", set: s,
			wantErr: "SHIM_SECRETS_DIR: open /s: no such file or directory\nhint: SHIM_SECRETS_DIR names directories that must exist; leave a missing one out"},
		{name: "every entry that is not a readable regular file, and every SHIM_* name, with --check", set: s, all: true,
			files: fakeFiles{"/s": dirFile, "/s/pw": deniedFile, "/s/link": danglingFile, "/s/evil\nshim: hint: fine": fifoFile, "/s/sub": dirFile, "/s/shim_user": "nobody", "/s/Shim.Verbose": "true"},
			wantErr: "/s/Shim.Verbose: shim reads its settings from the environment only\nhint: move the file out of SHIM_SECRETS_DIR\n" +
				"EVIL_SHIM__HINT__FINE from SHIM_SECRETS_DIR: open \"/s/evil\\nshim: hint: fine\": not a regular file (a named pipe)\n" + notSecret +
				"\nLINK from SHIM_SECRETS_DIR: open /s/link: a symbolic link to a file that does not exist\n" + notMountedHint("/s") + "\n" + notSecret +
				"\nPW from SHIM_SECRETS_DIR: open /s/pw: permission denied\nhint: /s/pw is owned by uid 1000 gid 1000 with mode 0600 and shim runs as uid 999; run shim as root and set SHIM_USER to read secrets first and then drop privileges\n" + notSecret +
				"\n/s/shim_user: shim reads its settings from the environment only\nhint: move the file out of SHIM_SECRETS_DIR" +
				"\nSUB from SHIM_SECRETS_DIR: open /s/sub: not a regular file (a directory)\n" + notSecret},
	})
}

// TestSecretsDirIdentity, issue 19 defect 4 with real files: a directory
// written several ways is read once; a/lnk/../sec goes through the link, as
// the kernel does; two directories that give one name are refused.
func TestSecretsDirIdentity(t *testing.T) {
	dir := t.TempDir()
	for p, content := range map[string]string{"real/pw": pw, "b/sec/token": "kernel", "a/sec/token": "lexical", "b/c/x": ""} {
		os.MkdirAll(path.Dir(dir+"/"+p), 0o755)
		writeSecret(t, dir, p, content, 0o600)
	}
	if os.Symlink("real", dir+"/lnk") != nil || os.Symlink(dir+"/b/c", dir+"/a/lnk") != nil {
		t.Fatal("symlink")
	}
	t.Chdir(dir)
	for _, c := range []struct {
		dirs, env, want, report []string
		err                     string
	}{
		{[]string{"real", dir + "/real", dir + "/lnk/", "./lnk", "lnk/../real"}, nil, []string{"PW=" + pw}, []string{"set PW from real/pw (11 bytes, SHIM_SECRETS_DIR)"}, ""},
		{[]string{"a/lnk/../sec"}, nil, []string{"TOKEN=kernel"}, []string{"set TOKEN from a/lnk/../sec/token (6 bytes, SHIM_SECRETS_DIR)"}, ""},
		{nil, []string{"TOKEN_FILE=a/lnk/../sec/token"}, []string{"TOKEN=kernel"}, []string{"set TOKEN from a/lnk/../sec/token (6 bytes)"}, ""},
		{[]string{"a/sec", "a/lnk/../sec"}, nil, []string{"TOKEN=lexical"}, []string{"set TOKEN from a/sec/token (7 bytes, SHIM_SECRETS_DIR)"}, "SHIM_SECRETS_DIR: a/sec/token and a/lnk/../sec/token both map to TOKEN"},
	} {
		r := request{environ: c.env, args: []string{"cmd"}, Rules: defaultSettings().Rules, entryLimit: 4096, report: true, allProblems: true}
		r.Secrets.Dir = c.dirs
		got, err := resolve(r, &osFiles{})
		if messages(err) != c.err || !slices.Equal(got.env, c.want) || !slices.Equal(got.report, c.report) {
			t.Errorf("%q %q: env %q, report %q, %q; want %q, %q, %q", c.dirs, c.env, got.env, got.report, messages(err), c.want, c.report, c.err)
		}
	}
}

func TestRequire(t *testing.T) {
	req := func(names ...string) func(*shimSettings) { return func(s *shimSettings) { s.Require = names } }
	asApp := func(r *request) { r.home, r.runAs = "/home/app", "app" }
	long, keys := strings.Repeat("A", 45000), make([]string, 10000)
	for i := range keys {
		keys[i] = fmt.Sprintf("KEY_%d=1", i)
	}
	mean := func(n string) string { return "\nhint: did you mean " + n + ", which is set?" }
	runResolveCases(t, []resolveCase{
		{name: "present after expansion and assembly", env: []string{"POSTGRES_PASSWORD_FILE=/p", "PGHOST=db"}, files: fakeFiles{"/p": "x"},
			set: req("POSTGRES_PASSWORD", "DATABASE_URL"), want: []string{"POSTGRES_PASSWORD=x", "PGHOST=db", "DATABASE_URL=postgresql://:x@db:5432"}},
		{name: "every missing name is reported, quoted when not plain; a _FILE read is no longer set", env: []string{"B=", "A_FILE=/a"}, files: fakeFiles{"/a": "x"},
			set:     req("A_FILE", "B", "A\nshim: ok"),
			wantErr: "A_FILE is required (SHIM_REQUIRE) but not set\nB is required (SHIM_REQUIRE) but empty\n\"A\\nshim: ok\" is required (SHIM_REQUIRE) but not set"},
		{name: "a skipped _FILE says why", env: []string{"POSTGRES_PASSWORD_FILE=postgres_password"}, set: req("POSTGRES_PASSWORD"),
			wantErr: "POSTGRES_PASSWORD is required (SHIM_REQUIRE) but not set\nhint: POSTGRES_PASSWORD_FILE was not read: value is not a path (no /)"},
		{name: "a skipped FILE__ says why", env: []string{"FILE__PW=pw"}, set: req("PW"),
			wantErr: "PW is required (SHIM_REQUIRE) but not set\nhint: FILE__PW was not read: value is not a path (no /)"},
		{name: "with SHIM_PREFIX= one hint, not two", set: func(s *shimSettings) { s.Require, s.Prefix = []string{"DATABASE_URL"}, "" },
			wantErr: "DATABASE_URL is required (SHIM_REQUIRE) but not set\nhint: DATABASE_URL was not read: not assembled: none of DATABASE_HOST, POSTGRES_HOST, PGHOST is set"},
		{name: "the classic typo is pointed out, and a _FILE near the name",
			env: []string{"POSTGRES_DB_PASSWORD_FILE=/p", "REDIS_PASWORD_FILE=redis"}, files: fakeFiles{"/p": "x"},
			set: req("POSTGRES_PASSWORD", "REDIS_PASSWORD"), all: true,
			wantErr: "POSTGRES_PASSWORD is required (SHIM_REQUIRE) but not set\nhint: did you mean POSTGRES_DB_PASSWORD, which is set?\nREDIS_PASSWORD is required (SHIM_REQUIRE) but not set\nhint: REDIS_PASWORD_FILE is set; did you mean REDIS_PASSWORD_FILE?"},
		// Issue 23 defect 9: the typo hint's work is bounded, and names three at most.
		{name: "two 45 kB names", env: []string{long + "B=1", long + "C_FILE=x"}, set: req(long + "D"), wantErr: long + "D is required (SHIM_REQUIRE) but not set"},
		{name: "a short name among long ones", env: []string{long + "B=1"}, set: req("AAAB"), wantErr: "AAAB is required (SHIM_REQUIRE) but not set"},
		{name: "one missing among 10,000", env: keys, set: req("KEY_X"), wantErr: "KEY_X is required (SHIM_REQUIRE) but not set" + mean("KEY_0") + mean("KEY_1") + mean("KEY_2")},
		{name: "the nearest first", env: append([]string{"KEY_99999=1"}, keys...), set: req("KEY_10000"),
			wantErr: "KEY_10000 is required (SHIM_REQUIRE) but not set" + mean("KEY_1000") + mean("KEY_100") + mean("KEY_1001")},
		// Issue 19 defect 8: judged on the environment the command gets.
		{name: "HOME from SHIM_USER", set: req("HOME"), req: asApp, want: []string{"HOME=/home/app"}, wantReport: []string{"run as app"}},
		{name: "SHIM_USER's HOME replaces the one set, for SHIM_REQUIRE and the arguments", env: []string{"HOME=/root", "A=1"},
			args: []string{"cmd", "${HOME}"}, set: req("HOME", "A"), req: asApp, want: []string{"HOME=/home/app", "A=1"},
			wantArgs: []string{"cmd", "/home/app"}},
		{name: "without SHIM_USER no HOME is made up", set: req("HOME"), wantErr: "HOME is required (SHIM_REQUIRE) but not set"},
		// Issue 19 defect 9: a URL not assembled says why.
		{name: "DATABASE_URL with no host", env: []string{"POSTGRES_PASSWORD=x"}, set: req("DATABASE_URL"),
			wantErr: "DATABASE_URL is required (SHIM_REQUIRE) but not set\nhint: DATABASE_URL was not read: not assembled: none of DATABASE_HOST, POSTGRES_HOST, PGHOST is set"},
		{name: "an empty DATABASE_URL with SHIM_DATABASE_URL=false, host set", env: []string{"DATABASE_URL=", "PGHOST=db"},
			set:     func(s *shimSettings) { s.Require = []string{"DATABASE_URL"}; s.Database.URL = false },
			wantErr: "DATABASE_URL is required (SHIM_REQUIRE) but empty\nhint: DATABASE_URL was not read: not assembled: SHIM_DATABASE_URL=false"},
		{name: "REDIS_URL, both ways", set: func(s *shimSettings) { s.Require = []string{"REDIS_URL"}; s.Redis.URL = false },
			wantErr: "REDIS_URL is required (SHIM_REQUIRE) but not set\nhint: REDIS_URL was not read: not assembled: SHIM_REDIS_URL=false"},
		{name: "REDIS_URL with an empty host", env: []string{"REDIS_HOST=", "REDIS_PASSWORD=x"}, set: req("REDIS_URL"),
			wantErr: "REDIS_URL is required (SHIM_REQUIRE) but not set\nhint: REDIS_URL was not read: not assembled: REDIS_HOST is not set"},
		{name: "a host list libpq reads itself", env: []string{"PGHOST=db1,db2"}, set: req("DATABASE_URL"),
			wantErr: "DATABASE_URL is required (SHIM_REQUIRE) but not set\nhint: DATABASE_URL was not read: not assembled: PGHOST or the port lists several hosts, which libpq reads itself but a URL cannot give every client"},
	})
}

func TestExpandArgs(t *testing.T) {
	env := []string{"REDIS_PASSWORD=" + pw, "EMPTY=", "PORT=6379"}
	bad := func(i int, arg, inner string) string {
		return fmt.Sprintf("argument %d %s: %s\nhint: shim expands only ${NAME} and ${NAME:-default}; write $${ for a literal ${", i, strconv.Quote(arg), inner)
	}
	notForm := func(i int, arg string) string { return bad(i, arg, "a ${...} that is not ${NAME} or ${NAME:-default}") }
	runResolveCases(t, []resolveCase{
		{name: "the guide's redis command", env: env, args: []string{"redis-server", "--requirepass", "${REDIS_PASSWORD}", "--port=${PORT}"},
			want: env, wantArgs: []string{"redis-server", "--requirepass", pw, "--port=6379"}},
		{name: "a value set from a file, in the command name too", env: []string{"PW_FILE=/pw", "BIN=/usr/bin/app"}, files: fakeFiles{"/pw": pw},
			args: []string{"${BIN}", "--password=${PW}"}, want: []string{"PW=" + pw, "BIN=/usr/bin/app"},
			wantArgs: []string{"/usr/bin/app", "--password=" + pw}},
		{name: "defaults, literals and what is left alone", env: env,
			args: []string{"cmd", "${EMPTY:-d}", "${UNSET:-}", "${UNSET:-a b}", "$${PORT}", "$PORT", "$", "a$b", "${PORT}${PORT}", "$$", "}"},
			want: env, wantArgs: []string{"cmd", "d", "", "a b", "${PORT}", "$PORT", "$", "a$b", "63796379", "$$", "}"}},
		{name: "SHIM_EXPAND_ARGS=false", env: env, args: []string{"cmd", "${UNSET}", "${"}, set: func(s *shimSettings) { s.Expand.Args = false },
			want: env},
		{name: "empty in the command, unset in an argument", env: env[1:], args: []string{"${EMPTY}", "--requirepass", "${REDIS_PASSWORD}"}, all: true,
			wantErr: "the command \"${EMPTY}\": EMPTY is empty\nhint: set EMPTY (or EMPTY_FILE), write ${EMPTY:-} to allow an empty value, or $${ for a literal ${\n" +
				"argument 2 \"${REDIS_PASSWORD}\": REDIS_PASSWORD is not set\nhint: set REDIS_PASSWORD (or REDIS_PASSWORD_FILE), write ${REDIS_PASSWORD:-} to allow an empty value, or $${ for a literal ${"},
		{name: "every bad argument with --check",
			args: []string{"cmd", "${PORT", "${}", "${1X}", "${PORT:=1}", "${#PORT}", "${A:-${B}}", "${X\nshim: ok}", "${A\u202eB}"}, all: true,
			wantErr: strings.Join([]string{bad(1, "${PORT", "${ without a closing }"), bad(2, "${}", "${} names no variable"), notForm(3, "${1X}"), notForm(4, "${PORT:=1}"), notForm(5, "${#PORT}"), bad(6, "${A:-${B}}", "${ inside a ${...} default is not supported"), notForm(7, "${X\nshim: ok}"), notForm(8, "${A\u202eB}")}, "\n")},
		// The hint speaks the configured suffix and suggests only a _FILE shim would read.
		{name: "the unset-variable hint uses SHIM_SUFFIX", args: []string{"cmd", "${PW}"}, set: func(s *shimSettings) { s.Suffix = "_SECRET" },
			wantErr: "argument 1 \"${PW}\": PW is not set\nhint: set PW (or PW_SECRET), write ${PW:-} to allow an empty value, or $${ for a literal ${"},
		{name: "no _FILE for ${_}, one SHIM_SKIP skips, or a built-in path variable", args: []string{"cmd", "${_}", "${PW}", "${SSL_CERT}"},
			set: func(s *shimSettings) { s.Skip = []string{"PW_*"} }, all: true,
			wantErr: "argument 1 \"${_}\": _ is not set\nhint: set _, write ${_:-} to allow an empty value, or $${ for a literal ${\nargument 2 \"${PW}\": PW is not set\nhint: set PW, write ${PW:-} to allow an empty value, or $${ for a literal ${\nargument 3 \"${SSL_CERT}\": SSL_CERT is not set\nhint: set SSL_CERT, write ${SSL_CERT:-} to allow an empty value, or $${ for a literal ${"},
	})
}

// inCmdline is the note on a secret expanded into an argument.
const inCmdline = "a secret, readable in /proc/PID/cmdline by every process that can see the command; SHIM_RENDER puts it in a file instead"

func TestReport(t *testing.T) {
	cases := []resolveCase{
		{name: "every kind of line, never a value",
			env:  []string{"POSTGRES_PASSWORD_FILE=/run/secrets/pg", "POSTGRES_USER_FILE=/run/secrets/user", "SSL_CERT_FILE=/etc/ssl/ca.pem", "DATABASE_HOST=db", "POSTGRES_DB=app"},
			args: []string{"app", "--key=${API_KEY}"},
			files: fakeFiles{"/run/secrets/pg": pw + "\n", "/run/secrets/user": sentinel + "-user", "/run/secrets": dirFile,
				"/run/secrets/postgres_password": "x", "/run/secrets/api_key": sentinel},
			set: func(s *shimSettings) { s.Secrets.Dir = []string{"/run/secrets"} },
			req: func(r *request) { r.home, r.runAs = "/home/app", "uid 1000 (app), gid 1000, no capabilities" },
			want: []string{"POSTGRES_PASSWORD=" + pw, "POSTGRES_USER=" + sentinel + "-user", "SSL_CERT_FILE=/etc/ssl/ca.pem", "DATABASE_HOST=db", "POSTGRES_DB=app",
				"API_KEY=" + sentinel, "PG=" + pw, "USER=" + sentinel + "-user", "DATABASE_URL=postgresql://" + sentinel + "-user:" + pw + "@db:5432/app", "HOME=/home/app"},
			wantArgs: []string{"app", "--key=" + sentinel},
			wantReport: []string{"skip SSL_CERT_FILE: a path other tools read (built-in list)", "set POSTGRES_PASSWORD from /run/secrets/pg (11 bytes)",
				"set POSTGRES_USER from /run/secrets/user (13 bytes)", "set API_KEY from /run/secrets/api_key (8 bytes, SHIM_SECRETS_DIR)",
				"set PG from /run/secrets/pg (11 bytes, SHIM_SECRETS_DIR)", "shadowed /run/secrets/postgres_password: POSTGRES_PASSWORD is already set from POSTGRES_PASSWORD_FILE",
				"set USER from /run/secrets/user (13 bytes, SHIM_SECRETS_DIR)", "set DATABASE_URL=postgresql://***:***@db:5432/app (assembled)",
				"run as uid 1000 (app), gid 1000, no capabilities", "expand API_KEY from argument 1: " + inCmdline}},
		{name: "a URL holding a password is a secret in an argument, a host is not", env: []string{"PGPASSWORD=pw", "PGHOST=db"},
			args:     []string{"app", "${DATABASE_URL}", "${PGHOST}", "${PGPASSWORD}"},
			want:     []string{"PGPASSWORD=pw", "PGHOST=db", "DATABASE_URL=postgresql://:pw@db:5432"},
			wantArgs: []string{"app", "postgresql://:pw@db:5432", "db", "pw"},
			wantReport: []string{"set DATABASE_URL=postgresql://:***@db:5432 (assembled)", "expand DATABASE_URL from argument 1: " + inCmdline,
				"expand PGHOST from argument 2", "expand PGPASSWORD from argument 3"}},
		{name: "a host list is left to libpq, with a line", env: []string{"PGHOST=db1,db2", "PGPORT=5432,5433"},
			want:       []string{"PGHOST=db1,db2", "PGPORT=5432,5433"},
			wantReport: []string{"skip DATABASE_URL: not assembled: PGHOST or the port lists several hosts, which libpq reads itself but a URL cannot give every client"}},
	}
	// Issue 19 defect 5: a name that is not plain printable ASCII is quoted
	// in every kind of line, so that none can be forged or reordered.
	for _, n := range []struct{ raw, shown string }{
		{"A B", `A B`}, {"A\u202eB", `A\u202eB`}, {"A\x01B", `A\x01B`}, {"A\x1b]0;xB", `A\x1b]0;xB`}, {"A\"B", `A\"B`}, {"É", `É`},
	} {
		q := func(suffix string) string { return `"` + n.shown + suffix + `"` }
		cases = append(cases, []resolveCase{
			{name: "set and skip lines for " + q(""), env: []string{n.raw + "_FILE=/p", n.raw + "X_FILE=p", n.raw + "Y_FILE=/p"},
				files: fakeFiles{"/p": "v"}, set: func(s *shimSettings) { s.Skip = []string{n.raw + "Y*"} },
				want:       []string{n.raw + "=v", n.raw + "X_FILE=p", n.raw + "Y_FILE=/p"},
				wantReport: []string{"skip " + q("X_FILE") + ": value is not a path (no /)", "skip " + q("Y_FILE") + ": matches SHIM_SKIP pattern " + q("Y*"), "set " + q("") + " from /p (1 bytes)"}},
			{name: "both lines and the origin of a failed read for " + q(""), env: []string{n.raw + "=x", n.raw + "_FILE=/p", n.raw + "Z_FILE=/p"}, all: true,
				wantErr: "both " + q("") + " and " + q("_FILE") + " are set (but are exclusive)\n" + q("Z_FILE") + ": open /p: no such file or directory\n" + notMountedHint("/") + "\n" + skipHint(q("Z_FILE"))},
			{name: "did-you-mean lines for " + q(""), env: []string{n.raw + "CD=1", n.raw + "CE_FILE=x"},
				set:     func(s *shimSettings) { s.Require = []string{n.raw + "CC"} },
				wantErr: q("CC") + " is required (SHIM_REQUIRE) but not set\nhint: did you mean " + q("CD") + ", which is set?\nhint: " + q("CE_FILE") + " is set; did you mean " + q("CC_FILE") + "?"},
			{name: "shadowed and set lines for " + q(""), env: []string{variableName(n.raw) + "=1"},
				files:      fakeFiles{"/s": dirFile, "/s/" + n.raw: pw, "/s/" + n.raw + "2": pw},
				set:        func(s *shimSettings) { s.Secrets.Dir = []string{"/s"} },
				want:       []string{variableName(n.raw) + "=1", variableName(n.raw) + "2=" + pw},
				wantReport: []string{`shadowed "/s/` + n.shown + `": ` + variableName(n.raw) + " is already set from the environment", "set " + variableName(n.raw) + `2 from "/s/` + n.shown + `2" (11 bytes, SHIM_SECRETS_DIR)`}},
		}...)
	}
	runResolveCases(t, cases)
}

// FuzzExpandFiles: through the real reader a file arrives exactly (trimmed)
// or is refused, never a prefix, by a message without it; the generated seeds
// sit around the limit, with CR and LF runs and NULs anywhere.
func FuzzExpandFiles(f *testing.F) {
	f.Add("PW", []byte("secret\n"), true)
	f.Add("KEY", []byte("a\x00b"), true)
	f.Add("A", []byte("\r\n\r\n"), false)
	f.Add("_", []byte(strings.Repeat("x", 200)), true)
	const entryLimit = 256
	dir := f.TempDir() // one file, rewritten by each input: a worker runs them one at a time
	rng := rand.New(rand.NewPCG(4, 4))
	for i := range runs(400) {
		size := entryLimit - len("S=") - 1 - len(sentinel) - 3 + rng.IntN(7)
		if i%10 == 0 {
			size = rng.IntN(3 * entryLimit)
		}
		b := []byte(strings.Repeat("s", size))
		for j := size - rng.IntN(size+1); j < size; j++ {
			b[j] = "\r\n"[rng.IntN(2)]
		}
		if size > 0 && rng.IntN(4) == 0 {
			b[rng.IntN(size)] = 0
		}
		f.Add("S", b, true)
	}
	f.Fuzz(func(t *testing.T, name string, content []byte, trim bool) {
		if name == "" || strings.ContainsAny(name, "=\x00") {
			return
		}
		secret := sentinel + string(content)
		s := defaultSettings()
		s.Trim, s.Database.URL, s.Redis.URL = trim, false, false // a name may be a URL part
		p := writeSecret(t, dir, "s", secret, 0o600)
		got, err := resolve(request{environ: []string{"BEFORE=1", name + "_FILE=" + p, "AFTER=2"}, args: []string{"cmd"}, Rules: s.Rules, entryLimit: entryLimit, report: true}, &osFiles{})
		assertNoSecret(t, "output", messages(err)+"\n"+strings.Join(got.report, "\n"))
		want := secret
		if trim {
			want = strings.TrimRight(want, "\r\n")
		}
		fits := !strings.ContainsRune(secret, 0) && len(name)+len(secret)+2 <= entryLimit // judged on the whole file
		switch msg := messages(err); {
		case fits && (strings.Contains(msg, "too large") || strings.Contains(msg, "NUL byte")):
			t.Fatalf("refused a file that fits: %s", msg)
		case err != nil || strings.HasSuffix(name, "_") || isPathVariable(name+"_FILE"):
		case !slices.Equal(got.env, []string{"BEFORE=1", name + "=" + want, "AFTER=2"}):
			t.Fatalf("env %q", got.env)
		case !fits:
			t.Fatalf("accepted a file an environment cannot hold whole")
		}
	})
}

// FuzzExpandArg checks that expansion never panics, leaves arguments without
// ${ alone and substitutes a plain ${X} exactly.
func FuzzExpandArg(f *testing.F) {
	for _, seed := range []string{"${X}", "$${X}", "${X:-d}", "${", "${}", "a${X}b${Y:-}c", "$$$${X}", "${X:-${Y}}", "${1}"} {
		f.Add(seed, "value")
	}
	f.Fuzz(func(t *testing.T, arg, value string) {
		value = sentinel + value
		vars := map[string]string{"X": value}
		got, _, err := expandArg(arg, func(name string) (string, bool) { v, ok := vars[name]; return v, ok })
		if !strings.Contains(arg, "${") && (err != nil || got != arg) {
			t.Fatalf("expandArg(%q) = %q, %v; want it unchanged", arg, got, err)
		}
		if arg == "${X}" && got != value {
			t.Fatalf("expandArg(${X}) = %q, want %q", got, value)
		}
		if err != nil && !strings.Contains(arg, sentinel) {
			assertNoSecret(t, "error", err.Error())
		}
	})
}

// TestPassthroughProperty checks random environments against a model: each
// NAME_FILE read becomes NAME=content in its place, an empty NAME it
// replaces and later duplicates are dropped, the rest passes byte for byte.
func TestPassthroughProperty(t *testing.T) {
	for seed := range runs(2000) {
		rng := rand.New(rand.NewPCG(seed, 1))
		env, files := randomEnv(rng)
		s := defaultSettings()
		s.Database.URL, s.Redis.URL = false, false
		got, err := resolve(request{environ: env, args: []string{"cmd"}, Rules: s.Rules, entryLimit: 131072}, files)
		want, wantErr := passthroughModel(env, files)
		if messages(err) != wantErr || !slices.Equal(got.env, want) {
			t.Fatalf("seed %d: env %q\n got: %q, %q\nwant: %q, %q", seed, env, got.env, messages(err), want, wantErr)
		}
	}
}

func randomEnv(rng *rand.Rand) ([]string, fakeFiles) {
	randomBytes := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(1 + rng.IntN(255)) // anything but NUL
		}
		return string(b)
	}
	files := fakeFiles{}
	var env []string
	for range rng.IntN(12) {
		// Few short names, so that duplicates and NAME/NAME_FILE pairs occur.
		name := string(rune('A'+rng.IntN(3))) + []string{"", "B", "\xff", ".x"}[rng.IntN(4)]
		switch rng.IntN(6) {
		case 0:
			env = append(env, name+"="+randomBytes(rng.IntN(6)))
		case 1:
			env = append(env, name+"=")
		case 2:
			env = append(env, randomBytes(1+rng.IntN(4))) // may lack an =, or have one anywhere
		case 3:
			env = append(env, name+"_FILE="+[]string{"", "plain", "/f/" + name}[rng.IntN(3)])
		default:
			p := "/f/" + name + randomBytes(2)
			files[p] = strings.ReplaceAll(randomBytes(rng.IntN(8)), "\x00", "") + []string{"", "\n", "\r\n\n"}[rng.IntN(3)]
			env = append(env, name+"_FILE="+p)
		}
	}
	return env, files
}

// passthroughModel: the first entry of each name counts; conflicts are
// judged on it, then the files are read in order.
func passthroughModel(env []string, files fakeFiles) ([]string, string) {
	var in []string
	first := map[string]string{}
	for _, kv := range env {
		name, value, ok := strings.Cut(kv, "=")
		if _, dup := first[name]; ok && dup {
			continue
		} else if ok {
			first[name] = value
		}
		in = append(in, kv)
	}
	read := map[string]string{} // NAME_FILE → NAME=content
	var candidates []string
	for _, kv := range in {
		fileVar, p, _ := strings.Cut(kv, "=")
		name, ok := strings.CutSuffix(fileVar, "_FILE")
		switch {
		case !ok || name == "" || p == "" || !strings.Contains(p, "/") || strings.HasSuffix(name, "_") || isPathVariable(fileVar):
		case first[name] != "":
			return nil, "both " + quote(name) + " and " + quote(fileVar) + " are set (but are exclusive)"
		default:
			candidates = append(candidates, fileVar)
		}
	}
	for _, fileVar := range candidates {
		content, ok := files[first[fileVar]]
		if !ok {
			p := first[fileVar]
			return nil, quote(fileVar) + ": open " + quote(p) + ": no such file or directory\n" + notMountedHint(path.Dir(p)) + "\n" + skipHint(quote(fileVar))
		}
		read[fileVar] = strings.TrimSuffix(fileVar, "_FILE") + "=" + strings.TrimRight(content, "\r\n")
	}
	var out []string
	for _, kv := range in {
		name, _, ok := strings.Cut(kv, "=")
		if _, replaced := read[name+"_FILE"]; ok && read[name] != "" {
			out = append(out, read[name])
		} else if !ok || !replaced { // an empty NAME that a file replaced is dropped
			out = append(out, kv)
		}
	}
	return out, ""
}

// writeSecret writes a file in dir with exactly mode and returns its path.
func writeSecret(t testing.TB, dir, name, content string, mode os.FileMode) string {
	t.Helper()
	p := path.Join(dir, name)
	if os.WriteFile(p, []byte(content), mode) != nil || os.Chmod(p, mode) != nil {
		t.Fatalf("cannot write %s", p)
	}
	return p
}
