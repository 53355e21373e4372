package main

// This file is shim's pure core: environment and arguments in, environment
// and arguments out. Files are reached only through the source passed in, so
// every rule here runs in table and fuzz tests without touching the disk.
// Nothing here prints, exits or reads the process environment.

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// settings are the SHIM_* variables. main.go fills them with envconfig; the
// struct lives here because it is the resolver's input. split_words gives
// SecretsDir the key SHIM_SECRETS_DIR; envconfig tags with an explicit name
// are avoided on purpose, because envconfig falls back to the unprefixed name
// (SHIM_DATABASE_URL would be read from DATABASE_URL itself).
type settings struct {
	Suffix      string   `default:"_FILE" desc:"suffix that marks a variable holding a secret's path"`
	Skip        []string `desc:"comma-separated name globs never expanded (e.g. APP_*_FILE)"`
	Only        []string `desc:"comma-separated name globs; when set, only these are expanded"`
	Trim        bool     `default:"true" desc:"strip trailing CR and LF from each secret"`
	SecretsDir  []string `split_words:"true" desc:"comma-separated directories whose files become variables"`
	DatabaseURL bool     `split_words:"true" default:"true" desc:"assemble DATABASE_URL from its parts when it is empty"`
	RedisURL    bool     `split_words:"true" default:"true" desc:"assemble REDIS_URL from its parts when it is empty"`
	Require     []string `desc:"comma-separated variables that must be non-empty"`
	ExpandArgs  bool     `split_words:"true" default:"true" desc:"expand ${NAME} in the command and its arguments"`
	User        string   `desc:"user[:group] to run the command as, after reading secrets"`
	Verbose     bool     `default:"false" desc:"print the --check report to stderr, then run"`

	// Report asks the resolver for its report (--check or SHIM_VERBOSE);
	// without it no report line is formatted, which is most of the cost per
	// secret beyond the system calls.
	Report bool `ignored:"true"`
}

// source is how the resolver reaches files. read returns at most limit+1
// bytes, so the resolver can tell "too large" without reading a whole
// /dev/zero; list returns the names of the regular files in a directory
// (following symlinks), sorted, without names starting with a dot.
type source interface {
	read(path string, limit int) ([]byte, error)
	list(dir string) ([]string, error)
}

// deniedError is what a source returns when a file exists but the process may
// not read it. It carries what the permission hint needs, since that is the
// most common failure with Compose file secrets (the host's owner and mode
// are kept, so a 0600 file is unreadable after a privilege drop).
type deniedError struct {
	err      error
	uid, gid int
	mode     fs.FileMode
	euid     int
}

func (e *deniedError) Error() string { return e.err.Error() }
func (e *deniedError) Unwrap() error { return e.err }

