package main

import (
	"bytes"
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
// message carries a secret's value.
const sentinel = "S3NTINEL"

// numericSentinel stands for a secret that can only be digits: a port or a
// redis database number read from a file.
const numericSentinel = "31337"

// fakeFiles is a source backed by a map. A few contents stand for files that
// fail in a particular way; reading them follows the same contract as
// osFiles: at most limit+1 bytes, and with regularOnly, anything but a
// regular file is refused.
type fakeFiles map[string]string

const (
	deniedFile   = "\x00denied"
	dirFile      = "\x00dir"
	fifoFile     = "\x00fifo"
	danglingFile = "\x00dangling"
)

func (f fakeFiles) read(p string, limit int, regularOnly bool) ([]byte, error) {
	c, ok := f[p]
	switch {
	case !ok:
		return nil, &fs.PathError{Op: "open", Path: p, Err: syscall.ENOENT}
	case c == danglingFile:
		return nil, &fs.PathError{Op: "open", Path: p, Err: errDangling}
	case c == deniedFile:
		return nil, &deniedError{err: &fs.PathError{Op: "open", Path: p, Err: syscall.EACCES}, uid: 1000, gid: 1000, mode: 0o600, euid: 999}
	case regularOnly && c == dirFile:
		return nil, &fs.PathError{Op: "open", Path: p, Err: notRegular("a directory")}
	case regularOnly && c == fifoFile:
		return nil, &fs.PathError{Op: "open", Path: p, Err: notRegular("a named pipe")}
	case c == dirFile:
		return nil, &fs.PathError{Op: "read", Path: p, Err: syscall.EISDIR}
	case len(c) > limit+1:
		c = c[:limit+1]
	}
	return []byte(c), nil
}

// list gives every name in the directory, dot names included, sorted.
// list gives a directory the identity of its cleaned path, as the kernel
// would for one directory written two ways.
func (f fakeFiles) list(dir string) ([]string, [2]uint64, error) {
	dir = path.Clean(dir)
	if _, ok := f[dir]; !ok {
		return nil, [2]uint64{}, &fs.PathError{Op: "open", Path: dir, Err: syscall.ENOENT}
	}
	var names []string
	for p := range f {
		if path.Dir(p) == dir && p != dir {
			names = append(names, path.Base(p))
		}
	}
	sort.Strings(names)
	h := fnv.New64()
	h.Write([]byte(dir))
	return names, [2]uint64{h.Sum64()}, nil
}

// defaults are the settings with nothing set, as envconfig gives them.
func defaults() settings { return defaultSettings() }

type resolveCase struct {
	name     string
	env      []string
	args     []string
	files    fakeFiles
	set      func(*settings)
	maxEntry int
	want     []string // the command's environment; nil when an error is wanted
	wantArgs []string
	wantErr  string // every line as printed, without the "shim: " prefix
	all      bool   // as --check: every problem, not the first
	// The report (--check, SHIM_VERBOSE), checked when set.
	wantReport []string
}

// messages is err as shim prints it, without the prefix of each line.
func messages(err error) string {
	lines := errorLines(err)
	for i, l := range lines {
		lines[i] = strings.TrimPrefix(l, "shim: ")
	}
	return strings.Join(lines, "\n")
}

func runResolveCases(t *testing.T, cases []resolveCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := defaults()
			if tc.set != nil {
				tc.set(&s)
			}
			limit := tc.maxEntry
			if limit == 0 {
				limit = 131072
			}
			args := tc.args
			if args == nil {
				args = []string{"cmd"}
			}
			got, err := resolve(request{environ: tc.env, args: args, Rules: s.Rules, maxEntry: limit, report: true, allProblems: tc.all}, tc.files)
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("no error; want %q", tc.wantErr)
				}
				if msg := messages(err); msg != tc.wantErr {
					t.Fatalf("error\n got: %q\nwant: %q", msg, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if !slices.Equal(got.env, tc.want) {
				t.Errorf("env\n got: %q\nwant: %q", got.env, tc.want)
			}
			wantArgs := tc.wantArgs
			if wantArgs == nil {
				wantArgs = args
			}
			if !slices.Equal(got.args, wantArgs) {
				t.Errorf("args\n got: %q\nwant: %q", got.args, wantArgs)
			}
			assertNoSecret(t, "report", strings.Join(got.report, "\n"))
			if tc.wantReport != nil && !slices.Equal(got.report, tc.wantReport) {
				t.Errorf("report\n got: %q\nwant: %q", got.report, tc.wantReport)
			}
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

func assertNoSecret(t *testing.T, what, text string) {
	t.Helper()
	if strings.Contains(text, sentinel) {
		t.Errorf("%s contains a secret value: %q", what, text)
	}
}

const pw = sentinel + "-pw"

func TestExpandFiles(t *testing.T) {
	runResolveCases(t, []resolveCase{
		{
			name: "no _FILE passes everything through in order",
			env:  []string{"B=2", "A=1", "EMPTY=", "WEIRD=a=b", "PATH=/bin"},
			want: []string{"B=2", "A=1", "EMPTY=", "WEIRD=a=b", "PATH=/bin"},
		},
		{
			name:  "NAME_FILE becomes NAME in its place",
			env:   []string{"A=1", "PW_FILE=/run/secrets/pw", "B=2"},
			files: fakeFiles{"/run/secrets/pw": pw},
			want:  []string{"A=1", "PW=" + pw, "B=2"},
		},
		{
			name:  "all trailing LF and CR are stripped, inner newlines kept",
			env:   []string{"A_FILE=/a", "B_FILE=/b", "C_FILE=/c", "KEY_FILE=/k", "E_FILE=/e"},
			files: fakeFiles{"/a": "a\n", "/b": "b\r\n", "/c": "c\n\n\r\n", "/k": "-----BEGIN-----\nxyz\n-----END-----\n", "/e": "\n\n"},
			want:  []string{"A=a", "B=b", "C=c", "KEY=-----BEGIN-----\nxyz\n-----END-----", "E="},
		},
		{
			name:  "leading and inner whitespace is kept",
			env:   []string{"A_FILE=/a"},
			files: fakeFiles{"/a": " a b\t\n"},
			want:  []string{"A= a b\t"},
		},
		{
			name:  "SHIM_TRIM=false keeps the bytes exactly",
			env:   []string{"A_FILE=/a"},
			files: fakeFiles{"/a": "a\r\n\n"},
			set:   func(s *settings) { s.Trim = false },
			want:  []string{"A=a\r\n\n"},
		},
		{
			name:  "invalid UTF-8 passes through",
			env:   []string{"A_FILE=/a"},
			files: fakeFiles{"/a": "\xff\xfe" + sentinel},
			want:  []string{"A=\xff\xfe" + sentinel},
		},
		{
			name:  "an empty file gives an empty variable",
			env:   []string{"A_FILE=/a"},
			files: fakeFiles{"/a": ""},
			want:  []string{"A="},
		},
		{
			name:    "both set is an error",
			env:     []string{"PW=x", "PW_FILE=/pw"},
			files:   fakeFiles{"/pw": pw},
			wantErr: "both PW and PW_FILE are set (but are exclusive)",
		},
		{
			name:  "an empty NAME counts as unset: the file wins",
			env:   []string{"PW=", "A=1", "PW_FILE=/pw"},
			files: fakeFiles{"/pw": pw},
			want:  []string{"A=1", "PW=" + pw},
		},
		{
			name: "an empty NAME_FILE reads nothing",
			env:  []string{"PW=v", "PW_FILE="},
			want: []string{"PW=v", "PW_FILE="},
		},
		{
			name: "built-in path variables are left alone",
			env: []string{"SSL_CERT_FILE=/etc/ssl/certs/ca.pem", "AWS_WEB_IDENTITY_TOKEN_FILE=/var/run/token",
				"COMPOSE_FILE=/x/compose.yaml", "AZURE_FEDERATED_TOKEN_FILE=/var/run/azure", "LOG_FILE=/var/log/app.log"},
			want: []string{"SSL_CERT_FILE=/etc/ssl/certs/ca.pem", "AWS_WEB_IDENTITY_TOKEN_FILE=/var/run/token",
				"COMPOSE_FILE=/x/compose.yaml", "AZURE_FEDERATED_TOKEN_FILE=/var/run/azure", "LOG_FILE=/var/log/app.log"},
		},
		{
			name: "Grafana's __FILE is left for Grafana",
			env:  []string{"GF_SECURITY_ADMIN_PASSWORD__FILE=/run/secrets/gf"},
			want: []string{"GF_SECURITY_ADMIN_PASSWORD__FILE=/run/secrets/gf"},
		},
		{
			name: "a value without a slash is not a path",
			env:  []string{"MINIO_ROOT_USER_FILE=access_key", "LOG_FILE=false"},
			want: []string{"MINIO_ROOT_USER_FILE=access_key", "LOG_FILE=false"},
		},
		{
			name: "a bare _FILE names no variable",
			env:  []string{"_FILE=/x"},
			want: []string{"_FILE=/x"},
		},
		{
			name:  "relative paths work",
			env:   []string{"A_FILE=./secrets/a.txt"},
			files: fakeFiles{"./secrets/a.txt": "a"},
			want:  []string{"A=a"},
		},
		{
			name:  "SHIM_SKIP matches the full name with globs",
			env:   []string{"APP_CERT_FILE=/c", "APP_FILE_FILE=/f", "DB_FILE=/d"},
			files: fakeFiles{"/d": "d"},
			set:   func(s *settings) { s.Skip = []string{"APP_*_FILE", "NOPE"} },
			want:  []string{"APP_CERT_FILE=/c", "APP_FILE_FILE=/f", "DB=d"},
		},
		{
			name:  "SHIM_ONLY expands only its matches",
			env:   []string{"A_FILE=/a", "B_FILE=/b", "DB_PASSWORD_FILE=/p"},
			files: fakeFiles{"/a": "a", "/p": "p"},
			set:   func(s *settings) { s.Only = []string{"A_FILE", "DB_*"} },
			want:  []string{"A=a", "B_FILE=/b", "DB_PASSWORD=p"},
		},
		{
			name:  "SHIM_SKIP wins over SHIM_ONLY",
			env:   []string{"A_FILE=/a"},
			files: fakeFiles{"/a": "a"},
			set:   func(s *settings) { s.Only = []string{"A_FILE"}; s.Skip = []string{"A_*"} },
			want:  []string{"A_FILE=/a"},
		},
		{
			name:  "SHIM_SUFFIX changes the suffix",
			env:   []string{"A_SECRET=/a", "B_FILE=/b"},
			files: fakeFiles{"/a": "a"},
			set:   func(s *settings) { s.Suffix = "_SECRET" },
			want:  []string{"A=a", "B_FILE=/b"},
		},
		{
			name:  "the first of duplicate names wins, as for getenv",
			env:   []string{"A=1", "A_FILE=/a", "A=2", "B=x", "A_FILE=/other"},
			files: fakeFiles{},
			want:  []string{"A=1", "A_FILE=/a", "B=x"},
			set:   func(s *settings) { s.Skip = []string{"A_FILE"} },
		},
		{
			name: "an entry without = passes through",
			env:  []string{"JUNK", "A=1"},
			want: []string{"JUNK", "A=1"},
		},
		{
			name:    "a missing file fails with the variable, the path and a hint",
			env:     []string{"DB_PASSWORD_FILE=/run/secrets/db"},
			wantErr: "DB_PASSWORD_FILE: open /run/secrets/db: no such file or directory\n" + notMountedHint("/run/secrets") + "\nhint: if DB_PASSWORD_FILE holds a path for the program to open itself, add it to SHIM_SKIP",
		},
		{
			name:  "an unreadable file says who owns it and who shim is",
			env:   []string{"REDIS_PASSWORD_FILE=/run/secrets/redis"},
			files: fakeFiles{"/run/secrets/redis": deniedFile},
			wantErr: "REDIS_PASSWORD_FILE: open /run/secrets/redis: permission denied\n" +
				"hint: /run/secrets/redis is owned by uid 1000 gid 1000 with mode 0600 and shim runs as uid 999; run shim as root and set SHIM_USER to read secrets first and then drop privileges\n" +
				"hint: if REDIS_PASSWORD_FILE holds a path for the program to open itself, add it to SHIM_SKIP",
		},
		{
			name:    "a directory",
			env:     []string{"A_FILE=/run/secrets"},
			files:   fakeFiles{"/run/secrets": dirFile},
			wantErr: "A_FILE: read /run/secrets: is a directory\nhint: if A_FILE holds a path for the program to open itself, add it to SHIM_SKIP",
		},
		{
			name:    "a NUL byte",
			env:     []string{"KEY_FILE=/k"},
			files:   fakeFiles{"/k": sentinel + "\x00rest"},
			wantErr: "KEY_FILE: /k: contains a NUL byte (at offset 8), which an environment variable cannot hold\nhint: if KEY_FILE holds a path for the program to open itself, add it to SHIM_SKIP",
		},
		{
			name:     "exactly at the entry limit: NAME=value and NUL fill it",
			env:      []string{"AB_FILE=/a"},
			files:    fakeFiles{"/a": strings.Repeat("x", 28)},
			maxEntry: 32,
			want:     []string{"AB=" + strings.Repeat("x", 28)},
		},
		{
			name:     "a trailing newline counts against the limit: the file is judged whole",
			env:      []string{"AB_FILE=/a"},
			files:    fakeFiles{"/a": strings.Repeat("x", 27) + "\n"},
			maxEntry: 32,
			want:     []string{"AB=" + strings.Repeat("x", 27)},
		},
		{
			name:     "a cut that falls in a run of newlines is still too large",
			env:      []string{"AB_FILE=/a"},
			files:    fakeFiles{"/a": "x" + strings.Repeat("\n", 100) + "TAIL"},
			maxEntry: 32,
			wantErr:  "AB_FILE: /a: too large for one environment variable (the file may be at most 28 bytes)\nhint: if AB_FILE holds a path for the program to open itself, add it to SHIM_SKIP",
		},
		{
			name:     "a NUL past the limit is still too large",
			env:      []string{"AB_FILE=/a"},
			files:    fakeFiles{"/a": strings.Repeat("x", 28) + "\x00"},
			maxEntry: 32,
			wantErr:  "AB_FILE: /a: too large for one environment variable (the file may be at most 28 bytes)\nhint: if AB_FILE holds a path for the program to open itself, add it to SHIM_SKIP",
		},
		{
			name:     "one byte over the entry limit",
			env:      []string{"AB_FILE=/a"},
			files:    fakeFiles{"/a": strings.Repeat("x", 29)},
			maxEntry: 32,
			wantErr:  "AB_FILE: /a: too large for one environment variable (the file may be at most 28 bytes)\nhint: if AB_FILE holds a path for the program to open itself, add it to SHIM_SKIP",
		},
		{
			name:     "a huge file is read only up to the limit",
			env:      []string{"AB_FILE=/dev/zero"},
			files:    fakeFiles{"/dev/zero": strings.Repeat("\x00", 1<<20)},
			maxEntry: 32,
			wantErr:  "AB_FILE: /dev/zero: too large for one environment variable (the file may be at most 28 bytes)\nhint: if AB_FILE holds a path for the program to open itself, add it to SHIM_SKIP",
		},
	})
}

func TestSecretsDir(t *testing.T) {
	dir := func(s *settings) { s.Secrets.Dir = []string{"/run/secrets"} }
	runResolveCases(t, []resolveCase{
		{
			name:  "each file becomes a variable named after it",
			env:   []string{"A=1"},
			files: fakeFiles{"/run/secrets": dirFile, "/run/secrets/postgres_password": pw + "\n", "/run/secrets/tls.crt": "crt", "/run/secrets/api-key.v2": "k", "/run/secrets/..data": dirFile, "/run/secrets/.hidden": "h"},
			set:   dir,
			want:  []string{"A=1", "API_KEY_V2=k", "POSTGRES_PASSWORD=" + pw, "TLS_CRT=crt"},
		},
		{
			name:  "a variable already set wins over the directory",
			env:   []string{"TOKEN=env", "DB_PASSWORD_FILE=/elsewhere", "EMPTY="},
			files: fakeFiles{"/run/secrets": dirFile, "/run/secrets/token": "t", "/run/secrets/db_password": "dir", "/elsewhere": "file", "/run/secrets/empty": "filled"},
			set:   dir,
			want:  []string{"TOKEN=env", "DB_PASSWORD=file", "EMPTY=filled"},
		},
		{
			name:  "a file named after a _FILE that was read sets that name, not the one read",
			env:   []string{"TOKEN_FILE=/t"},
			files: fakeFiles{"/run/secrets": dirFile, "/run/secrets/token_file": "d", "/t": "f"},
			set:   dir,
			want:  []string{"TOKEN=f", "TOKEN_FILE=d"},
		},
		{
			name:    "two files with one name",
			files:   fakeFiles{"/run/secrets": dirFile, "/run/secrets/tls.crt": "a", "/run/secrets/tls_crt": "b"},
			set:     dir,
			wantErr: "SHIM_SECRETS_DIR: /run/secrets/tls.crt and /run/secrets/tls_crt both map to TLS_CRT",
		},
		{
			name:    "two directories with one name",
			files:   fakeFiles{"/run/secrets": dirFile, "/run/secrets/pw": "a", "/etc/secrets": dirFile, "/etc/secrets/pw": "b"},
			set:     func(s *settings) { s.Secrets.Dir = []string{"/run/secrets", "/etc/secrets"} },
			wantErr: "SHIM_SECRETS_DIR: /run/secrets/pw and /etc/secrets/pw both map to PW",
		},
		{
			name:    "a missing directory",
			set:     dir,
			wantErr: "SHIM_SECRETS_DIR: open /run/secrets: no such file or directory\nhint: SHIM_SECRETS_DIR names directories that must exist; leave a missing one out",
		},
		{
			name:  "an unreadable file in the directory",
			files: fakeFiles{"/run/secrets": dirFile, "/run/secrets/pw": deniedFile},
			set:   dir,
			wantErr: "PW from SHIM_SECRETS_DIR: open /run/secrets/pw: permission denied\n" +
				"hint: /run/secrets/pw is owned by uid 1000 gid 1000 with mode 0600 and shim runs as uid 999; run shim as root and set SHIM_USER to read secrets first and then drop privileges\n" +
				"hint: a file in a secrets directory that is not a secret can be moved out of it, or the directory left out of SHIM_SECRETS_DIR",
		},
	})
}

func TestVariableName(t *testing.T) {
	for file, want := range map[string]string{
		"postgres_password": "POSTGRES_PASSWORD",
		"tls.crt":           "TLS_CRT",
		"api-key":           "API_KEY",
		"Mixed.Case-1":      "MIXED_CASE_1",
		"été":               "_T_",
		"a b":               "A_B",
	} {
		if got := variableName(file); got != want {
			t.Errorf("variableName(%q) = %q, want %q", file, got, want)
		}
	}
}

// TestAssemble is the resolver's side of URL assembly (the URL itself is
// urls_test.go's): when it assembles, where the URL goes, and the hint.
func TestAssemble(t *testing.T) {
	runResolveCases(t, []resolveCase{
		{
			name:       "the empty DATABASE_URL is filled in its place",
			env:        []string{"DATABASE_URL=", "PGHOST=db", "PGPASSWORD_FILE=/p"},
			files:      fakeFiles{"/p": pw},
			want:       []string{"DATABASE_URL=postgresql://:" + pw + "@db:5432", "PGHOST=db", "PGPASSWORD=" + pw},
			wantReport: []string{"set PGPASSWORD from /p (11 bytes)", "set DATABASE_URL=postgresql://:***@db:5432 (assembled)"},
		},
		{
			name: "an existing DATABASE_URL is never touched",
			env:  []string{"PGHOST=db", "DATABASE_URL=postgres://other"},
			want: []string{"PGHOST=db", "DATABASE_URL=postgres://other"},
		},
		{
			name:       "no host, no URL and no report line",
			env:        []string{"POSTGRES_PASSWORD=x", "REDIS_PORT=x"},
			want:       []string{"POSTGRES_PASSWORD=x", "REDIS_PORT=x"},
			wantReport: []string{},
		},
		{
			name: "SHIM_DATABASE_URL=false",
			env:  []string{"PGHOST=db", "PGPORT=x"},
			set:  func(s *settings) { s.Database.URL = false },
			want: []string{"PGHOST=db", "PGPORT=x"},
		},
		{
			name:    "a refused part gets the way out as a hint",
			env:     []string{"REDIS_HOST=r", "REDIS_DB_FILE=/db"},
			files:   fakeFiles{"/db": "99999999999"},
			wantErr: "REDIS_DB: not a database number (0-2147483647)\nhint: set REDIS_URL yourself, or SHIM_REDIS_URL=false to leave it unset",
		},
	})
}

func TestRequire(t *testing.T) {
	req := func(names ...string) func(*settings) {
		return func(s *settings) { s.Require = names }
	}
	runResolveCases(t, []resolveCase{
		{
			name:  "present after expansion",
			env:   []string{"POSTGRES_PASSWORD_FILE=/p", "PGHOST=db"},
			files: fakeFiles{"/p": "x"},
			set:   req("POSTGRES_PASSWORD", "DATABASE_URL"),
			want:  []string{"POSTGRES_PASSWORD=x", "PGHOST=db", "DATABASE_URL=postgresql://:x@db:5432"},
		},
		{
			name:    "every missing name is reported",
			env:     []string{"B="},
			set:     req("A", "B"),
			wantErr: "A is required (SHIM_REQUIRE) but not set\nB is required (SHIM_REQUIRE) but empty",
		},
		{
			name:    "the classic typo is pointed out",
			env:     []string{"POSTGRES_DB_PASSWORD_FILE=/p"},
			files:   fakeFiles{"/p": "x"},
			set:     req("POSTGRES_PASSWORD"),
			wantErr: "POSTGRES_PASSWORD is required (SHIM_REQUIRE) but not set\nhint: did you mean POSTGRES_DB_PASSWORD, which is set?",
		},
		{
			name:    "a _FILE that was read is no longer set",
			env:     []string{"A_FILE=/a"},
			files:   fakeFiles{"/a": "x"},
			set:     req("A_FILE"),
			wantErr: "A_FILE is required (SHIM_REQUIRE) but not set",
		},
		{
			name:    "a skipped _FILE says why",
			env:     []string{"POSTGRES_PASSWORD_FILE=postgres_password"},
			set:     req("POSTGRES_PASSWORD"),
			wantErr: "POSTGRES_PASSWORD is required (SHIM_REQUIRE) but not set\nhint: POSTGRES_PASSWORD_FILE was not read: value is not a path (no /)",
		},
	})
}

func TestExpandArgs(t *testing.T) {
	env := []string{"REDIS_PASSWORD=" + pw, "EMPTY=", "PORT=6379"}
	runResolveCases(t, []resolveCase{
		{
			name:     "the guide's redis command",
			env:      env,
			args:     []string{"redis-server", "--requirepass", "${REDIS_PASSWORD}", "--port=${PORT}"},
			want:     env,
			wantArgs: []string{"redis-server", "--requirepass", pw, "--port=6379"},
		},
		{
			name:     "a value set from a file",
			env:      []string{"PW_FILE=/pw"},
			files:    fakeFiles{"/pw": pw},
			args:     []string{"app", "--password=${PW}"},
			want:     []string{"PW=" + pw},
			wantArgs: []string{"app", "--password=" + pw},
		},
		{
			name:     "defaults, literals and what is left alone",
			env:      env,
			args:     []string{"cmd", "${EMPTY:-d}", "${UNSET:-}", "${UNSET:-a b}", "$${PORT}", "$PORT", "$", "a$b", "${PORT}${PORT}", "$$", "}"},
			want:     env,
			wantArgs: []string{"cmd", "d", "", "a b", "${PORT}", "$PORT", "$", "a$b", "63796379", "$$", "}"},
		},
		{
			name:     "the command name is expanded too",
			env:      []string{"BIN=/usr/bin/app"},
			args:     []string{"${BIN}", "x"},
			want:     []string{"BIN=/usr/bin/app"},
			wantArgs: []string{"/usr/bin/app", "x"},
		},
		{
			name:     "SHIM_EXPAND_ARGS=false",
			env:      env,
			args:     []string{"cmd", "${UNSET}", "${"},
			set:      func(s *settings) { s.Expand.Args = false },
			want:     env,
			wantArgs: []string{"cmd", "${UNSET}", "${"},
		},
		{
			name:    "unset",
			args:    []string{"redis-server", "--requirepass", "${REDIS_PASSWORD}"},
			wantErr: "argument 2 \"${REDIS_PASSWORD}\": REDIS_PASSWORD is not set\nhint: set REDIS_PASSWORD (or REDIS_PASSWORD_FILE), write ${REDIS_PASSWORD:-} to allow an empty value, or $${ for a literal ${",
		},
		{
			name:    "empty",
			env:     env,
			args:    []string{"${EMPTY}"},
			wantErr: "the command \"${EMPTY}\": EMPTY is empty\nhint: set EMPTY (or EMPTY_FILE), write ${EMPTY:-} to allow an empty value, or $${ for a literal ${",
		},
		{
			name:    "unterminated",
			args:    []string{"cmd", "${PORT"},
			wantErr: "argument 1 \"${PORT\": ${ without a closing }\nhint: shim expands only ${NAME} and ${NAME:-default}; write $${ for a literal ${",
		},
		{
			name:    "empty name",
			args:    []string{"cmd", "${}"},
			wantErr: "argument 1 \"${}\": ${} names no variable\nhint: shim expands only ${NAME} and ${NAME:-default}; write $${ for a literal ${",
		},
		{
			name:    "a name that is not a name",
			args:    []string{"cmd", "${1X}"},
			wantErr: "argument 1 \"${1X}\": ${1X} is not ${NAME} or ${NAME:-default}\nhint: shim expands only ${NAME} and ${NAME:-default}; write $${ for a literal ${",
		},
		{
			name:    "other shell forms",
			args:    []string{"cmd", "${PORT:=1}"},
			wantErr: "argument 1 \"${PORT:=1}\": ${PORT:=1} is not ${NAME} or ${NAME:-default}\nhint: shim expands only ${NAME} and ${NAME:-default}; write $${ for a literal ${",
		},
		{
			name:    "a length",
			args:    []string{"cmd", "${#PORT}"},
			wantErr: "argument 1 \"${#PORT}\": ${#PORT} is not ${NAME} or ${NAME:-default}\nhint: shim expands only ${NAME} and ${NAME:-default}; write $${ for a literal ${",
		},
		{
			name:    "nested",
			args:    []string{"cmd", "${A:-${B}}"},
			wantErr: "argument 1 \"${A:-${B}}\": ${ inside a ${...} default is not supported\nhint: shim expands only ${NAME} and ${NAME:-default}; write $${ for a literal ${",
		},
	})
}

func TestReport(t *testing.T) {
	env := []string{"POSTGRES_PASSWORD_FILE=/run/secrets/pg", "POSTGRES_USER_FILE=/run/secrets/user", "SSL_CERT_FILE=/etc/ssl/ca.pem", "DATABASE_HOST=db", "POSTGRES_DB=app"}
	files := fakeFiles{"/run/secrets/pg": pw + "\n", "/run/secrets/user": sentinel + "-user", "/run/secrets": dirFile, "/run/secrets/postgres_password": "x", "/run/secrets/api_key": sentinel}
	s := defaults()
	s.Secrets.Dir = []string{"/run/secrets"}
	got, err := resolve(request{environ: env, args: []string{"app", "--key=${API_KEY}"}, Rules: s.Rules, maxEntry: 131072, report: true}, files)
	if err != nil {
		t.Fatal(err)
	}
	wantLines := []string{
		"skip SSL_CERT_FILE: a path other tools read (built-in list)",
		"set POSTGRES_PASSWORD from /run/secrets/pg (11 bytes)",
		"set POSTGRES_USER from /run/secrets/user (13 bytes)",
		"set API_KEY from /run/secrets/api_key (8 bytes, SHIM_SECRETS_DIR)",
		"set PG from /run/secrets/pg (11 bytes, SHIM_SECRETS_DIR)",
		"shadowed /run/secrets/postgres_password: POSTGRES_PASSWORD is already set from POSTGRES_PASSWORD_FILE",
		"set USER from /run/secrets/user (13 bytes, SHIM_SECRETS_DIR)",
		"set DATABASE_URL=postgresql://***:***@db:5432/app (assembled)",
		"expand API_KEY from argument 1",
	}
	if !slices.Equal(got.report, wantLines) {
		t.Errorf("report\n got: %q\nwant: %q", got.report, wantLines)
	}
	assertNoSecret(t, "report", strings.Join(got.report, "\n"))
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"abc", "", 3}, {"kitten", "sitting", 3}, {"POSTGRES_DB_PASSWORD", "POSTGRES_PASSWORD", 3}} {
		if got := distance(tc.a, tc.b, 99); got != tc.want && tc.a != "" {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

// FuzzExpandFiles checks that any file content either arrives in the
// command's environment exactly (trimmed) or fails with a message that does
// not carry it, and that every other variable passes through.
func FuzzExpandFiles(f *testing.F) {
	f.Add("PW", []byte("secret\n"), true)
	f.Add("KEY", []byte("a\x00b"), true)
	f.Add("A", []byte("\r\n\r\n"), false)
	f.Add("_", []byte(strings.Repeat("x", 200)), true)
	f.Fuzz(func(t *testing.T, name string, content []byte, trim bool) {
		if name == "" || strings.ContainsAny(name, "=\x00") {
			return
		}
		secret := sentinel + string(content)
		s := defaults()
		s.Trim = trim
		env := []string{"BEFORE=1", name + "_FILE=/s", "AFTER=2"}
		got, err := resolve(request{environ: env, args: []string{"cmd"}, Rules: s.Rules, maxEntry: 256, report: true}, fakeFiles{"/s": secret})
		if err != nil {
			assertNoSecret(t, "error", strings.Join(errorLines(err), "\n"))
			return
		}
		assertNoSecret(t, "report", strings.Join(got.report, "\n"))
		want := secret
		if trim {
			want = strings.TrimRight(want, "\r\n")
		}
		if strings.HasSuffix(name, "_") || isPathVariable(name+"_FILE") {
			return
		}
		if len(got.env) != 3 || got.env[0] != "BEFORE=1" || got.env[2] != "AFTER=2" || got.env[1] != name+"="+want {
			t.Fatalf("env %q", got.env)
		}
		// The whole file, not only what arrives, must fit and hold no NUL.
		if strings.ContainsRune(secret, 0) || len(name)+len(secret)+2 > 256 {
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
		lookup := func(name string) (string, bool) {
			if name == "X" {
				return value, true
			}
			return "", false
		}
		got, _, err := expandArg(arg, lookup)
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

// TestPassthroughProperty generates random environments, with a random
// subset of *_FILE entries, and checks the command's environment against a
// model of the documented changes: each expanded NAME_FILE becomes
// NAME=content in its place, an empty NAME it replaces is dropped, later
// duplicates are dropped, and everything else passes byte for byte, in order.
func TestPassthroughProperty(t *testing.T) {
	for seed := range runs(2000) {
		rng := rand.New(rand.NewPCG(seed, 1))
		env, files := randomEnv(rng)
		s := defaults()
		s.Database.URL, s.Redis.URL = false, false
		got, err := resolve(request{environ: env, args: []string{"cmd"}, Rules: s.Rules, maxEntry: 131072}, files)
		want, wantErr := passthroughModel(env, files)
		if wantErr != "" {
			if err == nil || messages(err) != wantErr {
				t.Fatalf("seed %d: env %q: error %v, want %q", seed, env, err, wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("seed %d: env %q: %v", seed, env, err)
		}
		if !slices.Equal(got.env, want) {
			t.Fatalf("seed %d: env %q\n got: %q\nwant: %q", seed, env, got.env, want)
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

// passthroughModel computes the expected environment the plain way.
func passthroughModel(env []string, files fakeFiles) ([]string, string) {
	first := map[string]string{}
	for _, kv := range env {
		if name, value, ok := strings.Cut(kv, "="); ok {
			if _, seen := first[name]; !seen {
				first[name] = value
			}
		}
	}
	// Conflicts are judged on the environment as it came in, before any
	// file is read; then the files are read in order.
	var candidates []string
	for _, kv := range env {
		fileVar, p, _ := strings.Cut(kv, "=")
		name, ok := strings.CutSuffix(fileVar, "_FILE")
		if !ok || name == "" || first[fileVar] != p || p == "" || !strings.Contains(p, "/") || strings.HasSuffix(name, "_") || isPathVariable(fileVar) || slices.Contains(candidates, fileVar) {
			continue
		}
		if first[name] != "" {
			return nil, "both " + name + " and " + fileVar + " are set (but are exclusive)"
		}
		candidates = append(candidates, fileVar)
	}
	expanded := map[string]string{} // NAME_FILE → NAME=content
	for _, fileVar := range candidates {
		p := first[fileVar]
		content, ok := files[p]
		if !ok {
			return nil, fileVar + ": open " + quote(p) + ": no such file or directory\n" + notMountedHint(path.Dir(p)) + "\nhint: if " + fileVar + " holds a path for the program to open itself, add it to SHIM_SKIP"
		}
		expanded[fileVar] = strings.TrimSuffix(fileVar, "_FILE") + "=" + strings.TrimRight(content, "\r\n")
	}
	replaced := map[string]bool{}
	for fileVar := range expanded {
		replaced[strings.TrimSuffix(fileVar, "_FILE")] = true
	}
	var out []string
	seen := map[string]bool{}
	for _, kv := range env {
		name, _, ok := strings.Cut(kv, "=")
		switch {
		case !ok:
			out = append(out, kv)
		case seen[name]:
		case expanded[name] != "":
			seen[name] = true
			out = append(out, expanded[name])
		case replaced[name]:
			seen[name] = true // the empty NAME the file replaces
		default:
			seen[name] = true
			out = append(out, kv)
		}
	}
	return out, ""
}

// TestAdversarial holds the variants of defects an adversarial review
// found: each row is the hostile form of an input, and the invariant it
// must keep.
func TestAdversarial(t *testing.T) {
	secrets := func(s *settings) { s.Secrets.Dir = []string{"/s"} }
	notSecret := "hint: a file in a secrets directory that is not a secret can be moved out of it, or the directory left out of SHIM_SECRETS_DIR"
	runResolveCases(t, []resolveCase{
		// No value read from a file is ever used as a path.
		{
			name:  "a _FILE whose file names another _FILE: the content is not a path",
			env:   []string{"X_FILE_FILE=/b64", "X_FILE="},
			files: fakeFiles{"/b64": "/etc/" + sentinel},
			want:  []string{"X_FILE=/etc/" + sentinel},
		},
		{
			name:  "the same, in the other order",
			env:   []string{"X_FILE=", "X_FILE_FILE=/b64"},
			files: fakeFiles{"/b64": "/etc/" + sentinel},
			want:  []string{"X_FILE=/etc/" + sentinel},
		},
		{
			name:    "a chain where both are paths conflicts, in either order",
			env:     []string{"X_FILE_FILE=/a", "X_FILE=/b"},
			files:   fakeFiles{"/a": pw, "/b": pw},
			wantErr: "both X_FILE and X_FILE_FILE are set (but are exclusive)",
		},
		{
			name:    "the chain the other way round",
			env:     []string{"X_FILE=/b", "X_FILE_FILE=/a"},
			files:   fakeFiles{"/a": pw, "/b": pw},
			wantErr: "both X_FILE and X_FILE_FILE are set (but are exclusive)",
		},
		{
			name:  "a secrets-directory file named like a _FILE is not expanded",
			env:   []string{},
			files: fakeFiles{"/s": dirFile, "/s/y_file": "/etc/passwd"},
			set:   secrets,
			want:  []string{"Y_FILE=/etc/passwd"},
		},

		// Every part of a URL whose value came from a file is masked.
		{
			name: "URL parts from files are never shown, whatever the part",
			env: []string{"DATABASE_SCHEME_FILE=/scheme", "DATABASE_USER_FILE=/user", "DATABASE_HOST_FILE=/host", "DATABASE_PORT_FILE=/port",
				"DATABASE_NAME_FILE=/name", "DATABASE_PARAMS_FILE=/params", "REDIS_SCHEME_FILE=/rscheme", "REDIS_HOST=cache", "REDIS_PORT_FILE=/port", "REDIS_DB_FILE=/db"},
			files: fakeFiles{"/scheme": "postgres", "/user": "u", "/host": "db", "/port": "5433", "/name": "n", "/params": "sslpassword=x", "/rscheme": "rediss", "/db": "2"},
			want: []string{"DATABASE_SCHEME=postgres", "DATABASE_USER=u", "DATABASE_HOST=db", "DATABASE_PORT=5433", "DATABASE_NAME=n", "DATABASE_PARAMS=sslpassword=x",
				"REDIS_SCHEME=rediss", "REDIS_HOST=cache", "REDIS_PORT=5433", "REDIS_DB=2",
				"DATABASE_URL=postgres://u@db:5433/n?sslpassword=x", "REDIS_URL=rediss://cache:5433/2"},
			wantReport: []string{"set DATABASE_SCHEME from /scheme (8 bytes)", "set DATABASE_USER from /user (1 bytes)", "set DATABASE_HOST from /host (2 bytes)",
				"set DATABASE_PORT from /port (4 bytes)", "set DATABASE_NAME from /name (1 bytes)", "set DATABASE_PARAMS from /params (13 bytes)",
				"set REDIS_SCHEME from /rscheme (6 bytes)", "set REDIS_PORT from /port (4 bytes)", "set REDIS_DB from /db (1 bytes)",
				"set DATABASE_URL=*** (assembled, no password)", "set REDIS_URL=*** (assembled, no password)"},
		},
		{
			name:  "URL parts from a secrets directory are masked too",
			env:   []string{"PGHOST=db"},
			files: fakeFiles{"/s": dirFile, "/s/database_params": "sslpassword=x", "/s/pgport": "5433"},
			set:   secrets,
			want:  []string{"PGHOST=db", "DATABASE_PARAMS=sslpassword=x", "PGPORT=5433", "DATABASE_URL=postgresql://db:5433?sslpassword=x"},
			wantReport: []string{"set DATABASE_PARAMS from /s/database_params (13 bytes, SHIM_SECRETS_DIR)", "set PGPORT from /s/pgport (4 bytes, SHIM_SECRETS_DIR)",
				"set DATABASE_URL=*** (assembled, no password)"},
		},

		// URLs every client reads alike, or none.
		{
			name:       "libpq host lists are left to libpq, with a report line",
			env:        []string{"PGHOST=db1,db2", "PGPASSWORD=" + pw},
			want:       []string{"PGHOST=db1,db2", "PGPASSWORD=" + pw},
			wantReport: []string{"skip DATABASE_URL: not assembled: PGHOST or the port lists several hosts, which libpq reads itself but a URL cannot give every client"},
		},
		{
			name:       "a port list too",
			env:        []string{"PGHOST=db", "PGPORT=5432,5433"},
			want:       []string{"PGHOST=db", "PGPORT=5432,5433"},
			wantReport: []string{"skip DATABASE_URL: not assembled: PGHOST or the port lists several hosts, which libpq reads itself but a URL cannot give every client"},
		},
		{
			name:    "requiring the URL a host list did not assemble says why",
			env:     []string{"PGHOST=db1,db2"},
			set:     func(s *settings) { s.Require = []string{"DATABASE_URL"} },
			wantErr: "DATABASE_URL is required (SHIM_REQUIRE) but not set\nhint: DATABASE_URL was not read: not assembled: PGHOST or the port lists several hosts, which libpq reads itself but a URL cannot give every client",
		},

		// Secrets directories fail closed.
		{
			name:    "a dangling link, as a ..data link pointing nowhere",
			files:   fakeFiles{"/s": dirFile, "/s/pw": danglingFile},
			set:     secrets,
			wantErr: "PW from SHIM_SECRETS_DIR: open /s/pw: a symbolic link to a file that does not exist\n" + notMountedHint("/s") + "\n" + notSecret,
		},
		{
			name:    "a FIFO",
			files:   fakeFiles{"/s": dirFile, "/s/f": fifoFile},
			set:     secrets,
			wantErr: "F from SHIM_SECRETS_DIR: open /s/f: not a regular file (a named pipe)\n" + notSecret,
		},
		{
			name:    "a subdirectory",
			files:   fakeFiles{"/s": dirFile, "/s/sub": dirFile},
			set:     secrets,
			wantErr: "SUB from SHIM_SECRETS_DIR: open /s/sub: not a regular file (a directory)\n" + notSecret,
		},
		{
			name:  "dot names are left out, even broken ones",
			files: fakeFiles{"/s": dirFile, "/s/..data": danglingFile, "/s/..2026_12_01": dirFile, "/s/.hidden": fifoFile, "/s/pw": pw},
			set:   secrets,
			want:  []string{"PW=" + pw},
		},
		{
			name:  "the same directory twice is read once",
			files: fakeFiles{"/s": dirFile, "/s/pw": pw},
			set:   func(s *settings) { s.Secrets.Dir = []string{"/s", "/s/", "/s/."} },
			want:  []string{"PW=" + pw},
		},

		// Names, paths and file names cannot forge a line.
		{
			name:    "a newline in a path",
			env:     []string{"A_FILE=/x\nshim: hint: everything is fine"},
			wantErr: "A_FILE: open \"/x\\nshim: hint: everything is fine\": no such file or directory\n" + notMountedHint("/") + "\nhint: if A_FILE holds a path for the program to open itself, add it to SHIM_SKIP",
		},
		{
			name:    "a newline in a secrets directory's file name",
			files:   fakeFiles{"/s": dirFile, "/s/evil\nshim: hint: fine": fifoFile},
			set:     secrets,
			wantErr: "EVIL_SHIM__HINT__FINE from SHIM_SECRETS_DIR: open \"/s/evil\\nshim: hint: fine\": not a regular file (a named pipe)\n" + notSecret,
		},
		{
			name:    "a newline in an argument",
			args:    []string{"cmd", "${X\nshim: ok}"},
			wantErr: "argument 1 \"${X\\nshim: ok}\": ${X\\nshim: ok} is not ${NAME} or ${NAME:-default}\nhint: shim expands only ${NAME} and ${NAME:-default}; write $${ for a literal ${",
		},
		{
			name:    "a newline in a required name",
			set:     func(s *settings) { s.Require = []string{"A\nshim: ok"} },
			wantErr: "\"A\\nshim: ok\" is required (SHIM_REQUIRE) but not set",
		},

		// Hints speak the configured suffix and suggest only what shim would read.
		{
			name:    "the unset-variable hint uses SHIM_SUFFIX",
			args:    []string{"cmd", "${PW}"},
			set:     func(s *settings) { s.Suffix = "_SECRET" },
			wantErr: "argument 1 \"${PW}\": PW is not set\nhint: set PW (or PW_SECRET), write ${PW:-} to allow an empty value, or $${ for a literal ${",
		},
		{
			name:    "no __FILE for ${_}",
			args:    []string{"cmd", "${_}"},
			wantErr: "argument 1 \"${_}\": _ is not set\nhint: set _, write ${_:-} to allow an empty value, or $${ for a literal ${",
		},
		{
			name:    "no _FILE that SHIM_SKIP would skip",
			args:    []string{"cmd", "${PW}"},
			set:     func(s *settings) { s.Skip = []string{"PW_*"} },
			wantErr: "argument 1 \"${PW}\": PW is not set\nhint: set PW, write ${PW:-} to allow an empty value, or $${ for a literal ${",
		},
		{
			name:    "no _FILE of a built-in path variable",
			args:    []string{"cmd", "${SSL_CERT}"},
			wantErr: "argument 1 \"${SSL_CERT}\": SSL_CERT is not set\nhint: set SSL_CERT, write ${SSL_CERT:-} to allow an empty value, or $${ for a literal ${",
		},

		// --check goes on after a problem.
		{
			name:  "every problem at once",
			env:   []string{"A_FILE=/a", "B=1", "B_FILE=/b", "PGHOST=db", "PGPORT=x"},
			set:   func(s *settings) { s.Require = []string{"C"} },
			all:   true,
			files: fakeFiles{"/b": "b"},
			wantErr: "both B and B_FILE are set (but are exclusive)\n" +
				"A_FILE: open /a: no such file or directory\n" + notMountedHint("/") + "\nhint: if A_FILE holds a path for the program to open itself, add it to SHIM_SKIP\n" +
				"PGPORT: not a port number (1-65535)\nhint: set DATABASE_URL yourself, or SHIM_DATABASE_URL=false to leave it unset\n" +
				"C is required (SHIM_REQUIRE) but not set",
		},
	})
}

// recordingFiles is fakeFiles that remembers every path it was asked for.
type recordingFiles struct {
	fakeFiles
	opened *[]string
}

func (r recordingFiles) read(p string, limit int, regularOnly bool) ([]byte, error) {
	*r.opened = append(*r.opened, p)
	return r.fakeFiles.read(p, limit, regularOnly)
}

func (r recordingFiles) list(dir string) ([]string, [2]uint64, error) {
	*r.opened = append(*r.opened, dir)
	return r.fakeFiles.list(dir)
}

// hostileRun makes a random run of the kinds of input a careless operator
// or an attacker writes: *_FILE variables and chains, URL parts from files,
// secrets directories, bad values and files over the limit. Every file's
// content holds the sentinel and, in case it is taken for a path, looks
// like one.
func hostileRun(rng *rand.Rand) ([]string, []string, fakeFiles, settings) {
	names := []string{"PW", "X", "X_FILE", "DATABASE_PARAMS", "DATABASE_SCHEME", "DATABASE_PORT", "PGHOST", "PGUSER", "POSTGRES_PASSWORD",
		"REDIS_SCHEME", "REDIS_PORT", "REDIS_HOST", "REDIS_DB", "DATABASE_HOST", "A\nB", "SSL_CERT"}
	contents := []string{"", "\n", "x", "5432", "redis", "db", "sslmode=require", "a%zz", "/run/x", "a,b", "\x00", "tcp://10.0.0.1:5432", strings.Repeat("y", 300)}
	files := fakeFiles{"/s": dirFile}
	// Most contents carry the sentinel and look like a path; some are
	// valid URL parts as they are (a scheme, a host, a query, and a port or
	// database number, which can only be digits: the numeric sentinel).
	content := func() string {
		end := []string{"", "\n", "\r\n\n", "\x00"}[rng.IntN(4)]
		switch rng.IntN(3) {
		case 0:
			return []string{sentinel, sentinel + "=1", numericSentinel}[rng.IntN(3)] + end
		}
		return contents[rng.IntN(len(contents))] + sentinel + "/etc/passwd" + end
	}
	var env []string
	for range 1 + rng.IntN(8) {
		name := names[rng.IntN(len(names))]
		p := fmt.Sprintf("/f/%d", rng.IntN(6))
		switch rng.IntN(5) {
		case 0:
			env = append(env, name+"="+contents[rng.IntN(len(contents))])
		case 1:
			files["/s/"+strings.ToLower(name)] = content()
		case 2:
			env = append(env, name+"_FILE_FILE="+p)
			files[p] = content()
		default:
			env = append(env, name+"_FILE="+p)
			if rng.IntN(4) > 0 {
				files[p] = content()
			}
		}
	}
	s := defaults()
	if rng.IntN(2) == 0 {
		s.Secrets.Dir = []string{"/s"}
	}
	if rng.IntN(3) == 0 {
		s.Require = []string{names[rng.IntN(len(names))]}
	}
	args := []string{"cmd", "${" + names[rng.IntN(len(names))] + "}", "${PW:-d}"}
	return env, args, files, s
}

// TestNoSecretEverShown is the no-leak property over the resolver: across
// generated hostile runs, with every problem reported as --check does, no
// report line and no error contains any file's content, and no file is
// opened whose path came from a file.
func TestNoSecretEverShown(t *testing.T) {
	for seed := range runs(3000) {
		rng := rand.New(rand.NewPCG(seed, 2))
		env, args, files, s := hostileRun(rng)
		var opened []string
		for _, all := range []bool{true, false} {
			got, err := resolve(request{environ: env, args: args, Rules: s.Rules, maxEntry: 256, report: true, allProblems: all}, recordingFiles{files, &opened})
			out := strings.Join(got.report, "\n")
			if err != nil {
				out += "\n" + strings.Join(errorLines(err), "\n")
			}
			if strings.Contains(out, sentinel) || strings.Contains(out, numericSentinel) {
				t.Fatalf("seed %d: env %q: output shows a secret:\n%s", seed, env, out)
			}
			for _, p := range opened {
				if strings.Contains(p, sentinel) {
					t.Fatalf("seed %d: env %q: opened %q, a path that came from a file", seed, env, p)
				}
			}
			for _, line := range strings.Split(out, "\n") {
				if strings.ContainsAny(line, "\r\x00") {
					t.Fatalf("seed %d: a line with a control character: %q", seed, line)
				}
			}
		}
	}
}

// TestOrderDoesNotMatter: the environment's order changes only the order of
// the result, never what is read, set or refused.
func TestOrderDoesNotMatter(t *testing.T) {
	for seed := range runs(2000) {
		rng := rand.New(rand.NewPCG(seed, 3))
		env, _, files, s := hostileRun(rng)
		// With duplicate names the first wins, by design: keep the first.
		seen := map[string]bool{}
		env = slices.DeleteFunc(slices.Clone(env), func(kv string) bool {
			name, _, _ := strings.Cut(kv, "=")
			dup := seen[name]
			seen[name] = true
			return dup
		})
		outcome := func(env []string) string {
			got, err := resolve(request{environ: env, args: []string{"cmd"}, Rules: s.Rules, maxEntry: 256, allProblems: true}, files)
			if err != nil {
				lines := errorLines(err)
				slices.Sort(lines)
				return "error " + strings.Join(lines, "\n")
			}
			sorted := slices.Clone(got.env)
			slices.Sort(sorted)
			return strings.Join(sorted, "\n")
		}
		reversed := slices.Clone(env)
		slices.Reverse(reversed)
		if a, b := outcome(env), outcome(reversed); a != b {
			t.Fatalf("seed %d: env %q\nin order:\n%s\nreversed:\n%s", seed, env, a, b)
		}
	}
}

// TestWholeFileOrRefused is the whole-file property over the real reader:
// for files around the limit, with trailing runs of CR and LF and NULs
// anywhere, shim passes exactly the file's bytes (trimmed) or refuses it,
// never a prefix.
func TestWholeFileOrRefused(t *testing.T) {
	dir := t.TempDir()
	const maxEntry = 4096
	const name = "S"
	limit := maxEntry - len(name) - 2
	rng := rand.New(rand.NewPCG(4, 4))
	for i := range int(runs(400)) {
		size := limit - 3 + rng.IntN(7)
		if i%10 == 0 {
			size = rng.IntN(3 * limit)
		}
		b := []byte(strings.Repeat("s", size))
		if size > 0 {
			tail := rng.IntN(size + 1) // a run of newlines that may start before the cut
			for j := size - tail; j < size; j++ {
				b[j] = "\r\n"[rng.IntN(2)]
			}
			if rng.IntN(4) == 0 {
				b[rng.IntN(size)] = 0
			}
		}
		p := writeSecret(t, dir, strconv.Itoa(i), string(b), 0o600)
		got, err := resolve(request{environ: []string{name + "_FILE=" + p}, args: []string{"cmd"}, Rules: defaults().Rules, maxEntry: maxEntry}, &osFiles{})
		fits := len(b) <= limit && !bytes.Contains(b, []byte{0})
		switch {
		case err != nil && fits:
			t.Fatalf("file %d (%d bytes) refused: %v", i, len(b), err)
		case err == nil && !fits:
			t.Fatalf("file %d (%d bytes, NUL %v) accepted as %d bytes", i, len(b), bytes.Contains(b, []byte{0}), len(got.env[0]))
		case err == nil && got.env[0] != name+"="+strings.TrimRight(string(b), "\r\n"):
			t.Fatalf("file %d passed altered", i)
		}
	}
}

// writeSecret writes a file in dir and returns its path.
func writeSecret(t *testing.T, dir, name, content string, mode os.FileMode) string {
	t.Helper()
	p := path.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}
