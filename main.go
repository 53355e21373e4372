// Command shim turns secret files into environment variables and then execs
// the real program in its own place.
//
// It sits at a container's ENTRYPOINT:
//
//	shim [--check] [--] command [args...]
//
// Every NAME_FILE=/path in the environment is read into NAME, with trailing
// CR and LF stripped, and NAME_FILE is removed, so programs that only read
// NAME from the environment (redis-server, most Python, Go and Node
// services) get the _FILE convention of the official postgres and mysql
// images. Path variables that other tools read (SSL_CERT_FILE,
// AWS_WEB_IDENTITY_TOKEN_FILE, ...), names ending in __FILE, values without
// a slash and names matched by SHIM_SKIP (or not by SHIM_ONLY) are left
// alone. Files of SHIM_SECRETS_DIR become variables too. DATABASE_URL and
// REDIS_URL are assembled from their parts with strict percent-encoding,
// ${NAME} in the command line is expanded without a shell, SHIM_USER drops
// privileges after the secrets are read, and then the command replaces shim
// with execve: same PID, so signals from docker stop reach it and its exit
// status is the container's.
//
// A secret that cannot be read exactly stops the start with exit status 125
// and one line naming the variable and the path. shim never prints a
// secret's value.
//
// Exit status: 125 when shim fails, 126 when the command cannot be run, 127
// when it is not found; otherwise the command's own.
//
// The help text (shim --help) lists every setting.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"

	"github.com/kelseyhightower/envconfig"
	"golang.org/x/sys/unix"
)

// usage is written by hand rather than with envconfig.Usage, which would
// link text/template into the binary; a test keeps it in step with settings.
const usage = `Usage: shim [--check] [--] command [args...]
       shim --help | --version

shim reads secret files into environment variables, assembles DATABASE_URL
and REDIS_URL, expands ${NAME} in the command line, optionally switches to
another user, and then execs the command in its own place: same PID, nothing
of shim left running.

Every NAME_FILE=/path is read into NAME (trailing CR and LF stripped) and
removed. Left alone: path variables other tools read (SSL_CERT_FILE,
AWS_WEB_IDENTITY_TOKEN_FILE, COMPOSE_FILE, ...), names ending in __FILE,
values without a /, names matched by SHIM_SKIP or not matched by SHIM_ONLY.

Options (only before the command):
  --check     resolve everything, report it (never a value), run nothing
  --help      print this help
  --version   print the version

Environment variables:
  SHIM_SUFFIX=_FILE       suffix that marks a variable holding a secret's path
  SHIM_SKIP=              comma-separated name globs never expanded (e.g. APP_*_FILE)
  SHIM_ONLY=              comma-separated name globs; when set, only these are expanded
                          (set but naming no pattern is an error)
  SHIM_TRIM=true          strip trailing CR and LF from each secret
  SHIM_SECRETS_DIR=       comma-separated directories whose files become variables
  SHIM_DATABASE_URL=true  assemble DATABASE_URL from its parts when it is empty
  SHIM_REDIS_URL=true     assemble REDIS_URL from its parts when it is empty
  SHIM_REQUIRE=           comma-separated variables that must be non-empty
  SHIM_EXPAND_ARGS=true   expand ${NAME} in the command and its arguments
  SHIM_USER=              user[:group] to run the command as, after reading secrets
  SHIM_VERBOSE=false      print the --check report to stderr, then run

  DATABASE_URL parts, each the first non-empty of:
    DATABASE_SCHEME (postgresql); DATABASE_USER, POSTGRES_USER, PGUSER;
    DATABASE_PASSWORD, POSTGRES_PASSWORD, PGPASSWORD; DATABASE_HOST,
    POSTGRES_HOST, PGHOST (required); DATABASE_PORT, POSTGRES_PORT, PGPORT;
    DATABASE_NAME, POSTGRES_DB, PGDATABASE; DATABASE_PARAMS (query).
  REDIS_URL parts: REDIS_SCHEME (redis), REDIS_USERNAME, REDIS_PASSWORD,
    REDIS_HOST (required), REDIS_PORT (6379), REDIS_DB.

Exit status:
  125  shim failed; the command never ran
  126  the command was found but could not be run
  127  the command was not found
       otherwise the command's own status

Example:
  $ POSTGRES_PASSWORD_FILE=/run/secrets/postgres_password shim -- env
  In Compose, exec form, no shell:
    command: ["redis-server", "--requirepass", "$${REDIS_PASSWORD}"]
`

