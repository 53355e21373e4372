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
	"cmp"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"sync/atomic"
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

// version is set at build time with -ldflags "-X main.version=v1.2.3";
// without it the module version and VCS revision from the build info serve.
var version string

func main() {
	waitingOn := watchSignals()

	check, command, err := parseArgs(os.Args[1:])
	switch {
	case errors.Is(err, errHelp):
		fmt.Print(usage)
		os.Exit(0)
	case errors.Is(err, errVersion):
		fmt.Println("shim", versionString())
		os.Exit(0)
	case err != nil:
		fmt.Fprintln(os.Stderr, "shim: "+err.Error())
		fmt.Fprint(os.Stderr, usage)
		os.Exit(exitShim)
	}
	exitIf(checkNotSetuid())

	s, err := loadSettings()
	exitIf(err)
	s.Report = check || s.Verbose
	var user *credentials
	if s.User != "" {
		c, err := userFor(s.User)
		exitIf(err)
		exitIf(checkCanSwitch(s.User, c))
		user = &c
	}

	res, err := resolve(os.Environ(), command, s, &osFiles{waiting: waitingOn}, maxEntry())
	exitIf(err)
	if user != nil {
		e := newEnv(res.env)
		e.set("HOME", user.home)
		res.env = e.list()
		res.report = append(res.report, "run as "+user.String())
	}
	if s.Report {
		w, prefix := os.Stderr, "shim: "
		if check {
			w, prefix = os.Stdout, ""
		}
		for _, line := range res.report {
			fmt.Fprintln(w, prefix+line)
		}
	}

	if user != nil {
		exitIf(become(s.User, *user))
	}
	// A command name written as ${NAME} may come from a secret: messages
	// about it show it as written.
	shown := ""
	if command[0] != res.args[0] {
		shown = command[0]
	}
	path, err := lookPath(res.args[0], pathOf(res.env), shown)
	exitIf(err)
	exitIf(checkSize(path, res.args, res.env, maxEntry(), argMax()))
	if check {
		exitIf(checkRunnable(path, shown))
		fmt.Println("exec " + cmp.Or(shown, path))
		os.Exit(0)
	}
	exitIf(execute(path, shown, res.args, res.env))
}

var (
	errHelp    = errors.New("help")
	errVersion = errors.New("version")
)

// parseArgs reads shim's own options, which come only before the command,
// as with gosu and env(1): from the command on, everything is passed as is,
// so "shim app --help" asks app.
func parseArgs(args []string) (check bool, command []string, err error) {
	for len(args) > 0 {
		switch a := args[0]; {
		case a == "-h" || a == "--help":
			return false, nil, errHelp
		case a == "--version":
			return false, nil, errVersion
		case a == "--check":
			check = true
		case a == "--":
			args = args[1:]
			if len(args) == 0 {
				return false, nil, errors.New("no command given")
			}
			return check, args, nil
		case strings.HasPrefix(a, "-") && a != "-":
			return false, nil, fmt.Errorf("unknown option %q (shim's options come before the command; use -- to end them)", a)
		default:
			return check, args, nil
		}
		args = args[1:]
	}
	return false, nil, errors.New("no command given")
}

// loadSettings reads the SHIM_* variables. envconfig's own errors quote the
// Go field and type; shim's name only the variable and what it takes.
func loadSettings() (settings, error) {
	var s settings
	if err := envconfig.Process("shim", &s); err != nil {
		var pe *envconfig.ParseError
		if errors.As(err, &pe) {
			return s, fmt.Errorf("%s=%q: not a boolean (use true or false)", pe.KeyName, pe.Value)
		}
		return s, err
	}
	if s.Suffix == "" {
		return s, errors.New("SHIM_SUFFIX is empty; it names the suffix of variables to expand, _FILE by default")
	}
	s.Skip, s.Only, s.Require, s.SecretsDir = cleanList(s.Skip), cleanList(s.Only), cleanList(s.Require), cleanList(s.SecretsDir)
	if err := checkPatterns("SHIM_SKIP", s.Skip); err != nil {
		return s, err
	}
	return s, checkPatterns("SHIM_ONLY", s.Only)
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

func userFor(spec string) (credentials, error) {
	passwd, err := readAccountFile(passwdPath)
	if err != nil {
		return credentials{}, fmt.Errorf("SHIM_USER=%s: %w", spec, err)
	}
	group, err := readAccountFile(groupPath)
	if err != nil {
		return credentials{}, fmt.Errorf("SHIM_USER=%s: %w", spec, err)
	}
	return lookupUser(spec, passwd, group, unix.Getuid())
}

func pathOf(env []string) string {
	for _, kv := range env {
		if p, ok := strings.CutPrefix(kv, "PATH="); ok {
			return p
		}
	}
	return defaultPath
}

// watchSignals makes SIGTERM, SIGINT, SIGHUP and SIGQUIT end shim at once
// with 128+signal while it resolves, even as PID 1, where the kernel drops
// signals without a handler (and Go's runtime would exit 2). The handlers
// reset to the default at exec, so the command gets its own. A signal the
// parent left ignored stays ignored, as execve would pass it on. The
// returned function records what a blocked read waits on, for the message.
func watchSignals() func(path string) {
	var current atomic.Pointer[string]
	ch := make(chan os.Signal, 1)
	for _, sig := range []os.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT} {
		if !signal.Ignored(sig) {
			signal.Notify(ch, sig)
		}
	}
	go func() {
		sig := (<-ch).(syscall.Signal)
		msg := "shim: stopped by " + unix.SignalName(sig)
		if p := current.Load(); p != nil && *p != "" {
			msg += " while reading " + *p
		}
		fmt.Fprintln(os.Stderr, msg)
		os.Exit(128 + int(sig))
	}()
	return func(path string) { current.Store(&path) }
}

// exitIf prints err, one "shim: " line per line of it, and exits with its
// status.
func exitIf(err error) {
	if err == nil {
		return
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		fmt.Fprintln(os.Stderr, "shim: "+line)
	}
	os.Exit(exitCode(err))
}

func versionString() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := info.Main.Version
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
	}
	return v
}
