package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"net/url"
	"os/exec"
	"strings"
	"testing"
)

// vars is a map-backed get for assembleURL: NAME_FILE holds NAME's value
// as read from a file (a secret), NAME a plain one.
type vars map[string]string

func (v vars) get(name string) (string, bool) {
	if s, ok := v[name+"_FILE"]; ok {
		return s, true
	}
	return v[name], false
}

// urlCase: with url set, out is the shown text; without, the error.
type urlCase struct {
	name     string
	vars     vars
	url, out string
}

func runURLCases(t *testing.T, spec urlSpec, cases []urlCase) {
	t.Helper()
	for _, tc := range cases {
		u, shown, err := assembleURL(spec, tc.vars.get)
		got := shown
		if err != nil {
			got = messages(err)
		}
		if u != tc.url || got != tc.out {
			t.Errorf("%s:\n got: %q %q\nwant: %q %q", tc.name, u, got, tc.url, tc.out)
		}
	}
}

const (
	notQuery = "DATABASE_PARAMS: not a URL query every client reads alike\nhint: write it as sslmode=require&connect_timeout=10: " +
		"each key once, not host, hostaddr, port, user, password or dbname, and %XX for = ? & # ; + @ % or a space in a key or value, never %00"
	notHost = "DATABASE_HOST: not a host name or IP address"
	ipv6    = "\nhint: give the port in its own variable; an IPv6 address is written without brackets or zone"
	k8s     = "\nhint: Kubernetes sets %[1]s=tcp://... for a Service of that name; set the port explicitly, or enableServiceLinks: false in the pod spec"
	several = "%s or the port lists several hosts, which libpq reads itself but a URL cannot give every client"
)