// pathVariables are *_FILE names that widespread tools read as paths. Their
// values are absolute paths, so only this list keeps shim from inlining a CA
// bundle or a rotating token and dropping the path the tool needs. Each one
// is documented by the tool that reads it; the README lists them.
var pathVariables = map[string]bool{
	// TLS trust stores: OpenSSL, Go crypto/x509, Nix, gcloud.
	"SSL_CERT_FILE":                      true,
	"NIX_SSL_CERT_FILE":                  true,
	"CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE": true,
	// Cloud workload identity and credentials: AWS SDKs and CLI, Azure.
	"AWS_WEB_IDENTITY_TOKEN_FILE":            true,
	"AWS_SHARED_CREDENTIALS_FILE":            true,
	"AWS_CONFIG_FILE":                        true,
	"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": true,
	"AZURE_FEDERATED_TOKEN_FILE":             true,
	"OCI_CLI_CONFIG_FILE":                    true,
	// Tool configuration: Terraform, Docker Compose, pip, uv, Ansible, sops,
	// podman/skopeo, git, coverage.py, direnv, asdf, Buildkite, Consul.
	"TF_CLI_CONFIG_FILE":            true,
	"COMPOSE_FILE":                  true,
	"COMPOSE_ENV_FILE":              true,
	"PIP_CONFIG_FILE":               true,
	"UV_CONFIG_FILE":                true,
	"ANSIBLE_VAULT_PASSWORD_FILE":   true,
	"SOPS_AGE_KEY_FILE":             true,
	"REGISTRY_AUTH_FILE":            true,
	"GIT_INDEX_FILE":                true,
	"COVERAGE_FILE":                 true,
	"DIRENV_FILE":                   true,
	"ASDF_CONFIG_FILE":              true,
	"BUILDKITE_ENV_FILE":            true,
	"CONSUL_HTTP_TOKEN_FILE":        true,
	"CI_SERVER_TLS_CA_FILE":         true,
	"CI_SERVER_TLS_CERT_FILE":       true,
	"CI_SERVER_TLS_KEY_FILE":        true,
	"VARNISH_VCL_FILE":              true,
	"HITCH_CONFIG_FILE":             true,
	"FEATURE_KEY_FILE":              true,
	"REDIS_TLS_CERT_FILE":           true,
	"REDIS_TLS_KEY_FILE":            true,
	"REDIS_TLS_CA_FILE":             true,
	"REDIS_TLS_DH_PARAMS_FILE":      true,
	"REDIS_OVERRIDES_FILE":          true,
	"MINIO_CONFIG_ENV_FILE":         true,
	"GF_PATHS_CONFIG_FILE":          true,
	"KUBE_CA_PEM_FILE":              true,
	"GOOGLE_GHA_CREDS_FILE":         true,
	"DOCKER_CONTENT_TRUST_KEY_FILE": true,
	// Generic names that applications use for their own files, never for a
	// secret's value; a missing log or pid file must not stop the start.
	"CONFIG_FILE": true,
	"ENV_FILE":    true,
	"LOG_FILE":    true,
	"PID_FILE":    true,
}

// resolution is what the resolver hands to exec: the command's environment and
// arguments, and the report for --check and SHIM_VERBOSE. The report names
// variables, paths and sizes, never a value.
type resolution struct {
	env    []string
	args   []string
	report []string
}

// resolve applies every rule in order: *_FILE expansion, secrets directories,
// URL assembly, SHIM_REQUIRE, argument expansion. maxEntry is the kernel's
// limit on one NAME=value string including its NUL (MAX_ARG_STRLEN).
func resolve(environ, args []string, s settings, src source, maxEntry int) (resolution, error) {
	r := &resolver{s: s, src: src, maxEntry: maxEntry, env: newEnv(environ), fromFile: map[string]bool{}, skipped: map[string]string{}}
	if err := r.expandFiles(); err != nil {
		return resolution{}, err
	}
	if err := r.importDirs(); err != nil {
		return resolution{}, err
	}
	if s.DatabaseURL {
		if err := r.assemble(databaseURL); err != nil {
			return resolution{}, err
		}
	}
	if s.RedisURL {
		if err := r.assemble(redisURL); err != nil {
			return resolution{}, err
		}
	}
	if err := r.require(); err != nil {
		return resolution{}, err
	}
	out := resolution{env: r.env.list(), args: args}
	if s.ExpandArgs {
		expanded, err := r.expandArgs(args)
		if err != nil {
			return resolution{}, err
		}
		out.args = expanded
	}
	out.report = r.report
	return out, nil
}

type resolver struct {
	s        settings
	src      source
	maxEntry int
	env      *env
	fromFile map[string]bool   // names whose value came from a file: never shown
	skipped  map[string]string // *_FILE names left alone, and why
	report   []string
}

func (r *resolver) note(format string, a ...any) {
	if !r.s.Report {
		return
	}
	r.report = append(r.report, fmt.Sprintf(format, a...))
}

// expandFiles reads every NAME_FILE that passes the rules into NAME, in the
// place of NAME_FILE, so the order of the environment is kept.
func (r *resolver) expandFiles() error {
	for _, fileVar := range r.env.originalNames {
		if !strings.HasSuffix(fileVar, r.s.Suffix) {
			continue
		}
		p, _ := r.env.get(fileVar)
		name := strings.TrimSuffix(fileVar, r.s.Suffix)
		if reason := r.skipReason(fileVar, name, p); reason != "" {
			r.skipped[fileVar] = reason
			r.note("skip %s: %s", fileVar, reason)
			continue
		}
		if v, _ := r.env.get(name); v != "" {
			return fmt.Errorf("both %s and %s are set (but are exclusive)", name, fileVar)
		}
		value, err := r.readSecret(fileVar, name, p)
		if err != nil {
			return err
		}
		r.env.rename(fileVar, name, value)
		r.fromFile[name] = true
		r.note("set %s from %s (%d bytes)", name, p, len(value))
	}
	return nil
}

