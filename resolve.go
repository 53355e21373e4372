package main

// The pure core: environment and arguments in, environment and arguments
// out. Files are reached only through the source passed in, so every rule
// runs in table and fuzz tests without a disk. Nothing here prints, exits
// or reads the process's own state.

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Rules are the SHIM_* settings the resolver follows; envconfig reads them
// (Secrets.Dir is SHIM_SECRETS_DIR), and the help text describes them.
type Rules struct {
	Suffix   string `default:"_FILE"`
	Prefix   string `default:"FILE__"` // linuxserver.io's FILE__NAME; empty turns it off
	Skip     []string
	Only     []string
	Trim     bool `default:"true"`
	Secrets  struct{ Dir []string }
	Database struct {
		URL bool `default:"true"`
	}
	Redis struct {
		URL bool `default:"true"`
	}
	Require []string
	Expand  struct {
		Args bool `default:"true"`
	}
}

// source reaches files. read returns at most limit+1 bytes and, with
// regularOnly, refuses anything but a regular file; list returns a
// directory's names, sorted, and its identity.
type fileSource interface {
	read(path string, limit int, regularOnly bool) ([]byte, error)
	list(dir string) ([]string, [2]uint64, error)
}

// isPathVariable: *_FILE names that widespread tools read as paths (each
// documented by its tool; the README lists them), which shim must not
// replace by the file's content.
func isPathVariable(name string) bool {
	switch name {
	case "SSL_CERT_FILE", "NIX_SSL_CERT_FILE", "CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AZURE_FEDERATED_TOKEN_FILE", "OCI_CLI_CONFIG_FILE",
		"TF_CLI_CONFIG_FILE", "COMPOSE_FILE", "COMPOSE_ENV_FILE", "PIP_CONFIG_FILE", "UV_CONFIG_FILE",
		"ANSIBLE_VAULT_PASSWORD_FILE", "SOPS_AGE_KEY_FILE", "REGISTRY_AUTH_FILE", "GIT_INDEX_FILE",
		"COVERAGE_FILE", "DIRENV_FILE", "ASDF_CONFIG_FILE", "BUILDKITE_ENV_FILE", "CONSUL_HTTP_TOKEN_FILE",
		"CI_SERVER_TLS_CA_FILE", "CI_SERVER_TLS_CERT_FILE", "CI_SERVER_TLS_KEY_FILE",
		"VARNISH_VCL_FILE", "HITCH_CONFIG_FILE", "FEATURE_KEY_FILE",
		"REDIS_TLS_CERT_FILE", "REDIS_TLS_KEY_FILE", "REDIS_TLS_CA_FILE", "REDIS_TLS_DH_PARAMS_FILE",
		"REDIS_OVERRIDES_FILE", "MINIO_CONFIG_ENV_FILE", "GF_PATHS_CONFIG_FILE", "KUBE_CA_PEM_FILE",
		"GOOGLE_GHA_CREDS_FILE", "DOCKER_CONTENT_TRUST_KEY_FILE",
		"CONFIG_FILE", "ENV_FILE", "LOG_FILE", "PID_FILE": // a log file not there yet must not stop a start
		return true
	}
	return false
}

// request is everything the resolver works from.
type request struct {
	Rules
	environ, args []string
	home, runAs   string // SHIM_USER's HOME and how the report names it; "" without one
	entryLimit    int    // the kernel's limit on one NAME=value string, NUL included
	report        bool   // write the report (--check, SHIM_VERBOSE)
	allProblems   bool   // go on after a problem to report them all (--check)
	// SHIM_RENDER's templates, filled from lookup; hint explains a ${...} refused
	render func(lookup func(string) (string, bool), hint func(error) string) ([]rendered, error)
}

// rendered is one template filled and handed on at path, as the report
// names it.
type rendered struct {
	name, path, template string
	size                 int
	used                 []string
}