func TestDatabaseURL(t *testing.T) {
	db := func(kv ...string) vars {
		v := vars{"DATABASE_HOST": "db"}
		for i := 0; i < len(kv); i += 2 {
			v[kv[i]] = kv[i+1]
		}
		return v
	}
	cases := []urlCase{
		{"the postgres variables", vars{"POSTGRES_USER": "app", "POSTGRES_PASSWORD": "pw", "DATABASE_HOST": "db", "POSTGRES_DB": "appdb"},
			"postgresql://app:pw@db:5432/appdb", "postgresql://app:***@db:5432/appdb (assembled)"},
		{"a password from a file, strictly encoded", vars{"POSTGRES_PASSWORD_FILE": "p/+=@:% x", "PGHOST": "db"},
			"postgresql://:p%2F%2B%3D%40%3A%25%20x@db:5432", "postgresql://:***@db:5432 (assembled)"},
		{"DATABASE_* beats POSTGRES_* beats PG*", vars{"PGUSER": "u3", "POSTGRES_USER": "u2", "DATABASE_USER": "u1", "PGHOST": "h3", "POSTGRES_HOST": "h2",
			"PGPORT": "3", "POSTGRES_PORT": "2", "DATABASE_PORT": "1", "PGDATABASE": "d3", "DATABASE_NAME": "d1", "PGPASSWORD": "p3", "DATABASE_PASSWORD": "p1"},
			"postgresql://u1:p1@h2:1/d1", "postgresql://u1:***@h2:1/d1 (assembled)"},
		{"an empty variable falls through", vars{"DATABASE_HOST": "", "POSTGRES_HOST": "h2"}, "postgresql://h2:5432", "postgresql://h2:5432 (assembled, no password)"},
		{"no host", vars{"POSTGRES_PASSWORD": "x", "DATABASE_PORT": "x"}, "", "no host"},
		{"mysql's default port", db("DATABASE_SCHEME", "mysql"), "mysql://db:3306", "mysql://db:3306 (assembled, no password)"},
		{"an unknown scheme gets none", db("DATABASE_SCHEME", "cockroachdb"), "cockroachdb://db", "cockroachdb://db (assembled, no password)"},
		{"a driver keeps it, params follow", db("DATABASE_SCHEME", "postgresql+psycopg", "DATABASE_PARAMS", "sslmode=require&connect_timeout=5"),
			"postgresql+psycopg://db:5432?sslmode=require&connect_timeout=5", "postgresql+psycopg://db:5432?sslmode=require&connect_timeout=5 (assembled, no password)"},
		{"the scheme is written in lower case, a driver too", db("DATABASE_SCHEME", "MySQL+PyMySQL"), "mysql+pymysql://db:3306", "mysql+pymysql://db:3306 (assembled, no password)"},
		{"IPv6 hosts get brackets", vars{"DATABASE_HOST": "::1"}, "postgresql://[::1]:5432", "postgresql://[::1]:5432 (assembled, no password)"},
		{"IPv6 already in brackets", vars{"DATABASE_HOST": "[2001:db8::1]", "POSTGRES_DB": "x"}, "postgresql://[2001:db8::1]:5432/x", "postgresql://[2001:db8::1]:5432/x (assembled, no password)"},
		{"a socket directory is libpq's host parameter", vars{"PGHOST": "/var/run/postgresql", "PGDATABASE": "app", "PGUSER": "u", "DATABASE_PARAMS": "sslmode=disable"},
			"postgresql://u@/app?host=%2Fvar%2Frun%2Fpostgresql&port=5432&sslmode=disable", "postgresql://u@/app?host=%2Fvar%2Frun%2Fpostgresql&port=5432&sslmode=disable (assembled, no password)"},
		{"a socket with no default port", vars{"PGHOST": "/s", "DATABASE_SCHEME": "pg"}, "pg:///?host=%2Fs", "pg:///?host=%2Fs (assembled, no password)"},
		{"a database name with a slash", vars{"PGHOST": "db", "PGDATABASE": "a/b c"}, "postgresql://db:5432/a%2Fb%20c", "postgresql://db:5432/a%2Fb%20c (assembled, no password)"},
		{"a leading ? is dropped, escapes kept", db("DATABASE_PARAMS", "?application_name=a%20b&options=-c%20x%3Dy"),
			"postgresql://db:5432?application_name=a%20b&options=-c%20x%3Dy", "postgresql://db:5432?application_name=a%20b&options=-c%20x%3Dy (assembled, no password)"},

		// Masking: user, password and database name in place, else all.
		{"user and name from files", db("DATABASE_USER_FILE", "u", "DATABASE_NAME_FILE", "n", "DATABASE_PARAMS", "a=b"),
			"postgresql://u@db:5432/n?a=b", "postgresql://***@db:5432/***?a=b (assembled, no password)"},
		{"a scheme from a file hides the default port", db("DATABASE_SCHEME_FILE", "mysql"), "mysql://db:3306", "*** (assembled, no password)"},
		{"a socket host from a file", vars{"DATABASE_HOST_FILE": "/s", "PGPASSWORD": "p"}, "postgresql://:p@/?host=%2Fs&port=5432", "*** (assembled)"},
		{"a port from a file", db("PGPORT_FILE", "5433"), "postgresql://db:5433", "*** (assembled, no password)"},
		{"a query from a file", db("DATABASE_PARAMS_FILE", "sslpassword=x"), "postgresql://db:5432?sslpassword=x", "*** (assembled, no password)"},

		{"a libpq host list", vars{"PGHOST": "db1,db2", "PGPASSWORD": "x"}, "", fmt.Sprintf(several, "PGHOST")},
		{"a port list", vars{"POSTGRES_HOST": "db", "PGPORT": "5432,5433"}, "", fmt.Sprintf(several, "POSTGRES_HOST")},
		{"port 65536", db("POSTGRES_PORT", "65536"), "", "POSTGRES_PORT: not a port number (1-65535)"},
		{"port 0", db("PGPORT", "0"), "", "PGPORT: not a port number (1-65535)"},
		{"a signed port", db("PGPORT", "+5432"), "", "PGPORT: not a port number (1-65535)"},
		{"a Kubernetes service link", db("POSTGRES_PORT", "tcp://10.0.0.5:5432"), "", "POSTGRES_PORT: not a port number (1-65535)" + fmt.Sprintf(k8s, "POSTGRES_PORT")},
		{"no service-link hint for a port from a file", db("POSTGRES_PORT_FILE", "tcp://10.0.0.5:5432"), "", "POSTGRES_PORT: not a port number (1-65535)"},
		{"a port in the host", vars{"DATABASE_HOST": "db:5432"}, "", notHost + ipv6},
		{"an IPv6 zone", vars{"DATABASE_HOST": "fe80::1%eth0"}, "", notHost + ipv6},
		{"no IPv6 hint for a host from a file", vars{"DATABASE_HOST_FILE": "db:5432"}, "", notHost},
		{"a host with an @", vars{"DATABASE_HOST": "user@db"}, "", notHost},
		{"a bad scheme", db("DATABASE_SCHEME", "post gres"), "", "DATABASE_SCHEME: not a URL scheme (a letter, then letters, digits, +, - or .)"},
		{"a scheme starting with a digit", db("DATABASE_SCHEME_FILE", "9pg"), "", "DATABASE_SCHEME: not a URL scheme (a letter, then letters, digits, +, - or .)"},
		{"port with a socket host", vars{"PGHOST": "/s", "DATABASE_PARAMS": "port=1"}, "", notQuery},
	}
	// Queries libpq, Go and Python would read differently, or refuse: a
	// fragment, bad escapes, %00, items without = or a key, a raw ; = ? or +,
	// libpq's connection keys in any case or escaped, a repeated key.
	for _, q := range []string{"a=b#frag", "application_name=a%zz", "%", "sslmode=require&verbose", "sslmode=require&", "=x",
		"a=b;c", "application_name=a=b", "application_name=1?b=2", "??sslmode=require", "application_name=%00", "a%00=1",
		"application_name=a+b", "sslmode=disable&host=evil", "h%6Fst=evil", "HostAddr=10.0.0.1", "dbname=x",
		"sslmode=require&sslmode=disable", "sslmode=require&ssl%6Dode=disable"} {
		cases = append(cases, urlCase{"DATABASE_PARAMS=" + q, db("DATABASE_PARAMS", q), "", notQuery})
	}
	runURLCases(t, databaseURL, cases)
}