const usageLine = "Usage: shim [--check] [--] command [args...]"

// settings are the SHIM_* variables, read by envconfig. Nested structs give
// the keys with an underscore (Secrets.Dir is SHIM_SECRETS_DIR) without
// split_words, which runs a regexp per field, and without an envconfig name
// tag, which would fall back to the unprefixed name (SHIM_DATABASE_URL would
// be read from DATABASE_URL itself). The descriptions live in usage alone:
// envconfig looks up five tags per field, each a scan of the whole tag, and
// long desc tags made that the largest cost of reading the settings.
type settings struct {
	Suffix  string `default:"_FILE"`
	Skip    []string
	Only    []string
	Trim    bool `default:"true"`
	Secrets struct {
		Dir []string
	}
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
	User    string
	Verbose bool `default:"false"`
}

// defaultSettings are what envconfig gives with no SHIM_* variable set; a
// test holds the two equal.
func defaultSettings() settings {
	var s settings
	s.Suffix, s.Trim, s.Database.URL, s.Redis.URL, s.Expand.Args = "_FILE", true, true, true, true
	return s
}

// version is set at build time with -ldflags "-X main.version=v1.2.3";
// without it the build info serves.
var version string

func main() {
	watch := watchSignals()
	check, written := options(os.Args[1:])
	exitOn(checkNotSetuid())
	environ := os.Environ()
	s, err := loadSettings(environ)
	exitOn(err)
	user, userErr := userFor(s.User)
	if !check {
		exitOn(userErr)
	}
	req := request{environ: environ, args: written, settings: s, user: user, maxEntry: maxEntry(), report: check || s.Verbose, allProblems: check}
	res, err := resolve(req, &osFiles{waiting: watch.reading})
	if check {
		os.Exit(dryRun(res, errors.Join(userErr, err), written[0]))
	}
	verbose(s.Verbose, res.report...)
	exitOn(err)
	if user != nil {
		exitOn(userError(s.User, become(*user)))
	}
	cmd, err := newCommand(written[0], res.args, res.env)
	exitOn(err)
	verbose(s.Verbose, "exec "+quote(cmd.shown))
	watch.stop()
	exitOn(cmd.exec())
}

// options reads shim's own options, which come only before the command, as
// with gosu and env(1): from the command on, everything is passed as is, so
// "shim app --help" asks app. It answers --help and --version itself.
func options(args []string) (check bool, command []string) {
	for ; len(args) > 0; args = args[1:] {
		switch a := args[0]; {
		case a == "-h" || a == "--help":
			exitAfterWriting(usage)
		case a == "--version":
			exitAfterWriting("shim " + versionString() + "\n")
		case a == "--check":
			check = true
		case a == "--":
			if len(args) == 1 {
				usageError("no command given")
			}
			return check, args[1:]
		case strings.HasPrefix(a, "-") && a != "-":
			usageError(fmt.Sprintf("unknown option %s (shim's options come before the command; use -- to end them)", quote(a)))
		default:
			return check, args
		}
	}
	usageError("no command given")
	return
}

