package main

// URL building: a small grammar of its own (strict userinfo encoding, IPv6
// brackets, socket hosts, ports, queries) with its own fuzz target. Pure,
// and it knows nothing of the resolver: the parts come in with the name of
// the variable each came from and whether it is a secret.

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// urlSpec says where the parts of one URL variable come from. Each part is
// the first non-empty variable of its list.
type urlSpec struct {
	target, setting string
	scheme          string // the variable naming the scheme
	defaultScheme   string
	user, password  []string
	host, port      []string
	path            []string
	query           string // the variable holding a raw query, if any
	numericPath     bool   // redis' database number
	socketHost      bool   // a host starting with / is a socket directory (libpq)
}

var databaseURL = urlSpec{
	target:        "DATABASE_URL",
	setting:       "SHIM_DATABASE_URL",
	scheme:        "DATABASE_SCHEME",
	defaultScheme: "postgresql",
	user:          []string{"DATABASE_USER", "POSTGRES_USER", "PGUSER"},
	password:      []string{"DATABASE_PASSWORD", "POSTGRES_PASSWORD", "PGPASSWORD"},
	host:          []string{"DATABASE_HOST", "POSTGRES_HOST", "PGHOST"},
	port:          []string{"DATABASE_PORT", "POSTGRES_PORT", "PGPORT"},
	path:          []string{"DATABASE_NAME", "POSTGRES_DB", "PGDATABASE"},
	query:         "DATABASE_PARAMS",
	socketHost:    true,
}

var redisURL = urlSpec{
	target:        "REDIS_URL",
	setting:       "SHIM_REDIS_URL",
	scheme:        "REDIS_SCHEME",
	defaultScheme: "redis",
	user:          []string{"REDIS_USERNAME"},
	password:      []string{"REDIS_PASSWORD"},
	host:          []string{"REDIS_HOST"},
	port:          []string{"REDIS_PORT"},
	path:          []string{"REDIS_DB"},
	numericPath:   true,
}

// part is one piece of a URL with the variable it came from. A secret part
// (the password, or any part whose value came from a file) is written as
// *** in the masked form, whatever the part.
type part struct {
	value, from string
	secret      bool
}

type urlParts struct {
	scheme, user, password, host, port, path, query part
}

// errSeveralHosts marks a libpq host or port list (db1,db2): valid for libpq,
// which reads PGHOST itself, but not a URL every client reads alike.
var errSeveralHosts = errors.New("several hosts")

// buildURL writes scheme://user:password@host:port/path?query, and the same
// with every secret part masked, for the report. User, password and path
// are percent-encoded strictly (every byte outside A-Za-z0-9-._~), because
// libpq, Python's unquote and unquote_plus, Go and WHATWG parsers then all
// decode the same bytes; Go's url.UserPassword leaves + and = raw, which
// unquote_plus reads as a space.
func buildURL(spec urlSpec, p urlParts) (u, masked string, err error) {
	if strings.Contains(p.host.value, ",") || strings.Contains(p.port.value, ",") {
		return "", "", errSeveralHosts
	}
	if !validScheme(p.scheme.value) {
		return "", "", failf("%s: not a URL scheme (a letter, then letters, digits, +, - or .)", p.scheme.from)
	}
	host, socket, err := urlHost(spec, p.host)
	if err != nil {
		return "", "", err
	}
	port, err := urlPort(p)
	if err != nil {
		return "", "", err
	}
	if spec.numericPath && p.path.value != "" && !allDigits(p.path.value) {
		return "", "", failf("%s: not a database number", p.path.from)
	}
	query := strings.TrimPrefix(p.query.value, "?")
	if err := checkQuery(query, p.query.from, socket); err != nil {
		return "", "", err
	}
	p.host.value, p.port.value, p.query.value = host, port, query
	return writeURL(p, socket, false), writeURL(p, socket, true), nil
}

func writeURL(p urlParts, socket, masked bool) string {
	show := func(pt part, encode func(string) string) string {
		if masked && pt.secret {
			return "***"
		}
		return encode(pt.value)
	}
	raw := func(s string) string { return s }
	var b strings.Builder
	b.WriteString(show(p.scheme, raw))
	b.WriteString("://")
	if p.user.value != "" || p.password.value != "" {
		b.WriteString(show(p.user, strictEscape))
		if p.password.value != "" {
			b.WriteByte(':')
			b.WriteString(show(p.password, strictEscape))
		}
		b.WriteByte('@')
	}
	var query []string
	if socket {
		// libpq takes a socket directory as the host parameter; in the
		// authority it would need encodings Go and Python reject.
		query = append(query, "host="+show(p.host, strictEscape))
		if p.port.value != "" {
			query = append(query, "port="+show(p.port, raw))
		}
	} else {
		b.WriteString(show(p.host, raw))
		if p.port.value != "" {
			b.WriteByte(':')
			b.WriteString(show(p.port, raw))
		}
	}
	if p.path.value != "" || socket {
		b.WriteByte('/')
		b.WriteString(show(p.path, strictEscape))
	}
	if p.query.value != "" {
		query = append(query, show(p.query, raw))
	}
	if len(query) > 0 {
		b.WriteByte('?')
		b.WriteString(strings.Join(query, "&"))
	}
	return b.String()
}

