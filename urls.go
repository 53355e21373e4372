package main

// URL assembly, pure: the parts come in through get. The rules keep every
// client (libpq, Go, Python) reading the same URL, and what is shown
// independent of a file's content beyond its length.

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// urlSpec says where the parts of one URL come from: each part is the
// first non-empty name of its list.
type urlSpec struct {
	target, setting, scheme, defaultScheme string // scheme: the variable naming it
	user, password, host, port, path       []string
	query                                  string // the variable holding a raw query, if any
	numericPath                            bool   // redis' database number
	socketHost                             bool   // a host starting with / is a socket directory (libpq)
}

var databaseURL = urlSpec{target: "DATABASE_URL", setting: "SHIM_DATABASE_URL", scheme: "DATABASE_SCHEME", defaultScheme: "postgresql",
	user: []string{"DATABASE_USER", "POSTGRES_USER", "PGUSER"}, password: []string{"DATABASE_PASSWORD", "POSTGRES_PASSWORD", "PGPASSWORD"},
	host: []string{"DATABASE_HOST", "POSTGRES_HOST", "PGHOST"}, port: []string{"DATABASE_PORT", "POSTGRES_PORT", "PGPORT"},
	path: []string{"DATABASE_NAME", "POSTGRES_DB", "PGDATABASE"}, query: "DATABASE_PARAMS", socketHost: true}

var redisURL = urlSpec{target: "REDIS_URL", setting: "SHIM_REDIS_URL", scheme: "REDIS_SCHEME", defaultScheme: "redis",
	user: []string{"REDIS_USERNAME"}, password: []string{"REDIS_PASSWORD"}, host: []string{"REDIS_HOST"}, port: []string{"REDIS_PORT"},
	path: []string{"REDIS_DB"}, numericPath: true}

// errNoHost: no host variable is set, so there is no URL to assemble.
var errNoHost = errors.New("no host")

// errSeveralHosts marks a libpq host or port list (db1,db2): valid for
// libpq, which reads PGHOST itself, but not a URL every client reads alike.
var errSeveralHosts = errors.New("several hosts")

// part is one piece of a URL, the variable it came from, and whether it is
// a secret (read from a file, or the password).
type part struct {
	value, from string
	secret      bool
}

type urlParts struct{ scheme, user, password, host, port, path, query part }

// assembleURL writes the URL from the variables get reads, and what the
// report shows: a secret user, password or path masked in place; the whole
// URL when a secret scheme, host, port or query decides its shape.
func assembleURL(spec urlSpec, get func(name string) (value string, secret bool)) (url, shown string, err error) {
	pick := func(names ...string) part {
		for _, name := range names {
			if v, secret := get(name); v != "" {
				return part{v, name, secret}
			}
		}
		return part{from: names[0]}
	}
	p := urlParts{scheme: pick(spec.scheme), user: pick(spec.user...), password: pick(spec.password...),
		host: pick(spec.host...), port: pick(spec.port...), path: pick(spec.path...)}
	if spec.query != "" {
		p.query = pick(spec.query)
	}
	if p.host.value == "" {
		return "", "", errNoHost
	}
	if strings.Contains(p.host.value+p.port.value, ",") {
		return "", "", fmt.Errorf("%s or the port lists %w, which libpq reads itself but a URL cannot give every client", p.host.from, errSeveralHosts)
	}
	how := "assembled"
	if p.password.value == "" {
		how += ", no password"
	}
	p.password.secret = true
	if err := p.normalize(spec); err != nil {
		return "", "", err
	}
	url, shown = p.joined(), "***"
	if !p.scheme.secret && !p.host.secret && !p.port.secret && !p.query.secret {
		for _, pt := range []*part{&p.user, &p.password, &p.path} {
			if pt.secret && pt.value != "" {
				pt.value = "***"
			}
		}
		shown = p.joined()
	}
	return url, shown + " (" + how + ")", nil
}

// normalize checks each part and rewrites it as the URL takes it. An error
// names the variable; one about a secret part says only what it is not.
func (p *urlParts) normalize(spec urlSpec) (err error) {
	if p.scheme.value == "" {
		p.scheme.value = spec.defaultScheme
	} else if !validScheme(p.scheme.value) {
		return failf("%s: not a URL scheme (a letter, then letters, digits, +, - or .)", p.scheme.from)
	}
	p.scheme.value = strings.ToLower(p.scheme.value) // libpq reads postgresql:// in lower case only
	host, socket, err := urlHost(spec, p.host)
	if err != nil {
		return err
	}
	if p.port.value, err = urlPort(p.port, p.scheme.value); err != nil {
		return err
	}
	if spec.numericPath && p.path.value != "" {
		if _, err := strconv.ParseUint(p.path.value, 10, 31); err != nil { // what Redis' SELECT takes
			return failf("%s: not a database number (0-2147483647)", p.path.from)
		}
	}
	if p.query.value = strings.TrimPrefix(p.query.value, "?"); p.query.value != "" && !validQuery(p.query.value) {
		return fail(p.query.from+": not a URL query every client reads alike", "write it as sslmode=require&connect_timeout=10: "+
			"each key once, not host, hostaddr, port, user, password or dbname, and %XX for = ? & # ; + @ % or a space in a key or value, never %00")
	}
	// Strict encoding: libpq, Python's unquote and unquote_plus, Go and WHATWG
	// parsers all decode the same bytes (Go's url.UserPassword leaves + raw).
	p.user.value, p.password.value, p.path.value = strictEscape(p.user.value), strictEscape(p.password.value), strictEscape(p.path.value)
	p.host.value = host
	if socket { // a socket directory is libpq's host parameter: in the authority Go and Python refuse it
		params := "host=" + strictEscape(host)
		if p.port.value != "" {
			params += "&port=" + p.port.value
		}
		if p.query.value != "" {
			params += "&" + p.query.value
		}
		p.host.value, p.port.value, p.query.value = "", "", params
	}
	return nil
}

