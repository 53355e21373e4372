package main

// URL assembly lives apart from resolve.go because it is a small grammar of
// its own (strict userinfo encoding, IPv6 brackets, socket hosts, ports) with
// its own fuzz target; like resolve.go it is pure.

import (
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

// part is one piece of a URL with the variable it came from; secret parts
// are shown as *** in the report.
type part struct {
	value, from string
	secret      bool
}

type urlParts struct {
	scheme, user, password, host, port, path, query part
	numericPath                                     bool
}

// assemble sets spec.target from its parts when it is empty and a host is
// known. An existing value is never touched.
func (r *resolver) assemble(spec urlSpec) error {
	if v, _ := r.env.get(spec.target); v != "" {
		return nil
	}
	host := r.first(spec.host)
	if host.value == "" {
		return nil
	}
	p := urlParts{
		scheme:      r.first([]string{spec.scheme}),
		user:        r.first(spec.user),
		password:    r.first(spec.password),
		host:        host,
		port:        r.first(spec.port),
		path:        r.first(spec.path),
		numericPath: spec.numericPath,
	}
	if spec.query != "" {
		p.query = r.first([]string{spec.query})
	}
	if p.scheme.value == "" {
		p.scheme = part{value: spec.defaultScheme, from: spec.scheme}
	}
	p.password.secret = true
	u, err := buildURL(p, false)
	if err != nil {
		return withHint(err, "set "+spec.target+" yourself, or "+spec.setting+"=false to leave it unset")
	}
	shown, _ := buildURL(p, true)
	r.env.set(spec.target, u)
	r.fromFile[spec.target] = true // it holds the password: never shown whole
	r.note("set %s=%s (assembled)", spec.target, shown)
	return nil
}

func (r *resolver) first(names []string) part {
	for _, name := range names {
		if v, _ := r.env.get(name); v != "" {
			return part{value: v, from: name, secret: r.fromFile[name]}
		}
	}
	return part{from: names[0]}
}

// buildURL writes scheme://user:password@host:port/path?query. User,
// password and path are percent-encoded strictly (every byte outside
// A-Za-z0-9-._~), because libpq, Python's unquote and unquote_plus, Go and
// WHATWG parsers then all decode the same bytes; Go's url.UserPassword leaves
// + and = raw, which unquote_plus reads as a space. With masked, secret parts
// are written as *** for the report.
func buildURL(p urlParts, masked bool) (string, error) {
	show := func(pt part, encode func(string) string) string {
		if masked && pt.secret {
			return "***"
		}
		return encode(pt.value)
	}
	if !validScheme(p.scheme.value) {
		return "", fmt.Errorf("%s: not a URL scheme (a letter, then letters, digits, +, - or .)", p.scheme.from)
	}
	host, socket, err := urlHost(p.host)
	if err != nil {
		return "", err
	}
	port, err := urlPort(p)
	if err != nil {
		return "", err
	}
	if p.numericPath && p.path.value != "" && !allDigits(p.path.value) {
		return "", fmt.Errorf("%s: not a database number", p.path.from)
	}
	query := strings.TrimPrefix(p.query.value, "?")
	if strings.ContainsFunc(query, func(c rune) bool { return c <= ' ' || c == '#' || c == 0x7f }) {
		return "", fmt.Errorf("%s: not a URL query (write it as sslmode=require&connect_timeout=10)", p.query.from)
	}

	var b strings.Builder
	b.WriteString(p.scheme.value)
	b.WriteString("://")
	if p.user.value != "" || p.password.value != "" {
		b.WriteString(show(p.user, strictEscape))
		if p.password.value != "" {
			b.WriteByte(':')
			b.WriteString(show(p.password, strictEscape))
		}
		b.WriteByte('@')
	}
	if !socket {
		if masked && p.host.secret {
			b.WriteString("***")
		} else {
			b.WriteString(host)
		}
		if port != "" {
			b.WriteByte(':')
			b.WriteString(port)
		}
	}
	if p.path.value != "" {
		b.WriteByte('/')
		b.WriteString(show(p.path, strictEscape))
	}
	if socket {
		// libpq takes a socket directory as the host parameter; in the
		// authority it would need encodings Go and Python reject.
		if p.path.value == "" {
			b.WriteByte('/')
		}
		query = strings.Trim("host="+show(p.host, strictEscape)+"&"+query, "&")
		if port != "" {
			query += "&port=" + port
		}
	}
	if query != "" {
		b.WriteByte('?')
		b.WriteString(query)
	}
	return b.String(), nil
}

// urlHost returns the host as it goes into the authority: an IPv6 address in
// brackets, a name or IPv4 address as is. A value starting with / is a unix
// socket directory (PGHOST's convention).
func urlHost(h part) (string, bool, error) {
	v := h.value
	if strings.HasPrefix(v, "/") {
		return "", true, nil
	}
	if strings.Contains(v, ":") {
		addr, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(v, "["), "]"))
		if err != nil || !addr.Is6() || addr.Zone() != "" {
			return "", false, withHint(fmt.Errorf("%s: not a host name or IP address", h.from),
				"give the port in its own variable; an IPv6 address is written without brackets or zone")
		}
		return "[" + addr.String() + "]", false, nil
	}
	if !hostChars(v) {
		return "", false, fmt.Errorf("%s: not a host name or IP address", h.from)
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

var defaultPorts = map[string]string{"postgres": "5432", "postgresql": "5432", "mysql": "3306", "mariadb": "3306", "redis": "6379", "rediss": "6379"}

// urlPort validates the port or picks the scheme's default; the driver part
// of a scheme (postgresql+psycopg) does not change the default.
func urlPort(p urlParts) (string, error) {
	if p.port.value == "" {
		base, _, _ := strings.Cut(strings.ToLower(p.scheme.value), "+")
		return defaultPorts[base], nil
	}
	n, err := strconv.Atoi(p.port.value)
	if err != nil || !allDigits(p.port.value) || n < 1 || n > 65535 {
		err := fmt.Errorf("%s: not a port number (1-65535)", p.port.from)
		if strings.HasPrefix(p.port.value, "tcp://") {
			return "", withHint(err, "Kubernetes sets "+p.port.from+"=tcp://... for a Service of that name; set the port explicitly, or enableServiceLinks: false in the pod spec")
		}
		return "", err
	}
	return strconv.Itoa(n), nil
}

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
