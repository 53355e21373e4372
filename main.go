// Command shim turns secret files into environment variables and then execs
// the real program in its own place:
//
//	shim [--check] [--] command [args...]
//
// This file is the straight line through a start, and the only place that
// prints or exits: problems on stderr, the report on stdout (--check) or
// stderr (SHIM_VERBOSE); output that cannot be written is 125.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path"
	"runtime"
	"runtime/debug"
	"strings"
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

Every NAME_FILE=/path, or FILE__NAME=/path, is read into NAME (trailing CR
and LF stripped) and removed. Left alone: path variables other tools read
(SSL_CERT_FILE, AWS_WEB_IDENTITY_TOKEN_FILE, COMPOSE_FILE, ...), names ending
in __FILE, values without a /, names matched by SHIM_SKIP or not by SHIM_ONLY.

Options (only before the command):
  --check     resolve everything, report it (never a value), run nothing
  --help      print this help
  --version   print the version

Environment variables:
  SHIM_SUFFIX=_FILE       suffix that marks a variable holding a secret's path
  SHIM_PREFIX=FILE__      prefix that does the same (linuxserver.io); empty turns it off
  SHIM_SKIP=              comma-separated name globs never expanded (e.g. APP_*_FILE)
  SHIM_ONLY=              comma-separated name globs; when set, only these are expanded
                          (set but naming no pattern is an error)
  SHIM_TRIM=true          strip trailing CR and LF from each secret
  SHIM_SECRETS_DIR=       comma-separated directories whose files become variables
  SHIM_DATABASE_URL=true  assemble DATABASE_URL from its parts when it is empty
  SHIM_REDIS_URL=true     assemble REDIS_URL from its parts when it is empty
  SHIM_REQUIRE=           comma-separated variables that must be non-empty
  SHIM_EXPAND_ARGS=true   expand ${NAME} in the command and its arguments
  SHIM_RENDER=            comma-separated NAME=/template items: ${NAME} filled in, the
                          result in a sealed in-memory file, NAME set to its /dev/fd path
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
  In Compose, the password in a config file in memory, in no argument:
    environment: {SHIM_RENDER: "REDIS_CONF=/etc/redis/redis.conf.in"}
    command: ["redis-server", "$${REDIS_CONF}"]