func (r *resolver) skipReason(fileVar, name, value string) string {
	switch {
	case name == "":
		return "no variable name before " + r.s.Suffix
	case value == "":
		return "empty, nothing to read"
	case pathVariables[fileVar]:
		return "a path other tools read (built-in list)"
	case strings.HasSuffix(name, "_"):
		return "ends in _" + r.s.Suffix + ", left for the program (Grafana's convention)"
	case !strings.Contains(value, "/"):
		return "value is not a path (no /)"
	}
	if pattern, ok := matchAny(r.s.Skip, fileVar); ok {
		return "matches SHIM_SKIP pattern " + pattern
	}
	if len(r.s.Only) > 0 {
		if _, ok := matchAny(r.s.Only, fileVar); !ok {
			return "not matched by SHIM_ONLY"
		}
	}
	return ""
}

// matchAny reports the first pattern that matches name. The patterns were
// checked by checkPatterns, so a match error cannot happen here.
func matchAny(patterns []string, name string) (string, bool) {
	for _, p := range patterns {
		if ok, _ := path.Match(p, name); ok {
			return p, true
		}
	}
	return "", false
}

// checkPatterns validates SHIM_SKIP and SHIM_ONLY once, before anything is
// read, so a typo fails the start instead of silently matching nothing.
func checkPatterns(setting string, patterns []string) error {
	for _, p := range patterns {
		if _, err := path.Match(p, ""); err != nil {
			return fmt.Errorf("%s: bad pattern %q: %v", setting, p, err)
		}
	}
	return nil
}

// readSecret reads one file under the rules shared by *_FILE and secrets
// directories. origin names where the path came from in error messages.
func (r *resolver) readSecret(origin, name, p string) (string, error) {
	limit := r.maxEntry - len(name) - 2 // "=" and the terminating NUL
	data, err := r.src.read(p, r.maxEntry)
	if err != nil {
		return "", r.readError(origin, err)
	}
	if r.s.Trim {
		data = trimNewlines(data)
	}
	if len(data) > limit {
		return "", withHint(fmt.Errorf("%s: %s: too large for one environment variable (%s=value may be at most %d bytes)", origin, p, name, r.maxEntry-1),
			skipHint(origin))
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return "", withHint(fmt.Errorf("%s: %s: contains a NUL byte (at offset %d), which an environment variable cannot hold", origin, p, i),
			skipHint(origin))
	}
	return string(data), nil
}

func (r *resolver) readError(origin string, err error) error {
	var denied *deniedError
	if errors.As(err, &denied) {
		var pe *fs.PathError
		p := "the file"
		if errors.As(err, &pe) {
			p = pe.Path
		}
		const fix = "run shim as root and set SHIM_USER to read secrets first and then drop privileges"
		who := fmt.Sprintf("%s is owned by uid %d gid %d with mode %04o and shim runs as uid %d; %s", p, denied.uid, denied.gid, denied.mode.Perm(), denied.euid, fix)
		if denied.uid < 0 {
			who = fmt.Sprintf("shim runs as uid %d, which may not search a directory on the way to %s; %s", denied.euid, p, fix)
		}
		return withHint(fmt.Errorf("%s: %w", origin, err), who, skipHint(origin))
	}
	return withHint(fmt.Errorf("%s: %w", origin, err), skipHint(origin))
}

func skipHint(origin string) string {
	if strings.Contains(origin, " ") {
		return "a file in a secrets directory that is not a secret can be moved out of it, or the directory left out of SHIM_SECRETS_DIR"
	}
	return "if " + origin + " holds a path for the program to open itself, add it to SHIM_SKIP"
}

