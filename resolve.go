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

// source is how the resolver reaches files. read returns at most limit+1
// bytes, so the resolver can tell "too large" without reading a whole
// /dev/zero; with regularOnly it refuses anything but a regular file. list
// returns the names of every entry in a directory, sorted.
type source interface {
	read(path string, limit int, regularOnly bool) ([]byte, error)
	list(dir string) ([]string, error)
}

// deniedError is what a source returns when a file exists but the process may
// not read it. It carries what the permission hint needs, since that is the
// most common failure with Compose file secrets (the host's owner and mode
// are kept, so a 0600 file is unreadable after a privilege drop). uid is -1
// when even the file's owner could not be seen.
type deniedError struct {
	err      error
	uid, gid int
	mode     fs.FileMode
	euid     int
}

func (e *deniedError) Error() string { return e.err.Error() }
func (e *deniedError) Unwrap() error { return e.err }

// notRegularError is a source's answer for a directory entry that is not a
// regular file once links are followed.
type notRegularError struct{ kind string }

func (e *notRegularError) Error() string { return "not a regular file (" + e.kind + ")" }

var errDangling = errors.New("a symbolic link to a file that does not exist")

// pathVariables are *_FILE names that widespread tools read as paths. Their
// values are absolute paths, so only this list keeps shim from inlining a CA
// bundle or a rotating token and dropping the path the tool needs. Each one
// is documented by the tool that reads it; the README lists them.
func isPathVariable(name string) bool {
	switch name {
	case
		// TLS trust stores: OpenSSL, Go crypto/x509, Nix, gcloud.
		"SSL_CERT_FILE", "NIX_SSL_CERT_FILE", "CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE",
		// Cloud workload identity and credentials: AWS SDKs and CLI, Azure, OCI.
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AZURE_FEDERATED_TOKEN_FILE", "OCI_CLI_CONFIG_FILE",
		// Tool configuration: Terraform, Docker Compose, pip, uv, Ansible, sops,
		// podman/skopeo, git, coverage.py, direnv, asdf, Buildkite, Consul,
		// GitLab CI, Varnish, Hitch, Bitnami redis, MinIO, Grafana, Docker.
		"TF_CLI_CONFIG_FILE", "COMPOSE_FILE", "COMPOSE_ENV_FILE", "PIP_CONFIG_FILE", "UV_CONFIG_FILE",
		"ANSIBLE_VAULT_PASSWORD_FILE", "SOPS_AGE_KEY_FILE", "REGISTRY_AUTH_FILE", "GIT_INDEX_FILE",
		"COVERAGE_FILE", "DIRENV_FILE", "ASDF_CONFIG_FILE", "BUILDKITE_ENV_FILE", "CONSUL_HTTP_TOKEN_FILE",
		"CI_SERVER_TLS_CA_FILE", "CI_SERVER_TLS_CERT_FILE", "CI_SERVER_TLS_KEY_FILE",
		"VARNISH_VCL_FILE", "HITCH_CONFIG_FILE", "FEATURE_KEY_FILE",
		"REDIS_TLS_CERT_FILE", "REDIS_TLS_KEY_FILE", "REDIS_TLS_CA_FILE", "REDIS_TLS_DH_PARAMS_FILE",
		"REDIS_OVERRIDES_FILE", "MINIO_CONFIG_ENV_FILE", "GF_PATHS_CONFIG_FILE", "KUBE_CA_PEM_FILE",
		"GOOGLE_GHA_CREDS_FILE", "DOCKER_CONTENT_TRUST_KEY_FILE",
		// Generic names that applications use for their own files, never for a
		// secret's value; a missing log or pid file must not stop the start.
		"CONFIG_FILE", "ENV_FILE", "LOG_FILE", "PID_FILE":
		return true
	}
	return false
}

// request is everything the resolver works from.
type request struct {
	environ, args []string
	settings
	user        *credentials // from SHIM_USER, or nil
	maxEntry    int          // the kernel's limit on one NAME=value string, NUL included
	report      bool         // format the report (--check, SHIM_VERBOSE)
	allProblems bool         // go on after a problem, to report them all (--check)
}