// resolution is the command's environment and arguments (nil args when they
// could not be resolved) and the report, which names variables, paths and
// sizes, never a value.
type resolution struct {
	env, args, report []string
	secretPath        bool // PATH came from a file
}

type resolver struct {
	request
	src      fileSource
	env      *env
	skipped  map[string]string // names left unset or unread, and why: for SHIM_REQUIRE's hints
	readFrom map[string]string // NAME → the NAME_FILE or FILE__NAME it was read from
	notes    []string
	problems []error
}

// resolve applies every rule in order. The error joins every problem with
// allProblems, else it is the first.
func resolve(req request, src fileSource) (resolution, error) {
	r := &resolver{request: req, src: src, env: newEnv(req.environ), skipped: map[string]string{}, readFrom: map[string]string{}}
	steps := []func(){r.expandFiles, r.importDirs, func() { r.assemble(databaseURL, req.Database.URL) },
		func() { r.assemble(redisURL, req.Redis.URL) }, r.setUser, r.renderFiles, r.require}
	for _, step := range steps {
		if !r.stopped() {
			step()
		}
	}
	args := req.args
	if req.Expand.Args && !r.stopped() {
		args = r.expandArgs(req.args)
	}
	if r.stopped() || args == nil {
		return resolution{report: r.notes}, errors.Join(r.problems...)
	}
	return resolution{env: r.env.list(), args: args, report: r.notes, secretPath: r.env.secret("PATH")}, errors.Join(r.problems...)
}

func (r *resolver) note(format string, a ...any) {
	if r.report {
		r.notes = append(r.notes, fmt.Sprintf(format, a...))
	}
}

// problem records err and says whether to stop: at the first one, unless
// every problem is wanted.
func (r *resolver) problem(err error) bool {
	r.problems = append(r.problems, err)
	return r.stopped()
}

func (r *resolver) stopped() bool { return len(r.problems) > 0 && !r.allProblems }

// expandFiles reads every NAME_FILE that passes the rules into NAME, in its
// place, judged on the environment as it came in: no value read is used as
// a path, and the order of the variables cannot change the result.
func (r *resolver) expandFiles() {
	type planned struct {
		inputVar
		target  string
		shadows bool // an empty NAME is set: the file's value takes its place
	}
	var plan []planned
	claims := map[string]string{} // NAME → the variable that names its file
	for _, v := range r.env.in {
		name, ok := r.fileTarget(v.name)
		if !ok {
			continue
		}
		if reason := r.skipReason(v.name, name, v.value); reason != "" {
			r.skipped[v.name] = reason
			r.note("skip %s: %s", quote(v.name), reason)
			continue
		}
		value, set := r.env.get(name)
		rival, claimed := claims[name]
		switch {
		case claimed: // X_FILE and FILE__X: neither is read, in either order
			plan = slices.DeleteFunc(plan, func(p planned) bool { return p.target == name })
			first, second := rival, v.name
			if strings.HasSuffix(second, r.Suffix) {
				first, second = second, first
			}
			if r.problem(failf("both %s and %s are set (but are exclusive)", quote(first), quote(second))) {
				return
			}
		case value != "":
			if r.problem(failf("both %s and %s are set (but are exclusive)", quote(name), quote(v.name))) {
				return
			}
		case strings.HasPrefix(name, "SHIM_"):
			if r.problem(fail(quote(v.name)+": shim reads its settings from the environment only", "set "+quote(name)+" itself")) {
				return
			}
		default:
			claims[name] = v.name
			plan = append(plan, planned{v, name, set})
		}
	}
	for _, f := range plan {
		value, err := r.readSecret(quote(f.name), f.target, f.value, false)
		if err != nil {
			if r.problem(err) {
				return
			}
			continue
		}
		r.env.rename(f.inputVar, f.target, value, f.shadows)
		r.readFrom[f.target] = f.name
		if r.report {
			r.note("set %s from %s (%d bytes)", quote(f.target), quote(f.value), len(value))
		}
	}
}