func TestRedisURL(t *testing.T) {
	notDB := "REDIS_DB: not a database number (0-2147483647)"
	runURLCases(t, redisURL, []urlCase{
		{"password only, legacy AUTH", vars{"REDIS_HOST": "redis", "REDIS_PASSWORD_FILE": "ab+c/d=="}, "redis://:ab%2Bc%2Fd%3D%3D@redis:6379", "redis://:***@redis:6379 (assembled)"},
		{"unreserved bytes stay, any other is %XX", vars{"REDIS_HOST": "r", "REDIS_PASSWORD": "A-z_0.9~\xff\x00"}, "redis://:A-z_0.9~%FF%00@r:6379", "redis://:***@r:6379 (assembled)"},
		{"ACL user, TLS, port and database", vars{"REDIS_SCHEME": "rediss", "REDIS_USERNAME": "app", "REDIS_PASSWORD": "p@ss", "REDIS_HOST": "10.0.0.2", "REDIS_PORT": "6380", "REDIS_DB": "2"},
			"rediss://app:p%40ss@10.0.0.2:6380/2", "rediss://app:***@10.0.0.2:6380/2 (assembled)"},
		{"no password", vars{"REDIS_HOST": "fe80::1"}, "redis://[fe80::1]:6379", "redis://[fe80::1]:6379 (assembled, no password)"},
		{"an upper-case scheme", vars{"REDIS_HOST": "r", "REDIS_SCHEME": "REDISS"}, "rediss://r:6379", "rediss://r:6379 (assembled, no password)"},
		{"the largest database", vars{"REDIS_HOST": "r", "REDIS_DB": "2147483647"}, "redis://r:6379/2147483647", "redis://r:6379/2147483647 (assembled, no password)"},
		{"a database from a file", vars{"REDIS_HOST": "r", "REDIS_DB_FILE": "3"}, "redis://r:6379/3", "redis://r:6379/*** (assembled, no password)"},
		{"a scheme from a file", vars{"REDIS_HOST": "r", "REDIS_SCHEME_FILE": "rediss"}, "rediss://r:6379", "*** (assembled, no password)"},
		{"no host", vars{"REDIS_PASSWORD": "x"}, "", "no host"},
		{"a database that is not a number", vars{"REDIS_HOST": "r", "REDIS_DB": "zero"}, "", notDB},
		{"past SELECT's range", vars{"REDIS_HOST": "r", "REDIS_DB": "2147483648"}, "", notDB},
		{"past 64 bits", vars{"REDIS_HOST": "r", "REDIS_DB_FILE": "99999999999999999999"}, "", notDB},
		{"negative", vars{"REDIS_HOST": "r", "REDIS_DB": "-1"}, "", notDB},
		{"a Kubernetes service link", vars{"REDIS_HOST": "r", "REDIS_PORT": "tcp://10.0.0.9:6379"}, "", "REDIS_PORT: not a port number (1-65535)" + fmt.Sprintf(k8s, "REDIS_PORT")},
		{"a socket: clients would read it as TCP to localhost", vars{"REDIS_HOST": "/run/redis.sock", "REDIS_PASSWORD": "x"}, "",
			"REDIS_HOST: a unix socket, which a redis URL cannot name for every client\nhint: set REDIS_URL yourself (redis-py and go-redis read unix:///path/to/redis.sock), or SHIM_REDIS_URL=false"},
		{"a socket from a file is just not a host", vars{"REDIS_HOST_FILE": "/run/redis.sock"}, "", "REDIS_HOST: not a host name or IP address"},
	})
}