// resolution is what the resolver hands to exec: the command's environment
// and arguments (nil when they could not be resolved), and the report for
// --check and SHIM_VERBOSE. The report names variables, paths and sizes,
// never a value.
type resolution struct {
	env    []string
	args   []string
	report []string
}

// resolve applies every rule in order: *_FILE expansion, secrets directories,
// URL assembly, SHIM_REQUIRE, the user's HOME, argument expansion. The error
// joins every problem found with allProblems, else it is the first.
func resolve(req request, src source) (resolution, error) {
	r := &resolver{request: req, src: src, env: newEnv(req.environ), skipped: map[string]string{}}
	steps := []func(){r.expandFiles, r.importDirs, func() { r.assemble(databaseURL, req.Database.URL) },
		func() { r.assemble(redisURL, req.Redis.URL) }, r.require, r.setUser}
	for _, step := range steps {
		if r.stopped() {
			break
		}
		step()
	}
	args := req.args
	if req.Expand.Args && !r.stopped() {
		args = r.expandArgs(req.args)
	}
	if r.stopped() || args == nil {
		return resolution{report: r.notes}, errors.Join(r.problems...)
	}
	return resolution{env: r.env.list(), args: args, report: r.notes}, errors.Join(r.problems...)
}

type resolver struct {
	request
	src      source
	env      *env
	skipped  map[string]string // names left unset or unread, and why: for SHIM_REQUIRE's hints
	notes    []string
	problems []error
}

func (r *resolver) note(format string, a ...any) {
	if r.report {
		r.notes = append(r.notes, fmt.Sprintf(format, a...))
	}
}

func (r *resolver) problem(err error) { r.problems = append(r.problems, err) }

// stopped reports whether to stop here: at the first problem, unless every
// problem is wanted.
func (r *resolver) stopped() bool { return len(r.problems) > 0 && !r.allProblems }

// expandFiles reads every NAME_FILE that passes the rules into NAME, in the
// place of NAME_FILE, so the order of the environment is kept. Paths and
// conflicts are judged on the environment as it came in, before anything is
// read: no value read from a file is ever used as a path, and the order of
// the variables cannot change the result.
func (r *resolver) expandFiles() {
	type planned struct {
		variable        // NAME_FILE
		target   string // NAME
		shadows  bool   // an empty NAME is set already: the file's value takes its place
	}
	plan := make([]planned, 0, len(r.env.in))
	for _, v := range r.env.in {
		if !strings.HasSuffix(v.name, r.Suffix) {
			continue
		}
		name := strings.TrimSuffix(v.name, r.Suffix)
		if reason := r.skipReason(v.name, name, v.value); reason != "" {
			r.skipped[v.name] = reason
			r.note("skip %s: %s", v.name, reason)
			continue
		}
		value, set := r.env.get(name)
		if value != "" {
			r.problem(failf("both %s and %s are set (but are exclusive)", name, v.name))
			if r.stopped() {
				return
			}
			continue
		}
		plan = append(plan, planned{v, name, set})
	}
	for _, f := range plan {
		value, err := r.readSecret(f.name, f.target, f.value, false)
		if err != nil {
			r.problem(err)
			if r.stopped() {
				return
			}
			continue
		}
		r.env.rename(f.variable, f.target, value, f.shadows)
		if r.report { // not built for nothing on every secret of every start
			r.note("set %s from %s (%d bytes)", f.target, quote(f.value), len(value))
		}
	}
}

// skipReason says why fileVar is left alone, or "" to expand it. A value
// for the path lets the hints ask whether a name would be expanded at all.
func (r *resolver) skipReason(fileVar, name, value string) string {
	switch {
	case name == "":
		return "no variable name before " + r.Suffix
	case value == "":
		return "empty, nothing to read"
	case isPathVariable(fileVar):
		return "a path other tools read (built-in list)"
	case strings.HasSuffix(name, "_"):
		return "ends in _" + r.Suffix + ", left for the program (Grafana's convention)"
	case !strings.Contains(value, "/"):
		return "value is not a path (no /)"
	}
	if pattern, ok := matchAny(r.Skip, fileVar); ok {
		return "matches SHIM_SKIP pattern " + quote(pattern)
	}
	if len(r.Only) > 0 {
		if _, ok := matchAny(r.Only, fileVar); !ok {
			return "not matched by SHIM_ONLY"
		}
	}
	return ""
}