// fileTarget is the variable fileVar's file is read into: NAME for
// NAME_FILE, or for FILE__NAME, linuxserver.io's spelling.
func (r *resolver) fileTarget(fileVar string) (string, bool) {
	if name, ok := strings.CutSuffix(fileVar, r.Suffix); ok || r.Prefix == "" {
		return name, ok
	}
	return strings.CutPrefix(fileVar, r.Prefix)
}

// skipReason says why fileVar is left alone, or "" to expand it.
func (r *resolver) skipReason(fileVar, name, value string) string {
	suffixed := strings.HasSuffix(fileVar, r.Suffix)
	switch {
	case name == "" && suffixed:
		return "no variable name before " + r.Suffix
	case name == "":
		return "no variable name after " + r.Prefix
	case value == "":
		return "empty, nothing to read"
	case isPathVariable(fileVar):
		return "a path other tools read (built-in list)"
	case strings.HasSuffix(name, "_") && suffixed:
		return "ends in _" + r.Suffix + ", left for the program (Grafana's convention)"
	case !strings.Contains(value, "/"):
		return "value is not a path (no /)"
	}
	if i := slices.IndexFunc(r.Skip, func(p string) bool { return matchName(p, fileVar) }); i >= 0 {
		return "matches SHIM_SKIP pattern " + quote(r.Skip[i])
	}
	if len(r.Only) > 0 && !slices.ContainsFunc(r.Only, func(p string) bool { return matchName(p, fileVar) }) {
		return "not matched by SHIM_ONLY"
	}
	return ""
}

// matchName matches a glob against a whole name, / included, which
// path.Match's * would not cross; no name or pattern holds a NUL.
func matchName(pattern, name string) bool {
	ok, _ := path.Match(strings.ReplaceAll(pattern, "/", "\x00"), strings.ReplaceAll(name, "/", "\x00"))
	return ok
}

// readSecret reads one file whole or refuses it: its size and NUL bytes are
// judged on every byte, before trailing newlines are trimmed. The bytes are
// valid until the next read; origin names the variable in messages.
func (r *resolver) readSecret(origin, name, p string, fromDir bool) ([]byte, error) {
	limit := max(r.entryLimit-len(name)-2, 0) // "=" and the NUL
	data, err := r.src.read(p, limit, fromDir)
	var problem error
	switch {
	case err != nil:
		return nil, r.readError(origin, err, fromDir)
	case len(data) > limit:
		problem = failf("%s: %s: too large for one environment variable (the file may be at most %d bytes)", origin, quote(p), limit)
	case bytes.IndexByte(data, 0) >= 0:
		problem = failf("%s: %s: contains a NUL byte, which an environment variable cannot hold", origin, quote(p))
	case r.Trim:
		return bytes.TrimRight(data, "\r\n"), nil
	default:
		return data, nil
	}
	return nil, withHints(problem, r.notSecretHint(origin, fromDir))
}

func (r *resolver) readError(origin string, err error, fromDir bool) error {
	return fileError(origin, err, "the secret is probably not mounted: compare the service's secrets: list (Compose, Swarm) or the volume's items (Kubernetes)",
		r.notSecretHint(origin, fromDir))
}

// fileError is a file that could not be read, with a hint at the cause:
// who may read it, or for a missing one, where to compare what is mounted.
func fileError(origin string, err error, unmounted string, more ...string) error {
	pe := &fs.PathError{Path: "the file"}
	errors.As(err, &pe)
	var hints []string
	var denied *deniedError
	switch {
	case errors.As(err, &denied):
		hints = append(hints, deniedHint(denied, pe.Path))
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, errDangling):
		hints = append(hints, unmounted+" with what the container has (ls -la "+quote(path.Dir(pe.Path))+" in it)")
	}
	return fail(origin+": "+describe(err), append(hints, more...)...)
}