// loadSettings reads the SHIM_* variables. envconfig's own errors quote the
// Go field and type; shim's name only the variable and what it takes.
// Without any SHIM_* variable the defaults are known, and envconfig's
// reflection over the struct is skipped.
func loadSettings(environ []string) (settings, error) {
	s := defaultSettings()
	if !hasPrefixed(environ, "SHIM_") {
		return s, nil
	}
	if err := envconfig.Process("shim", &s); err != nil {
		var pe *envconfig.ParseError
		if errors.As(err, &pe) {
			return s, failf("%s=%s: not a boolean (use true or false)", pe.KeyName, quote(pe.Value))
		}
		return s, err
	}
	if s.Suffix == "" {
		return s, errors.New("SHIM_SUFFIX is empty; it names the suffix of variables to expand, _FILE by default")
	}
	s.Skip, s.Only, s.Require, s.Secrets.Dir = cleanList(s.Skip), cleanList(s.Only), cleanList(s.Require), cleanList(s.Secrets.Dir)
	if _, set := os.LookupEnv("SHIM_ONLY"); set && len(s.Only) == 0 {
		// Empty, SHIM_ONLY would expand everything: the opposite of what
		// setting it asks for.
		return s, errors.New("SHIM_ONLY is set but names no pattern; unset it to expand every _FILE, or list the names to expand")
	}
	for _, list := range []struct {
		name     string
		patterns []string
	}{{"SHIM_SKIP", s.Skip}, {"SHIM_ONLY", s.Only}} {
		for _, p := range list.patterns {
			if _, err := path.Match(p, ""); err != nil {
				return s, failf("%s: bad pattern %s: %v", list.name, quote(p), err)
			}
		}
	}
	return s, nil
}

func hasPrefixed(environ []string, prefix string) bool {
	for _, kv := range environ {
		if strings.HasPrefix(kv, prefix) {
			return true
		}
	}
	return false
}