`

const usageLine = "Usage: shim [--check] [--] command [args...]"

// settings are the SHIM_* variables, read by envconfig; Rules (resolve.go)
// holds the resolver's.
type shimSettings struct {
	Rules
	User    string
	Verbose bool `default:"false"`
	Render  []string
}

// version is set with -ldflags "-X main.version=v1.2.3"; else build info.
var version string

// watched are the signals that end shim as PID 1 while it resolves: what
// docker stop, Ctrl-C and a closing terminal send.
var watched = []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT}

// The main goroutine runs on the main thread, so that the thread that
// switches users and execs is the one whose parent-death signal counts.
func init() { runtime.LockOSThread() }

func main() {
	handOver := watchAsPID1()
	check, written := options(os.Args[1:])
	exitOn(checkNotSetuid())
	environ := os.Environ()
	s, err := loadSettings(environ)
	exitOn(err)
	user, userErr := userFor(s.User)
	if !check {
		exitOn(userErr)
	}
	files := &osFiles{}
	req := request{Rules: s.Rules, environ: environ, args: written, entryLimit: maxEntry(), report: check || s.Verbose, allProblems: check,
		render: renderer(s.Render, files, user)}
	if user != nil {
		req.home, req.runAs = user.home, user.String()
	}
	res, err := resolve(req, files)
	if check {
		os.Exit(dryRun(res, errors.Join(userErr, err), written[0], s.User, user))
	}
	exitOn(verbose(s.Verbose, res.report...))
	exitOn(err)
	if user != nil {
		exitOn(userError(s.User, become(user.uid, user.gid, user.groups)))
	}
	cmd, err := newCommand(written[0], res.args, res.env, res.secretPath)
	exitOn(err)
	exitOn(verbose(s.Verbose, "exec "+quote(cmd.shown)))
	handOver()
	exitOn(cmd.exec())
}

// options reads shim's own options, which come only before the command, as
// with gosu and env(1): "shim app --help" asks app.
func options(args []string) (check bool, execPlan []string) {
	for ; len(args) > 0; args = args[1:] {
		switch a := args[0]; {
		case a == "-h" || a == "--help":
			exitAfterWriting(usage)
		case a == "--version":
			exitAfterWriting("shim " + versionString() + "\n")
		case a == "--check":
			check = true
		case a == "--" && len(args) > 1:
			return check, args[1:]
		case a == "--":
			usageError("no command given")
		case strings.HasPrefix(a, "-") && a != "-":
			usageError(fmt.Sprintf("unknown option %s (shim's options come before the command; use -- to end them)", quote(a)))
		default:
			return check, args
		}
	}
	usageError("no command given")
	return
}

// loadSettings reads the SHIM_* variables; without any, the defaults are
// known and envconfig's reflection is skipped.
func loadSettings(environ []string) (shimSettings, error) {
	s := defaultSettings()
	if !strings.Contains("\x00"+strings.Join(environ, "\x00"), "\x00SHIM_") {
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
	s.Render = cleanList(s.Render)
	if _, set := os.LookupEnv("SHIM_ONLY"); set && len(s.Only) == 0 {
		return s, errors.New("SHIM_ONLY is set but names no pattern; unset it to expand every _FILE, or list the names to expand")
	}
	for name, patterns := range map[string][]string{"SHIM_SKIP": s.Skip, "SHIM_ONLY": s.Only} {
		for _, p := range patterns {
			if _, err := path.Match(p, ""); err != nil {
				return s, failf("%s: bad pattern %s: %v", name, quote(p), err)
			}
		}
	}
	return s, nil
}

// defaultSettings are envconfig's result with no SHIM_* set; a test holds
// the two equal.
func defaultSettings() shimSettings {
	var s shimSettings
	s.Suffix, s.Prefix, s.Trim, s.Database.URL, s.Redis.URL, s.Expand.Args = "_FILE", "FILE__", true, true, true, true
	return s
}

// cleanList drops spaces and empty items: "A, B," is A and B.
func cleanList(items []string) []string {
	var out []string
	for _, item := range items {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

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

// renderer gives SHIM_RENDER's templates the file reader and, for the files
// it makes, the ids the command runs as; nil without templates.
func renderer(items []string, files *osFiles, user *credentials) func(func(string) (string, bool), func(error) string) ([]rendered, error) {
	if len(items) == 0 {
		return nil
	}
	uid, gid := -1, -1 // unchanged: the command runs as shim does
	if user != nil {
		uid, gid = int(user.uid), int(user.gid)
	}
	handOn := func(name string, content []byte) (string, error) { return sealedFile(name, content, uid, gid) }
	return templates{items: items, read: files.read, handOn: handOn, entryLimit: maxEntry()}.render
}

func userError(spec string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("SHIM_USER=%s: %w", quote(spec), err)
}

// dryRun is --check after resolving: the switch made on this thread and the
// command judged as the user a run would exec it as; report lines on
// stdout, problems on stderr, the status of the first problem.
func dryRun(res resolution, err error, written, spec string, user *credentials) int {
	lines := res.report
	if res.args != nil {
		var cmdErr error
		if user != nil {
			cmdErr = userError(spec, become(user.uid, user.gid, user.groups))
		}
		if cmdErr == nil {
			cmdErr = checkCommand(written, res, &lines)
		}
		err = errors.Join(err, cmdErr)
	}
	if werr := writeLines(1, "", lines); werr != nil {
		err = errors.Join(err, werr)
	}
	if err != nil {
		writeLines(2, "", errorLines(err))
		return exitCode(err)
	}
	return 0
}

func checkCommand(written string, res resolution, lines *[]string) error {
	cmd, err := newCommand(written, res.args, res.env, res.secretPath)
	if err != nil {
		return err
	}
	unknown, err := cmd.check()
	if err == nil {
		line := "exec " + quote(cmd.shown)
		if unknown != "" {
			line += " (whether the kernel runs it only a run tells: " + unknown + ")"
		}
		*lines = append(*lines, line)
	}
	return err
}

// verbose writes SHIM_VERBOSE's lines, those of --check, to stderr.
func verbose(on bool, lines ...string) error {
	if !on {
		return nil
	}
	return writeLines(2, "shim: ", lines)
}

// write writes whole lines to fd with plain write(2): a broken pipe is then
// an error, 125, not death by SIGPIPE, which os.Stdout would give.
func writeLines(fd int, prefix string, lines []string) error {
	var b strings.Builder
	for _, line := range lines {
		b.WriteString(prefix + escapeControls(line) + "\n")
	}
	for out := b.String(); out != ""; {
		n, err := unix.Write(fd, []byte(out))
		if err != nil && err != unix.EINTR {
			return failf("writing the output: %v", err)
		}
		out = out[max(n, 0):]
	}
	return nil
}

// exitOn prints err and exits with its status, printed or not.
func exitOn(err error) {
	if err != nil {
		writeLines(2, "", errorLines(err))
		os.Exit(exitCode(err))
	}
}

// exitAfterWriting is --help and --version: 0 only when written whole.
func exitAfterWriting(text string) {
	exitOn(writeLines(1, "", strings.Split(strings.TrimSuffix(text, "\n"), "\n")))
	os.Exit(0)
}

// usageError is a bad command line: the problem, the usage line and a
// pointer to the rest, which would flood a container's log.
func usageError(msg string) {
	writeLines(2, "", []string{"shim: " + msg, usageLine, "run 'shim --help' for more"})
	os.Exit(exitShim)
}

// watchAsPID1 handles the watched signals only as PID 1, where the kernel
// drops a signal without a handler and a blocked read would make an
// unstoppable container; elsewhere the kernel's default action ends shim.
func watchAsPID1() (handOver func()) {
	if os.Getpid() != 1 {
		for _, sig := range watched {
			if !signal.Ignored(sig) {
				defaultAction(sig)
			}
		}
		return func() {}
	}
	signals, execing, ready := make(chan os.Signal, 1), make(chan struct{}), make(chan struct{})
	for _, sig := range watched {
		if !signal.Ignored(sig) {
			signal.Notify(signals, sig)
		}
	}
	go func() {
		select {
		case sig := <-signals:
			die(sig)
		case <-execing:
		}
		select {
		case sig := <-signals: // caught before signal.Stop returned
			die(sig)
		default:
			close(ready)
		}
	}()
	return func() {
		signal.Stop(signals)
		execing <- struct{}{}
		<-ready
		onlyThisThreadTakes(watched)
	}
}

func die(sig os.Signal) {
	writeLines(2, "", []string{"shim: stopped by " + unix.SignalName(sig.(syscall.Signal))})
	os.Exit(128 + int(sig.(syscall.Signal)))
}

// versionString is the version stamped at build time, else the one Go
// stamps: a tag, or a pseudo-version holding the VCS revision.
func versionString() string {
	if version != "" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "devel"
}