// TestSameLengthSameOutput is issue 19's invariant: two contents of one length
// for a part read from a file give the same shown text or error, unless the
// part's own fate (accepted, refused, a host list) differs, or a NUL is in
// one only; read through resolve, a NUL anywhere in both is one refusal.
func TestSameLengthSameOutput(t *testing.T) {
	contents := []string{"/sock", "/var/run/postgresql", "tcp://10.0.0.5:5432", "host=x", "port=1&a=b", "POSTGRESQL", "mysql", "redis",
		"cockroachdb", "db", "::1", "db:5432", "a,b", "5432", "65536", "0", "3", "sslmode=require", "a=%00", "ab+c/d==", "x y", "?a=b"}
	// The plain values of the other parts, in the order of names below.
	plain := [][]string{{"", "postgres", "rediss"}, {"", "u"}, {"", "p"}, {"db", "/s", "::1"}, {"", "5433"}, {"", "1"}, {"", "sslmode=require"}}
	content := func(rng *rand.Rand, n int) string {
		c := contents[rng.IntN(len(contents))]
		for len(c) < n {
			c += string("x0/.:,=\x00"[rng.IntN(8)])
		}
		return c[:n]
	}
	compared := 0
	for seed := range uint64(20000) {
		rng := rand.New(rand.NewPCG(seed, 19))
		spec := []urlSpec{databaseURL, redisURL}[rng.IntN(2)]
		names := []string{spec.scheme, spec.user[0], spec.password[0], spec.host[0], spec.port[0], spec.path[0], spec.query}
		if spec.query == "" {
			names = names[:6]
		}
		a, b, secret := vars{}, vars{}, rng.IntN(len(names))
		for i, name := range names {
			if i != secret {
				a[name] = plain[i][rng.IntN(len(plain[i]))]
				b[name] = a[name]
			}
		}
		file, n := names[secret]+"_FILE", 1+rng.IntN(20)
		a[file], b[file] = content(rng, n), content(rng, n)
		if fate(spec, names[secret], a) != fate(spec, names[secret], b) || strings.Contains(a[file], "\x00") != strings.Contains(b[file], "\x00") {
			continue
		}
		_, shownA, errA := assembleURL(spec, a.get)
		_, shownB, errB := assembleURL(spec, b.get)
		if compared++; shownA != shownB || errA != nil && messages(errA) != messages(errB) {
			t.Fatalf("%s, %q and %q (with %q): shown %q and %q, errors %v and %v", file, a[file], b[file], a, shownA, shownB, errA, errB)
		}
		if errA, errB = resolveVars(a), resolveVars(b); messages(errA) != messages(errB) {
			t.Fatalf("%s, %q and %q (with %q): resolve says %q and %q", file, a[file], b[file], a, messages(errA), messages(errB))
		}
	}
	if compared < 5000 {
		t.Fatalf("only %d pairs compared", compared)
	}
}

// resolveVars resolves v's variables, each NAME_FILE's value read from a file.
func resolveVars(v vars) error {
	var env []string
	files := fakeFiles{}
	for name, value := range v {
		if base, ok := strings.CutSuffix(name, "_FILE"); ok {
			env, files["/f/"+base] = append(env, name+"=/f/"+base), value
		} else {
			env = append(env, name+"="+value)
		}
	}
	_, err := resolve(request{environ: env, args: []string{"cmd"}, Rules: defaultSettings().Rules, entryLimit: 131072}, files)
	return err
}