// matchAny reports the first pattern that matches name. The patterns were
// checked when the settings were read, so a match error cannot happen here.
func matchAny(patterns []string, name string) (string, bool) {
	for _, p := range patterns {
		if ok, _ := path.Match(p, name); ok {
			return p, true
		}
	}
	return "", false
}

// readSecret reads one file under the rules shared by *_FILE and secrets
// directories: the file is passed whole or refused. The bytes are valid
// until the next read. Its size and its NUL
// bytes are judged on every byte of it, before trailing newlines are
// trimmed, so no arrangement of its bytes lets a prefix through. origin
// names where the path came from in messages.
func (r *resolver) readSecret(origin, name, p string, fromDir bool) ([]byte, error) {
	// "=" and the terminating NUL; a name that alone fills an entry leaves
	// room for nothing, and the size check before exec names it.
	limit := max(r.maxEntry-len(name)-2, 0)
	data, err := r.src.read(p, limit, fromDir)
	if err != nil {
		return nil, r.readError(origin, err, fromDir)
	}
	if len(data) > limit {
		return nil, withHints(failf("%s: %s: too large for one environment variable (the file may be at most %d bytes)", origin, quote(p), limit),
			r.notSecretHint(origin, fromDir))
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return nil, withHints(failf("%s: %s: contains a NUL byte (at offset %d), which an environment variable cannot hold", origin, quote(p), i),
			r.notSecretHint(origin, fromDir))
	}
	if r.Trim {
		data = trimNewlines(data)
	}
	return data, nil
}

func (r *resolver) readError(origin string, err error, fromDir bool) error {
	pe := &fs.PathError{Path: "the file"}
	errors.As(err, &pe)
	var hints []string
	var denied *deniedError
	switch {
	case errors.As(err, &denied):
		hints = append(hints, deniedHint(denied, pe.Path))
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, errDangling):
		where := "the service's secrets: list (Compose, Swarm) or the volume's items (Kubernetes)"
		hints = append(hints, "the secret is probably not mounted: compare "+where+" with what the container has (ls -la "+quote(path.Dir(pe.Path))+" in it)")
	}
	hints = append(hints, r.notSecretHint(origin, fromDir))
	return fail(origin+": "+describe(err), hints...)
}

// describe writes a source's error with its path quoted.
func describe(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Sprintf("%s %s: %v", pe.Op, quote(pe.Path), pe.Err)
	}
	return err.Error()
}

// deniedHint says why a file cannot be read and what fixes it. Root that may
// not read has lost CAP_DAC_OVERRIDE (cap_drop: ALL), which SHIM_USER cannot
// give back.
func deniedHint(d *deniedError, p string) string {
	const fix = "run shim as root and set SHIM_USER to read secrets first and then drop privileges"
	switch {
	case d.euid == 0:
		return "shim runs as root without the capability to read other users' files (cap_drop: ALL?): add cap_add: [DAC_OVERRIDE] or make the file readable by uid 0"
	case d.uid < 0:
		return fmt.Sprintf("shim runs as uid %d, which may not search a directory on the way to %s; %s", d.euid, quote(p), fix)
	}
	return fmt.Sprintf("%s is owned by uid %d gid %d with mode %04o and shim runs as uid %d; %s", quote(p), d.uid, d.gid, d.mode.Perm(), d.euid, fix)
}