// deniedHint says why a file cannot be read and what fixes it. Root that
// may not read has lost CAP_DAC_OVERRIDE, which SHIM_USER cannot give back.
func deniedHint(d *deniedError, p string) string {
	const fix = "run shim as root and set SHIM_USER to read secrets first and then drop privileges"
	p = quote(p)
	switch {
	case d.euid == 0:
		return "shim runs as root without the capability to read other users' files (cap_drop: ALL?): add cap_add: [DAC_OVERRIDE] or make the file readable by uid 0"
	case d.uid < 0:
		return fmt.Sprintf("shim runs as uid %d, which may not search a directory on the way to %s; %s", d.euid, p, fix)
	}
	return fmt.Sprintf("%s is owned by uid %d gid %d with mode %04o and shim runs as uid %d; %s", p, d.uid, d.gid, d.mode.Perm(), d.euid, fix)
}

func (r *resolver) notSecretHint(origin string, fromDir bool) string {
	if fromDir {
		return "a file in a secrets directory that is not a secret can be moved out of it, or the directory left out of SHIM_SECRETS_DIR"
	}
	return "if " + origin + " holds a path for the program to open itself, add it to SHIM_SKIP"
}

// importDirs turns each file of SHIM_SECRETS_DIR into a variable, dot names
// (Kubernetes' ..data) left out; any other entry must be a readable regular
// file. A variable already set wins, as the more specific instruction.
func (r *resolver) importDirs() {
	owner := map[string]string{} // variable name → the file it comes from
	seen := map[[2]uint64]bool{}
	for _, dir := range r.Secrets.Dir {
		files, id, err := r.src.list(dir)
		if err != nil {
			if r.problem(fail("SHIM_SECRETS_DIR: "+describe(err), "SHIM_SECRETS_DIR names directories that must exist; leave a missing one out")) {
				return
			}
			continue
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		for _, file := range files {
			if !strings.HasPrefix(file, ".") && !r.importFile(strings.TrimRight(dir, "/")+"/"+file, variableName(file), owner) {
				return
			}
		}
	}
}

// importFile reads one directory entry; false means stop.
func (r *resolver) importFile(p, name string, owner map[string]string) bool {
	if first, ok := owner[name]; ok {
		return !r.problem(failf("SHIM_SECRETS_DIR: %s and %s both map to %s", quote(first), quote(p), name))
	}
	owner[name] = p
	if v, _ := r.env.get(name); v != "" {
		from := "the environment"
		if fileVar, ok := r.readFrom[name]; ok {
			from = quote(fileVar)
		}
		r.note("shadowed %s: %s is already set from %s", quote(p), name, from)
		return true
	}
	if strings.HasPrefix(name, "SHIM_") {
		return !r.problem(fail(quote(p)+": shim reads its settings from the environment only", "move the file out of SHIM_SECRETS_DIR"))
	}
	value, err := r.readSecret(name+" from SHIM_SECRETS_DIR", name, p, true)
	if err != nil {
		return !r.problem(err)
	}
	r.env.set(name, string(value), true)
	r.note("set %s from %s (%d bytes, SHIM_SECRETS_DIR)", name, quote(p), len(value))
	return true
}

// variableName maps a file name to a variable name as most secret tools
// do: postgres_password gives POSTGRES_PASSWORD, tls.crt gives TLS_CRT.
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

// assemble sets spec.target from its parts when it is empty; an existing
// value is never touched. Why it was not assembled is kept for the hints.
func (r *resolver) assemble(spec urlSpec, enabled bool) {
	if v, _ := r.env.get(spec.target); v != "" {
		return
	}
	if !enabled {
		r.skipped[spec.target] = "not assembled: " + spec.setting + "=false"
		return
	}
	u, shown, err := assembleURL(spec, r.env.part)
	switch {
	case errors.Is(err, errNoHost):
		unset := spec.host[0] + " is not set"
		if len(spec.host) > 1 {
			unset = "none of " + strings.Join(spec.host, ", ") + " is set"
		}
		r.skipped[spec.target] = "not assembled: " + unset
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

// setUser gives the command the HOME of SHIM_USER's account, before
// SHIM_REQUIRE and the arguments see the environment the command gets.
func (r *resolver) setUser() {
	if r.runAs != "" {
		r.env.set("HOME", r.home, false)
		r.note("run as %s", r.runAs)
	}
}

// renderFiles fills SHIM_RENDER's templates from the environment so far
// and sets each variable to the path of its in-memory file.
func (r *resolver) renderFiles() {
	if r.render == nil {
		return
	}
	files, err := r.render(r.env.get, r.argHint)
	if err != nil {
		r.problem(err)
		return
	}
	for _, f := range files {
		r.env.set(f.name, f.path, false)
		used := "no variables"
		if len(f.used) > 0 {
			used = "using " + strings.Join(f.used, ", ")
		}
		r.note("render %s=%s from %s (%d bytes, %s)", f.name, f.path, quote(f.template), f.size, used)
	}
}

// require checks SHIM_REQUIRE on the command's environment and reports
// every missing name at once, each with what probably went wrong.
func (r *resolver) require() {
	for _, name := range r.Require {
		if v, ok := r.env.get(name); v == "" {
			r.problem(withHints(failf("%s is required (SHIM_REQUIRE) but %s", quote(name), state(ok)), r.requireHints(name)...))
		}
	}
}

// requireHints: why name or name_FILE was not read, and at most three set
// names within a small edit distance, longer names not being typos worth
// the quadratic work.
func (r *resolver) requireHints(name string) []string {
	var hints []string
	for _, n := range slices.Compact([]string{name + r.Suffix, r.Prefix + name, name}) { // SHIM_PREFIX= makes two one
		if reason, ok := r.skipped[n]; ok {
			hints = append(hints, fmt.Sprintf("%s was not read: %s", quote(n), reason))
		}
	}
	if len(name) > 64 {
		return hints
	}
	limit := max(1, len(name)/4)
	type near struct {
		hint string
		d    int
	}
	var nears []near
	for _, other := range r.env.names() {
		base, isFile := strings.CutSuffix(other, r.Suffix)
		if other == name || isFile && base == name {
			continue
		}
		if d := distance(other, name, limit); d <= limit && 2*d < len(name) {
			nears = append(nears, near{fmt.Sprintf("did you mean %s, which is set?", quote(other)), d})
		} else if d := distance(base, name, limit); isFile && d <= limit && 2*d < len(name) {
			nears = append(nears, near{fmt.Sprintf("%s is set; did you mean %s?", quote(other), quote(name+r.Suffix)), d})
		}
	}
	slices.SortStableFunc(nears, func(a, b near) int { return a.d - b.d })
	for _, n := range nears[:min(len(nears), 3)] {
		hints = append(hints, n.hint)
	}
	return hints
}

// distance is the Levenshtein distance of a and b, or limit+1 when their
// lengths alone put it over limit.
func distance(a, b string, limit int) int {
	if len(a)-len(b) > limit || len(b)-len(a) > limit {
		return limit + 1
	}
	prev, cur := make([]int, len(b)+1), make([]int, len(b)+1)
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

// expandArgs expands the command and each argument; nil when one fails.
func (r *resolver) expandArgs(args []string) []string {
	out := make([]string, len(args))
	for i, arg := range args {
		what := "the command"
		if i > 0 {
			what = "argument " + strconv.Itoa(i)
		}
		expanded, used, err := expandArg(arg, r.env.get)
		if err != nil {
			out = nil
			if r.problem(withHints(fmt.Errorf("%s %s: %w", what, strconv.Quote(arg), err), r.argHint(err))) {
				return nil
			}
			continue
		}
		for _, name := range used {
			if r.env.secret(name) {
				r.note("expand %s from %s: a secret, readable in /proc/PID/cmdline by every process that can see the command; SHIM_RENDER puts it in a file instead", name, what)
			} else {
				r.note("expand %s from %s", name, what)
			}
		}
		if out != nil {
			out[i] = expanded
		}
	}
	return out
}

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

type unsetError struct{ name, state string }

func state(set bool) string {
	if set {
		return "empty"
	}
	return "not set"
}

func (e *unsetError) Error() string { return e.name + " is " + e.state }

// expandArg expands ${NAME} and ${NAME:-word} and says which names it used;
// $${ is a literal ${, $NAME passes. An unset or empty ${NAME} is an error:
// an empty --requirepass would start redis open.
func expandArg(arg string, lookup func(string) (string, bool)) (string, []string, error) {
	if !strings.Contains(arg, "${") {
		return arg, nil, nil
	}
	var b strings.Builder
	var used []string
	for i := 0; i < len(arg); {
		switch {
		case strings.HasPrefix(arg[i:], "$${"):
			b.WriteString("${")
			i += 3
			continue
		case !strings.HasPrefix(arg[i:], "${"):
			b.WriteByte(arg[i])
			i++
			continue
		}
		end := strings.IndexByte(arg[i+2:], '}')
		if end < 0 {
			return "", nil, errors.New("${ without a closing }")
		}
		inner := arg[i+2 : i+2+end]
		i += 2 + end + 1
		name, word, hasDefault := strings.Cut(inner, ":-")
		switch value, set := lookup(name); {
		case inner == "":
			return "", nil, errors.New("${} names no variable")
		case !validName(name):
			return "", nil, errors.New("a ${...} that is not ${NAME} or ${NAME:-default}") // the text may be a template's fallback password
		case strings.Contains(word, "${"):
			return "", nil, errors.New("${ inside a ${...} default is not supported")
		case value != "":
			b.WriteString(value)
			used = append(used, name)
		case hasDefault:
			b.WriteString(word)
		default:
			return "", nil, &unsetError{name, state(set)}
		}
	}
	return b.String(), used, nil
}

// validName accepts what a shell would expand: a letter or _, then
// letters, digits and _.
func validName(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return name != ""
}

// env is an environment that keeps its order. The first entry of a name
// wins, as for getenv(3) and Go; later duplicates are dropped, so the
// command cannot see a value shim did not.
type env struct {
	entries []string       // "NAME=value", or "" where an entry was removed
	secrets []bool         // per entry: the value came from a file or holds a secret
	index   map[string]int // name → its entry; a renamed NAME_FILE's key stays, see lookup
	in      []inputVar     // the environment as it came in: what *_FILE expansion judges
}

type inputVar struct {
	name, value string
	entry       int
}

func newEnv(environ []string) *env {
	e := &env{index: make(map[string]int, 2*len(environ))}
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if _, dup := e.index[name]; kv == "" || ok && dup {
			continue
		}
		if ok {
			e.index[name] = len(e.entries)
			e.in = append(e.in, inputVar{name, value, len(e.entries)})
		}
		e.entries, e.secrets = append(e.entries, kv), append(e.secrets, false) // without "=": not ours to judge
	}
	return e
}

// lookup finds name's entry; an index key counts only while its entry
// still holds name.
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

func (e *env) secret(name string) bool {
	i, ok := e.lookup(name)
	return ok && e.secrets[i]
}

// part is name's value and whether it is a secret, for URL assembly.
func (e *env) part(name string) (string, bool) {
	v, _ := e.get(name)
	return v, e.secret(name)
}

func (e *env) set(name, value string, secret bool) {
	i, ok := e.lookup(name)
	if !ok {
		i = len(e.entries)
		e.index[name] = i
		e.entries, e.secrets = append(e.entries, ""), append(e.secrets, false)
	}
	e.entries[i], e.secrets[i] = name+"="+value, secret
}

// rename puts name=value, read from a file, in v's place; shadows drops an
// earlier empty name.
func (e *env) rename(v inputVar, name string, value []byte, shadows bool) {
	if shadows {
		e.entries[e.index[name]] = ""
	}
	e.index[name] = v.entry
	e.entries[v.entry], e.secrets[v.entry] = name+"="+string(value), true
}

func (e *env) names() []string {
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