// fate is what the file part named secret meets with valid other parts.
func fate(spec urlSpec, secret string, v vars) string {
	_, _, err := assembleURL(spec, vars{spec.host[0]: "db", secret + "_FILE": v[secret+"_FILE"]}.get)
	switch {
	case err == nil:
		return "accepted"
	case errors.Is(err, errSeveralHosts):
		return "a host list"
	}
	return "refused"
}

// TestURLsAsClientsReadThem: every generated URL assembleURL accepts, libpq
// (psycopg2's parse_dsn) and urllib's decoders read as Go's net/url does; the
// refused examples under libpq's own keys, libpq refuses too.
func TestURLsAsClientsReadThem(t *testing.T) {
	python := ""
	for _, p := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(p, "-c", "import psycopg2").Run() == nil {
			python = p
			break
		}
	}
	if python == "" {
		t.Skip("no python3 with psycopg2 (apt-get install python3-psycopg2)")
	}
	passwords := []string{"p/+=@:% x", "ab+c/d==", "a b+c", "%41%", "#?&;,$!'()*", "ü€ 😀", "\\\"'`", "\x01\x7f\t"}
	keys := []string{"sslmode", "application_name", "options", "connect_timeout", "keepalives", "ssl%6Dode", "host", "Port", "dbname", "user", "hostaddr", "", "x?", "a%00"}
	bits := []string{"a", "Z", "9", "-", "/", ":", "@", "!", "$", "'", "(", "*", ",", "[", "~", "%20", "%3D", "%26", "%2B", "%C3%BC", "%25", "%3F",
		"=", "?", "+", ";", "#", " ", "%", "%zz", "%00", "\x7f"}
	var urls []string
	want := map[string]map[string]string{}
	goReads := func(raw, password string) {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("Go cannot parse %s: %v", raw, err)
		}
		reads := map[string]string{"user": u.User.Username()}
		if reads["password"], _ = u.User.Password(); reads["password"] != password || reads["user"] != "u+=/" {
			t.Errorf("Go decodes %s to %q:%q, want u+=/:%q", raw, reads["user"], reads["password"], password)
		}
		for k, v := range u.Query() {
			reads[k] = v[0]
		}
		if u.Host != "" && u.Scheme == "postgresql" {
			reads["host"], reads["port"] = u.Hostname(), u.Port()
		}
		reads["unquote"], reads["unquote_plus"] = password, password
		urls, want[raw] = append(urls, raw), reads
	}
	for _, pw := range passwords {
		raw, _, err := assembleURL(redisURL, vars{"REDIS_HOST": "redis", "REDIS_USERNAME": "u+=/", "REDIS_PASSWORD": pw}.get)
		if err != nil {
			t.Fatal(err)
		}
		goReads(raw, pw)
	}
	for seed := uint64(0); len(urls) < 1000 && seed < 100000; seed++ {
		rng := rand.New(rand.NewPCG(seed, 23))
		var items []string
		for range 1 + rng.IntN(3) {
			item := keys[rng.IntN(len(keys))] + "="
			for range rng.IntN(5) {
				item += bits[rng.IntN(len(bits))]
			}
			items = append(items, item)
		}
		host, pw := []string{"db", "/var/run/postgresql"}[rng.IntN(2)], passwords[rng.IntN(len(passwords))]
		if raw, _, err := assembleURL(databaseURL, vars{"PGHOST": host, "PGUSER": "u+=/", "PGPASSWORD": pw, "DATABASE_PARAMS": strings.Join(items, "&")}.get); err == nil {
			goReads(raw, pw)
		}
	}
	if len(urls) < 1000 {
		t.Fatalf("only %d generated queries accepted", len(urls))
	}
	examples := []string{"application_name=a=b", "application_name=1?b=2", "??sslmode=require", "application_name=%00"} // TestDatabaseURL's rows, libpq's keys
	for _, q := range examples {
		urls = append(urls, "postgresql://db:5432?"+q)
	}
	script := `
import json, sys
from urllib.parse import urlparse, unquote, unquote_plus
from psycopg2.extensions import parse_dsn
out = []
for raw in json.load(sys.stdin):
    u = urlparse(raw)
    try: r = parse_dsn(raw) if u.scheme == "postgresql" else {"user": unquote(u.username), "password": unquote(u.password)}
    except Exception as e: r = {"error": str(e).strip()}
    if u.password is not None: r.update(unquote=unquote(u.password), unquote_plus=unquote_plus(u.password))
    out.append(r)
json.dump(out, sys.stdout)
`
	input, _ := json.Marshal(urls)
	cmd := exec.Command(python, "-c", script)
	cmd.Stdin = strings.NewReader(string(input))
	var read []map[string]string
	if stdout, err := cmd.Output(); err != nil || json.Unmarshal(stdout, &read) != nil || len(read) != len(urls) {
		t.Fatalf("%s: %v: %.200q", cmd, err, stdout)
	}
	for i, u := range urls {
		got, _ := json.Marshal(read[i])
		if i >= len(urls)-len(examples) {
			if read[i]["error"] == "" {
				t.Errorf("libpq accepts %s, which the test says it refuses", u)
			}
		} else if wantJSON, _ := json.Marshal(want[u]); string(got) != string(wantJSON) {
			t.Errorf("%s:\nPython reads %s\n    Go reads %s", u, got, wantJSON)
		}
	}
}