// urlHost returns the host as it goes into the authority: an IPv6 address in
// brackets, a name or IPv4 address as is. A value starting with / is a unix
// socket directory where the spec allows one.
func urlHost(spec urlSpec, h part) (string, bool, error) {
	v := h.value
	if strings.HasPrefix(v, "/") {
		if !spec.socketHost {
			return "", false, &problem{err: fmt.Errorf("%s: a unix socket, which a %s URL cannot name for every client", h.from, spec.defaultScheme),
				hints: []string{"set " + spec.target + " yourself (redis-py and go-redis read unix:///path/to/redis.sock), or " + spec.setting + "=false"}}
		}
		return v, true, nil
	}
	if strings.Contains(v, ":") {
		addr, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(v, "["), "]"))
		if err != nil || !addr.Is6() || addr.Zone() != "" {
			return "", false, &problem{err: fmt.Errorf("%s: not a host name or IP address", h.from),
				hints: []string{"give the port in its own variable; an IPv6 address is written without brackets or zone"}}
		}
		return "[" + addr.String() + "]", false, nil
	}
	if !hostChars(v) {
		return "", false, failf("%s: not a host name or IP address", h.from)
	}
	return v, false, nil
}

func hostChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return s != ""
}

// defaultPort is the scheme's well-known port, or none.
func defaultPort(scheme string) string {
	switch scheme {
	case "postgres", "postgresql":
		return "5432"
	case "mysql", "mariadb":
		return "3306"
	case "redis", "rediss":
		return "6379"
	}
	return ""
}

// urlPort validates the port or picks the scheme's default; the driver part
// of a scheme (postgresql+psycopg) does not change the default.
func urlPort(p urlParts) (string, error) {
	if p.port.value == "" {
		base, _, _ := strings.Cut(strings.ToLower(p.scheme.value), "+")
		return defaultPort(base), nil
	}
	n, err := strconv.Atoi(p.port.value)
	if err != nil || !allDigits(p.port.value) || n < 1 || n > 65535 {
		err := failf("%s: not a port number (1-65535)", p.port.from)
		if strings.HasPrefix(p.port.value, "tcp://") {
			return "", withHints(err, "Kubernetes sets "+p.port.from+"=tcp://... for a Service of that name; set the port explicitly, or enableServiceLinks: false in the pod spec")
		}
		return "", err
	}
	return strconv.Itoa(n), nil
}

// checkQuery accepts key=value items joined by &, each with valid
// percent-escapes and no raw ; (Go's parser refuses it, Python's no longer
// splits on it), as libpq parses them. With a socket host, host and port
// are shim's to set.
func checkQuery(query, from string, socket bool) error {
	if query == "" {
		return nil
	}
	bad := failf("%s: not a URL query (write it as sslmode=require&connect_timeout=10, with %%XX escapes)", from)
	for _, item := range strings.Split(query, "&") {
		key, value, ok := strings.Cut(item, "=")
		if !ok || key == "" || !queryChars(key) || !queryChars(value) {
			return bad
		}
		if socket && (key == "host" || key == "port") {
			return failf("%s: sets %s, which the socket host already sets", from, key)
		}
	}
	return nil
}

func queryChars(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c <= ' ' || c == '#' || c == '&' || c == ';' || c >= 0x7f: // Go's parser refuses a raw ;
			return false
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return false
			}
			i += 2
		}
	}
	return true
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func validScheme(s string) bool {
	if s == "" || !(s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// strictEscape percent-encodes every byte outside RFC 3986's unreserved set,
// with upper-case hex.
func strictEscape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// TEMPORARY adapter until the urls branch lands.
var errNoHost = errors.New("no host")

func assembleURL(spec urlSpec, get func(string) (string, bool)) (string, string, error) {
	first := func(names []string) part {
		for _, name := range names {
			if v, secret := get(name); v != "" {
				return part{value: v, from: name, secret: secret}
			}
		}
		return part{from: names[0]}
	}
	host := first(spec.host)
	if host.value == "" {
		return "", "", errNoHost
	}
	p := urlParts{scheme: first([]string{spec.scheme}), user: first(spec.user), password: first(spec.password),
		host: host, port: first(spec.port), path: first(spec.path)}
	if spec.query != "" {
		p.query = first([]string{spec.query})
	}
	if p.scheme.value == "" {
		p.scheme = part{value: spec.defaultScheme, from: spec.scheme}
	}
	p.password.secret = true
	u, shown, err := buildURL(spec, p)
	how := "assembled"
	if p.password.value == "" {
		how += ", no password"
	}
	return u, shown + " (" + how + ")", err
}