// trimNewlines strips every trailing CR and LF: "pw\r\n" (a file saved on
// Windows) and "pw\n\n" both give "pw", while inner newlines (PEM) stay.
func trimNewlines(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// importDirs turns each regular file of SHIM_SECRETS_DIR into a variable. A
// variable already set (from the environment or a *_FILE) wins, as the more
// specific instruction.
func (r *resolver) importDirs() error {
	owner := map[string]string{} // variable name → the file it comes from
	for _, dir := range r.s.SecretsDir {
		files, err := r.src.list(dir)
		if err != nil {
			return withHint(fmt.Errorf("SHIM_SECRETS_DIR: %w", err), "SHIM_SECRETS_DIR names directories that must exist; leave a missing one out")
		}
		for _, file := range files {
			p := path.Join(dir, file)
			name := variableName(file)
			if first, ok := owner[name]; ok {
				return fmt.Errorf("SHIM_SECRETS_DIR: %s and %s both map to %s", first, p, name)
			}
			owner[name] = p
			if v, _ := r.env.get(name); v != "" {
				from := "the environment"
				if r.fromFile[name] {
					from = name + r.s.Suffix
				}
				r.note("shadowed %s: %s is already set from %s", p, name, from)
				continue
			}
			value, err := r.readSecret(name+" from SHIM_SECRETS_DIR", name, p)
			if err != nil {
				return err
			}
			r.env.set(name, value)
			r.fromFile[name] = true
			r.note("set %s from %s (%d bytes, SHIM_SECRETS_DIR)", name, p, len(value))
		}
	}
	return nil
}

// variableName maps a secret's file name to a variable name the way most
// secret tools do: upper case, anything outside A-Z0-9_ becomes _, so
// postgres_password gives POSTGRES_PASSWORD and tls.crt gives TLS_CRT.
func variableName(file string) string {
	return strings.Map(func(c rune) rune {
		switch {
		case c >= 'a' && c <= 'z':
			return c - 'a' + 'A'
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_':
			return c
		}
		return '_'
	}, file)
}

// require checks SHIM_REQUIRE after everything that can set a variable, and
// reports every missing name at once, each with what probably went wrong.
func (r *resolver) require() error {
	var errs []error
	for _, name := range r.s.Require {
		v, ok := r.env.get(name)
		if v != "" {
			continue
		}
		state := "not set"
		if ok {
			state = "empty"
		}
		errs = append(errs, withHint(fmt.Errorf("%s is required (SHIM_REQUIRE) but %s", name, state), r.requireHints(name)...))
	}
	return errors.Join(errs...)
}

func (r *resolver) requireHints(name string) []string {
	var hints []string
	if reason, ok := r.skipped[name+r.s.Suffix]; ok {
		hints = append(hints, fmt.Sprintf("%s%s was not read: %s", name, r.s.Suffix, reason))
	}
	for _, other := range r.env.originalNames {
		base, ok := strings.CutSuffix(other, r.s.Suffix)
		if !ok || base == name || base == "" {
			continue
		}
		if d := editDistance(base, name); d <= max(2, len(name)/4) {
			hints = append(hints, fmt.Sprintf("%s is set; did you mean %s%s?", other, name, r.s.Suffix))
		}
	}
	return hints
}

// editDistance is the Levenshtein distance, for spotting POSTGRES_DB_PASSWORD_FILE
// when POSTGRES_PASSWORD is required.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// expandArgs applies expandArg to the command and each argument.
func (r *resolver) expandArgs(args []string) ([]string, error) {
	out := make([]string, len(args))
	for i, arg := range args {
		what := "the command"
		if i > 0 {
			what = "argument " + strconv.Itoa(i)
		}
		expanded, used, err := expandArg(arg, r.env.get)
		if err != nil {
			return nil, withHint(fmt.Errorf("%s %q: %w", what, arg, err), argHint(err))
		}
		for _, name := range used {
			r.note("expand %s from %s", name, what)
		}
		out[i] = expanded
	}
	return out, nil
}

var (
	errUnterminated = errors.New("${ without a closing }")
	errNested       = errors.New("${ inside a ${...} default is not supported")
)

func argHint(err error) string {
	var unset *unsetError
	if errors.As(err, &unset) {
		return fmt.Sprintf("set %s (or %s_FILE), write ${%s:-} to allow an empty value, or $${ for a literal ${", unset.name, unset.name, unset.name)
	}
	return "shim expands only ${NAME} and ${NAME:-default}; write $${ for a literal ${"
}

type unsetError struct {
	name, state string
}

func (e *unsetError) Error() string { return e.name + " is " + e.state }

// expandArg expands ${NAME} and ${NAME:-word} in one argument; $${ is a
// literal ${, and $NAME or a lone $ are left alone, so arguments written for
// a shell (or for redis' own config syntax) pass unchanged. An unset or empty
// ${NAME} is an error: an empty --requirepass would start redis open.
// It returns the names it used, for the report.
func expandArg(arg string, lookup func(string) (string, bool)) (string, []string, error) {
	if !strings.Contains(arg, "${") {
		return arg, nil, nil
	}
	var b strings.Builder
	var used []string
	for i := 0; i < len(arg); {
		if strings.HasPrefix(arg[i:], "$${") {
			b.WriteString("${")
			i += 3
			continue
		}
		if !strings.HasPrefix(arg[i:], "${") {
			b.WriteByte(arg[i])
			i++
			continue
		}
		end := strings.IndexByte(arg[i+2:], '}')
		if end < 0 {
			return "", nil, errUnterminated
		}
		inner := arg[i+2 : i+2+end]
		i += 2 + end + 1
		name, word, hasDefault := strings.Cut(inner, ":-")
		if !validName(name) {
			return "", nil, badReference(inner)
		}
		if strings.Contains(word, "${") {
			return "", nil, errNested
		}
		value, set := lookup(name)
		switch {
		case value != "":
			b.WriteString(value)
			used = append(used, name)
		case hasDefault:
			b.WriteString(word)
		case set:
			return "", nil, &unsetError{name, "empty"}
		default:
			return "", nil, &unsetError{name, "not set"}
		}
	}
	return b.String(), used, nil
}

func badReference(inner string) error {
	if inner == "" {
		return errors.New("${} names no variable")
	}
	return fmt.Errorf("${%s} is not ${NAME} or ${NAME:-default}", inner)
}

// validName accepts the names a shell would expand: a letter or underscore,
// then letters, digits and underscores.
func validName(name string) bool {
	if name == "" || (name[0] >= '0' && name[0] <= '9') {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// hinted is an error with hint lines; main prints each on its own line.
type hinted struct {
	err   error
	hints []string
}

func withHint(err error, hints ...string) error {
	if len(hints) == 0 {
		return err
	}
	return &hinted{err, hints}
}

func (h *hinted) Error() string {
	var b strings.Builder
	b.WriteString(h.err.Error())
	for _, hint := range h.hints {
		b.WriteString("\nhint: ")
		b.WriteString(hint)
	}
	return b.String()
}

func (h *hinted) Unwrap() error { return h.err }

// env is an environment that keeps its order. The first entry of a name wins,
// as it does for getenv(3) and Go; later duplicates are dropped so the command
// cannot see a value shim did not.
type env struct {
	entries       []string       // "NAME=value", or "" where an entry was removed
	index         map[string]int // name → its entry
	originalNames []string       // names as they came in, never changed: safe to walk while the environment changes
}

func newEnv(environ []string) *env {
	e := &env{entries: make([]string, 0, len(environ)), index: make(map[string]int, len(environ))}
	for _, kv := range environ {
		name, _, ok := strings.Cut(kv, "=")
		if !ok {
			if kv != "" {
				e.entries = append(e.entries, kv) // not ours to judge: pass it on
			}
			continue
		}
		if _, dup := e.index[name]; dup {
			continue
		}
		e.index[name] = len(e.entries)
		e.entries = append(e.entries, kv)
		e.originalNames = append(e.originalNames, name)
	}
	return e
}

func (e *env) get(name string) (string, bool) {
	i, ok := e.index[name]
	if !ok {
		return "", false
	}
	return e.entries[i][len(name)+1:], true
}

func (e *env) set(name, value string) {
	if i, ok := e.index[name]; ok {
		e.entries[i] = name + "=" + value
		return
	}
	e.index[name] = len(e.entries)
	e.entries = append(e.entries, name+"="+value)
}

// rename puts name=value where from was, and drops an earlier empty name.
func (e *env) rename(from, name, value string) {
	if i, ok := e.index[name]; ok {
		e.entries[i] = ""
	}
	i := e.index[from]
	delete(e.index, from)
	e.entries[i] = name + "=" + value
	e.index[name] = i
}

func (e *env) list() []string {
	out := make([]string, 0, len(e.entries))
	for _, kv := range e.entries {
		if kv != "" {
			out = append(out, kv)
		}
	}
	return out
}