// cleanList drops the spaces and empty items of a comma-separated setting,
// so "A, B," means A and B.
func cleanList(items []string) []string {
	var out []string
	for _, item := range items {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// userFor reads SHIM_USER, if set, into credentials; the one place its
// errors get the setting's name.
func userFor(spec string) (*credentials, error) {
	if spec == "" {
		return nil, nil
	}
	c, err := lookupUser(spec)
	if err != nil {
		return nil, userError(spec, err)
	}
	return &c, nil
}

func userError(spec string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("SHIM_USER=%s: %w", quote(spec), err)
}

// dryRun is --check after resolving: the command is judged as a run would
// judge it, every report line goes to stdout and every problem to stderr,
// and the status is that of the first problem.
func dryRun(res resolution, err error, written string) int {
	lines := res.report
	if res.args != nil {
		cmd, cmdErr := newCommand(written, res.args, res.env)
		if cmdErr == nil {
			cmdErr = cmd.check()
		}
		if cmdErr == nil {
			lines = append(lines, "exec "+quote(cmd.shown))
		}
		err = errors.Join(err, cmdErr)
	}
	if werr := writeLines(os.Stdout, "", lines); werr != nil {
		err = errors.Join(err, werr)
	}
	if err != nil {
		writeLines(os.Stderr, "", errorLines(err))
		return exitCode(err)
	}
	return 0
}

// verbose writes SHIM_VERBOSE's lines: those of --check, on stderr.
func verbose(on bool, lines ...string) {
	if on {
		writeLines(os.Stderr, "shim: ", lines)
	}
}

func writeLines(w io.Writer, prefix string, lines []string) error {
	var b strings.Builder
	for _, line := range lines {
		b.WriteString(prefix + escapeControls(line) + "\n")
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return failf("writing the output: %v", err)
	}
	return nil
}

// exitOn prints err by the rules in errors.go and exits with its status.
func exitOn(err error) {
	if err != nil {
		writeLines(os.Stderr, "", errorLines(err))
		os.Exit(exitCode(err))
	}
}

// exitAfterWriting is --help and --version: 0 only when the text was
// written whole.
func exitAfterWriting(text string) {
	if _, err := io.WriteString(os.Stdout, text); err != nil {
		exitOn(failf("writing the output: %v", err))
	}
	os.Exit(0)
}

// usageError is a bad command line: one line for the problem, the usage
// line and a pointer to the rest, which would flood a container's log.
func usageError(msg string) {
	writeLines(os.Stderr, "", []string{"shim: " + msg, usageLine, "run 'shim --help' for more"})
	os.Exit(exitShim)
}

// The signals that end shim while it resolves: what docker stop, Ctrl-C and
// a closing terminal send.
var watchedSignals = []os.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT}

// watcher makes a watched signal end shim at once with 128+signal while it
// resolves, even as PID 1, where the kernel drops signals without a handler
// (and Go's runtime would exit 2).
type watcher struct {
	watched []os.Signal // the watched signals the parent did not leave ignored
	signals chan os.Signal
	execing chan struct{}
	ready   chan struct{}
	mu      sync.Mutex // a lock, not an atomic pointer, so reading allocates nothing per file
	current string     // what a blocked read waits on, for the message
}

// watchSignals starts the watch. A signal the parent left ignored is not
// watched; Go's runtime keeps SIGHUP and SIGINT ignored for the command.
func watchSignals() *watcher {
	w := &watcher{signals: make(chan os.Signal, 1), execing: make(chan struct{}), ready: make(chan struct{})}
	for _, sig := range watchedSignals {
		if !signal.Ignored(sig) {
			w.watched = append(w.watched, sig)
		}
	}
	signal.Notify(w.signals, w.watched...)
	go w.run()
	return w
}

func (w *watcher) run() {
	select {
	case sig := <-w.signals:
		w.die(sig)
	case <-w.execing:
		select {
		case sig := <-w.signals: // caught before the watch stopped
			w.die(sig)
		default:
		}
		close(w.ready)
	}
}

func (w *watcher) die(sig os.Signal) {
	msg := "shim: stopped by " + unix.SignalName(sig.(syscall.Signal))
	w.mu.Lock() // held to the exit: the message names what was being read
	if p := w.current; p != "" {
		msg += " while reading " + quote(p)
	}
	writeLines(os.Stderr, "", []string{msg})
	os.Exit(128 + int(sig.(syscall.Signal)))
}

func (w *watcher) reading(path string) {
	w.mu.Lock()
	w.current = path
	w.mu.Unlock()
}

// stop ends the watch just before exec, so that no signal is lost in
// between. First the kernel's own default action takes over the watched
// signals, so that one arriving from now on ends shim in the kernel, or
// stays pending across execve for the command, with no Go handler in
// between that execve could cut short. Then signal.Stop returns once every
// signal caught before is in the channel, and the watcher, if it has one,
// exits, and stop never returns. That Stop disables the signals in the
// runtime, one round trip each with its signal-mask thread, is what makes
// this hold, dear as it is: a Go handler that began on another thread just
// before the default action may reach the runtime's queue only after
// Stop's wait, and then only a disabled signal makes it end shim itself;
// with the signals still registered for another channel, as a cheaper stop
// would keep them, it would be lost there. As PID 1 the kernel would drop a
// signal with the default action, so there Go's handler stays (a signal now
// ends shim with Go's status 2) and only the exec'ing thread may take one.
func (w *watcher) stop() {
	pid1 := os.Getpid() == 1
	if !pid1 {
		defaultAction(w.watched)
	}
	signal.Stop(w.signals)
	w.execing <- struct{}{}
	<-w.ready
	if pid1 {
		onlyThisThreadTakes(w.watched)
	}
}

// versionString is the version stamped at build time, else the module
// version from the build info (a pseudo-version holds the revision), else
// the VCS revision, once.
func versionString() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", ""
	for _, s := range info.Settings {
		switch {
		case s.Key == "vcs.revision" && len(s.Value) >= 12:
			rev = s.Value[:12]
		case s.Key == "vcs.modified" && s.Value == "true":
			dirty = "-dirty"
		}
	}
	if rev == "" {
		return "devel"
	}
	return "devel-" + rev + dirty
}