// write joins the parts, each already as the URL takes it.
func (p urlParts) joined() string {
	u := p.scheme.value + "://"
	if p.user.value != "" || p.password.value != "" {
		u += p.user.value
		if p.password.value != "" {
			u += ":" + p.password.value
		}
		u += "@"
	}
	if u += p.host.value; p.port.value != "" {
		u += ":" + p.port.value
	}
	if p.path.value != "" || p.host.value == "" { // a socket host needs the / before its parameters
		u += "/" + p.path.value
	}
	if p.query.value != "" {
		u += "?" + p.query.value
	}
	return u
}

// urlHost returns the host as the authority takes it: an IPv6 address in
// brackets, a name or IPv4 address as is; or a unix socket directory (a
// value starting with /) where the spec allows one.
func urlHost(spec urlSpec, h part) (string, bool, error) {
	v, bad := h.value, failf("%s: not a host name or IP address", h.from)
	switch {
	case strings.HasPrefix(v, "/") && spec.socketHost:
		return v, true, nil
	case strings.HasPrefix(v, "/") && !h.secret:
		return "", false, fail(h.from+": a unix socket, which a "+spec.defaultScheme+" URL cannot name for every client",
			"set "+spec.target+" yourself (redis-py and go-redis read unix:///path/to/redis.sock), or "+spec.setting+"=false")
	case strings.Contains(v, ":"):
		addr, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(v, "["), "]"))
		if err == nil && addr.Is6() && addr.Zone() == "" {
			return "[" + addr.String() + "]", false, nil
		}
		if !h.secret {
			bad = withHints(bad, "give the port in its own variable; an IPv6 address is written without brackets or zone")
		}
	case allIn(v, alnum+"-._"):
		return v, false, nil
	}
	return "", false, bad
}

// defaultPorts by scheme; a driver suffix (postgresql+psycopg) keeps them.
var defaultPorts = map[string]string{"postgres": "5432", "postgresql": "5432", "mysql": "3306", "mariadb": "3306", "redis": "6379", "rediss": "6379"}

// urlPort checks the port, or gives the scheme's default.
func urlPort(port part, scheme string) (string, error) {
	if port.value == "" {
		base, _, _ := strings.Cut(scheme, "+")
		return defaultPorts[base], nil
	}
	if n, err := strconv.ParseUint(port.value, 10, 16); err == nil && n > 0 {
		return strconv.FormatUint(n, 10), nil
	}
	err := failf("%s: not a port number (1-65535)", port.from)
	if !port.secret && strings.HasPrefix(port.value, "tcp://") {
		err = withHints(err, "Kubernetes sets "+port.from+"=tcp://... for a Service of that name; set the port explicitly, or enableServiceLinks: false in the pod spec")
	}
	return "", err
}

// urlKeys would set for libpq what other clients read from the URL's
// authority and path: refused, as is a key given twice (libpq takes the
// last, Go's Query().Get the first).
var urlKeys = map[string]bool{"host": true, "hostaddr": true, "port": true, "user": true, "password": true, "dbname": true}

// validQuery accepts key=value items joined by &, which libpq, Go and Python
// read alike: libpq refuses a second =, a ? and %00 and ends a userinfo at a
// raw @, Go refuses a raw ;, and + is a space to Go and Python only.
func validQuery(query string) bool {
	seen := map[string]bool{}
	for _, item := range strings.Split(query, "&") {
		k, v, _ := strings.Cut(item, "=")
		key, err := url.PathUnescape(k)
		_, errValue := url.PathUnescape(v)
		raw := func(r rune) bool { return r <= ' ' || r >= 0x7f || strings.ContainsRune("#;?+@", r) }
		if key == "" || err != nil || errValue != nil || strings.Count(item, "=") != 1 || strings.Contains(item, "%00") ||
			strings.ContainsFunc(item, raw) || seen[key] || urlKeys[strings.ToLower(key)] {
			return false
		}
		seen[key] = true
	}
	return true
}

// alnum, and the sets of RFC 3986 built on it.
const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// allIn says whether s is non-empty and made of bytes of set only.
func allIn(s, set string) bool { return s != "" && strings.Trim(s, set) == "" }

// validScheme: a letter (the others of the set sort below 'A'), then
// letters, digits, +, - or .
func validScheme(s string) bool { return allIn(s, alnum+"+-.") && s[0] >= 'A' }

// strictEscape percent-encodes every byte outside RFC 3986's unreserved set,
// with upper-case hex.
func strictEscape(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if strings.IndexByte(alnum+"-._~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