// FuzzAssembleURL: url.Parse reads back exactly the parts assembleURL wrote,
// or it refused them; with every part from a file, no content shows.
func FuzzAssembleURL(f *testing.F) {
	f.Add("postgresql", "app", "p/+=@:% x", "db", "5432", "app", "sslmode=require", false)
	f.Add("redis", "", "ab+c/d==", "::1", "", "0", "", true)
	f.Add("mysql", "u:x", "", "[2001:db8::1]", "3306", "a/b?c#d", "", false)
	f.Add("postgres", "u", "p", "/var/run/postgresql", "", "db", "a=b", false)
	f.Fuzz(func(t *testing.T, scheme, user, password, host, port, path, query string, redis bool) {
		spec := databaseURL
		if redis {
			spec, query = redisURL, ""
		}
		names := []string{spec.scheme, spec.user[0], spec.password[0], spec.host[0], spec.port[0], spec.path[0], "DATABASE_PARAMS"}
		plain, files := vars{}, vars{}
		for i, v := range []string{scheme, user, password, host, port, path, query} {
			plain[names[i]], files[names[i]+"_FILE"] = v, "S3NTINEL"+v
		}
		if _, shown, err := assembleURL(spec, files.get); err != nil && strings.Contains(messages(err), "S3NTINEL") || strings.Contains(shown, "S3NTINEL") {
			t.Fatalf("a file's content shows: %q %v", shown, err)
		}
		raw, _, err := assembleURL(spec, plain.get)
		if err != nil {
			return
		}
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("url.Parse(%q): %v", raw, err)
		}
		written, _, _ := strings.Cut(raw, "://")
		if want := strings.ToLower(scheme); written != want && (scheme != "" || written != spec.defaultScheme) {
			t.Errorf("scheme %q, want %q", written, want)
		}
		if userinfo, _, ok := strings.Cut(strings.TrimPrefix(raw, written+"://"), "@"); ok && strings.ContainsAny(userinfo, "+=") {
			t.Errorf("userinfo %q has a raw + or =", userinfo)
		}
		if gotPassword, _ := u.User.Password(); u.User.Username() != user || gotPassword != password {
			t.Errorf("userinfo %q:%q, want %q:%q (%s)", u.User.Username(), gotPassword, user, password, raw)
		}
		if gotPath := strings.TrimPrefix(u.Path, "/"); gotPath != path {
			t.Errorf("path %q, want %q", gotPath, path)
		}
		gotHost, wantHost, q := u.Hostname(), strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"), u.Query()
		if strings.HasPrefix(host, "/") {
			gotHost, wantHost = q.Get("host"), host
			q.Del("host")
			q.Del("port")
		} else if port != "" && u.Port() != strings.TrimLeft(port, "0") {
			t.Errorf("port %q, want %q", u.Port(), port)
		}
		if gotHost != wantHost && !sameIP(gotHost, wantHost) {
			t.Errorf("host %q, want %q (%s)", gotHost, wantHost, raw)
		}
		if want, _ := url.ParseQuery(strings.TrimPrefix(query, "?")); q.Encode() != want.Encode() {
			t.Errorf("query %q, want %q", q.Encode(), want.Encode())
		}
	})
}

func sameIP(a, b string) bool {
	x, err1 := netip.ParseAddr(a)
	y, err2 := netip.ParseAddr(b)
	return err1 == nil && err2 == nil && x == y
}