func (r *resolver) notSecretHint(origin string, fromDir bool) string {
	if fromDir {
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

// importDirs turns each file of SHIM_SECRETS_DIR into a variable. Dot names
// are left out (Kubernetes' ..data link and the timestamped directory behind
// it); every other entry must be a readable regular file once links are
// followed, or the start stops: a dangling link is a secret that did not
// arrive. A variable already set (from the environment or a *_FILE) wins, as
// the more specific instruction.
func (r *resolver) importDirs() {
	owner := map[string]string{} // variable name → the file it comes from
	seen := map[string]bool{}
	for _, dir := range r.Secrets.Dir {
		if dir = path.Clean(dir); seen[dir] {
			continue
		}
		seen[dir] = true
		files, err := r.src.list(dir)
		if err != nil {
			r.problem(fail("SHIM_SECRETS_DIR: "+describe(err), "SHIM_SECRETS_DIR names directories that must exist; leave a missing one out"))
			if r.stopped() {
				return
			}
			continue
		}
		for _, file := range files {
			if strings.HasPrefix(file, ".") {
				continue
			}
			p := path.Join(dir, file)
			name := variableName(file)
			if first, ok := owner[name]; ok {
				r.problem(failf("SHIM_SECRETS_DIR: %s and %s both map to %s", quote(first), quote(p), name))
				if r.stopped() {
					return
				}
				continue
			}
			owner[name] = p
			if v, _ := r.env.get(name); v != "" {
				from := "the environment"
				if r.env.secret(name) {
					from = name + r.Suffix
				}
				r.note("shadowed %s: %s is already set from %s", quote(p), name, from)
				continue
			}
			value, err := r.readSecret(name+" from SHIM_SECRETS_DIR", name, p, true)
			if err != nil {
				r.problem(err)
				if r.stopped() {
					return
				}
				continue
			}
			r.env.setEntry(name, name+"="+string(value), true)
			r.note("set %s from %s (%d bytes, SHIM_SECRETS_DIR)", name, quote(p), len(value))
		}
	}
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

// assemble sets spec.target from its parts when it is empty and a host is
// known. An existing value is never touched.
func (r *resolver) assemble(spec urlSpec, enabled bool) {
	if v, _ := r.env.get(spec.target); !enabled || v != "" {
		return
	}
	u, shown, err := assembleURL(spec, func(name string) (string, bool) {
		v, _ := r.env.get(name)
		return v, r.env.secret(name)
	})
	switch {
	case errors.Is(err, errNoHost):
		return
	case errors.Is(err, errSeveralHosts):
		reason := "not assembled: " + err.Error()
		r.skipped[spec.target] = reason
		r.note("skip %s: %s", spec.target, reason)
	case err != nil:
		r.problem(withHints(err, "set "+spec.target+" yourself, or "+spec.setting+"=false to leave it unset"))
	default:
		r.env.set(spec.target, u, true) // it holds the password: never shown whole
		r.note("set %s=%s", spec.target, shown)
	}
}

// require checks SHIM_REQUIRE after everything that can set a variable, and
// reports every missing name at once, each with what probably went wrong.
func (r *resolver) require() {
	for _, name := range r.Require {
		v, ok := r.env.get(name)
		if v != "" {
			continue
		}
		state := "not set"
		if ok {
			state = "empty"
		}
		r.problem(withHints(failf("%s is required (SHIM_REQUIRE) but %s", quote(name), state), r.requireHints(name)...))
	}
}

func (r *resolver) requireHints(name string) []string {
	var hints []string
	for _, n := range []string{name + r.Suffix, name} {
		if reason, ok := r.skipped[n]; ok {
			hints = append(hints, fmt.Sprintf("%s was not read: %s", n, reason))
		}
	}
	for _, other := range r.env.currentNames() {
		base, isFile := strings.CutSuffix(other, r.Suffix)
		if other == name || isFile && base == name {
			continue
		}
		close := func(s string) bool {
			d := editDistance(s, name)
			return s != "" && d <= max(1, len(name)/4) && 2*d < len(name)
		}
		switch {
		case close(other):
			hints = append(hints, fmt.Sprintf("did you mean %s, which is set?", other))
		case isFile && close(base):
			hints = append(hints, fmt.Sprintf("%s is set; did you mean %s%s?", other, name, r.Suffix))
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

// setUser gives the command the HOME of SHIM_USER's account and reports who
// it runs as.
func (r *resolver) setUser() {
	if r.user == nil {
		return
	}
	r.env.set("HOME", r.user.home, false)
	r.note("run as %s", r.user)
}

// expandArgs applies expandArg to the command and each argument; nil when
// one fails.
func (r *resolver) expandArgs(args []string) []string {
	out := make([]string, len(args))
	for i, arg := range args {
		what := "the command"
		if i > 0 {
			what = "argument " + strconv.Itoa(i)
		}
		expanded, used, err := expandArg(arg, r.env.get)
		if err != nil {
			r.problem(withHints(fmt.Errorf("%s %q: %w", what, arg, err), r.argHint(err)))
			out = nil
			if r.stopped() {
				return nil
			}
			continue
		}
		for _, name := range used {
			r.note("expand %s from %s", name, what)
		}
		if out != nil {
			out[i] = expanded
		}
	}
	return out
}

var (
	errUnterminated = errors.New("${ without a closing }")
	errNested       = errors.New("${ inside a ${...} default is not supported")
)

func (r *resolver) argHint(err error) string {
	var unset *unsetError
	if !errors.As(err, &unset) {
		return "shim expands only ${NAME} and ${NAME:-default}; write $${ for a literal ${"
	}
	set := "set " + unset.name
	if fileVar := unset.name + r.Suffix; r.skipReason(fileVar, unset.name, "/") == "" {
		set += " (or " + fileVar + ")"
	}
	return fmt.Sprintf("%s, write ${%s:-} to allow an empty value, or $${ for a literal ${", set, unset.name)
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

// env is an environment that keeps its order. The first entry of a name wins,
// as it does for getenv(3) and Go; later duplicates are dropped so the command
// cannot see a value shim did not.
type env struct {
	entries  []string       // "NAME=value", or "" where an entry was removed
	fromFile []bool         // per entry: its value came from a file or holds a secret, so it is never shown
	index    map[string]int // name → its entry
	// The environment as it came in, never changed: what *_FILE expansion
	// judges, whatever it has already done.
	in []variable
}

type variable struct {
	name, value string
	entry       int // where it is in entries
}

func newEnv(environ []string) *env {
	// The index has room for the names renames add, since the old keys stay.
	e := &env{entries: make([]string, 0, len(environ)), fromFile: make([]bool, 0, len(environ)),
		index: make(map[string]int, 2*len(environ)), in: make([]variable, 0, len(environ))}
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if !ok {
			if kv != "" {
				e.entries = append(e.entries, kv) // not ours to judge: pass it on
				e.fromFile = append(e.fromFile, false)
			}
			continue
		}
		if _, dup := e.index[name]; dup {
			continue
		}
		e.index[name] = len(e.entries)
		e.in = append(e.in, variable{name, value, len(e.entries)})
		e.entries = append(e.entries, kv)
		e.fromFile = append(e.fromFile, false)
	}
	return e
}

// lookup finds name's entry. rename leaves NAME_FILE's key in the index
// (deleting it cost as much as the rest of a rename), so an entry counts
// only while it still holds name: names hold no "=".
func (e *env) lookup(name string) (int, bool) {
	i, ok := e.index[name]
	if !ok {
		return 0, false
	}
	kv := e.entries[i]
	return i, len(kv) > len(name) && kv[len(name)] == '=' && kv[:len(name)] == name
}

func (e *env) get(name string) (string, bool) {
	i, ok := e.lookup(name)
	if !ok {
		return "", false
	}
	return e.entries[i][len(name)+1:], true
}

// secret reports whether name's value came from a file or holds a secret.
func (e *env) secret(name string) bool {
	i, ok := e.lookup(name)
	return ok && e.fromFile[i]
}

func (e *env) set(name, value string, secret bool) { e.setEntry(name, name+"="+value, secret) }

// setEntry sets name to the entry kv, "name=value".
func (e *env) setEntry(name, kv string, secret bool) {
	i, ok := e.lookup(name)
	if !ok {
		i = len(e.entries)
		e.index[name] = i
		e.entries = append(e.entries, kv)
		e.fromFile = append(e.fromFile, false)
	}
	e.entries[i], e.fromFile[i] = kv, secret
}

// rename puts name=value, read from a file, in the place of v; shadows drops
// an earlier empty name.
func (e *env) rename(v variable, name string, value []byte, shadows bool) {
	if shadows {
		e.entries[e.index[name]] = ""
	}
	e.index[name] = v.entry
	e.entries[v.entry], e.fromFile[v.entry] = name+"="+string(value), true
}

func (e *env) currentNames() []string {
	var names []string
	for _, kv := range e.entries {
		if name, _, ok := strings.Cut(kv, "="); ok {
			names = append(names, name)
		}
	}
	return names
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
