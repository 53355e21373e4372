package main

// A problem: an error with the exit status it causes and hints kept apart
// until printed, and the quoting every outside string gets, so that no
// input can forge a line of output. The output rules themselves are in
// main.go, the only place that prints.

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
)

// Exit statuses, as timeout(1) and docker run use them.
const (
	exitShim      = 125 // shim failed; the command never ran
	exitCannotRun = 126 // the command was found but could not be run
	exitNotFound  = 127 // the command was not found
)

type problem struct {
	err   error
	code  int // 0 means exitShim
	hints []string
}

func (p *problem) Error() string { return p.err.Error() }
func (p *problem) Unwrap() error { return p.err }

func fail(msg string, hints ...string) error {
	return &problem{err: errors.New(msg), hints: hints}
}

func failf(format string, a ...any) error {
	return &problem{err: fmt.Errorf(format, a...)}
}

// withHints adds hints to err, keeping its status.
func withHints(err error, hints ...string) error {
	return &problem{err: err, code: exitCode(err), hints: hints}
}

// exitCode is the status of the first problem that names one, else 125.
func exitCode(err error) int {
	for err != nil {
		if p, ok := err.(*problem); ok && p.code != 0 {
			return p.code
		}
		if joined, ok := err.(interface{ Unwrap() []error }); ok {
			return exitCode(joined.Unwrap()[0])
		}
		err = errors.Unwrap(err)
	}
	return exitShim
}

// errorLines gives one line per joined problem, each followed by its
// hints, the innermost (most specific) first.
func errorLines(err error) []string {
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		var lines []string
		for _, e := range joined.Unwrap() {
			lines = append(lines, errorLines(e)...)
		}
		return lines
	}
	var hints [][]string
	for e := err; e != nil; e = errors.Unwrap(e) {
		if p, ok := e.(*problem); ok {
			hints = append([][]string{p.hints}, hints...)
		}
	}
	lines := []string{"shim: " + escapeControls(err.Error())}
	for _, h := range slices.Concat(hints...) {
		lines = append(lines, "shim: hint: "+escapeControls(h))
	}
	return lines
}

// quote writes an outside string as one token on one line: as it is when
// it is plain printable ASCII, else in Go's quoted form.
func quote(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == '"' || c == '\\' {
			return strconv.Quote(s)
		}
	}
	if s == "" {
		return `""`
	}
	return s
}

// describe writes a file error with its path quoted.
func describe(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Sprintf("%s %s: %v", pe.Op, quote(pe.Path), pe.Err)
	}
	return err.Error()
}

// deniedError is a file that exists but may not be read, with what the
// permission hint needs; uid is -1 when not even the owner could be seen.
type deniedError struct {
	err            error
	uid, gid, euid int
	mode           fs.FileMode
}

func (e *deniedError) Error() string { return e.err.Error() }
func (e *deniedError) Unwrap() error { return e.err }

// errDangling is a symbolic link to nothing: a Kubernetes ..data link
// pointing nowhere, or a secret that did not arrive.
var errDangling = errors.New("a symbolic link to a file that does not exist")

// notRegular names the type of a file that is not a regular one.
func notRegular(kind string) error { return errors.New("not a regular file (" + kind + ")") }

// escapeControls is the printer's last line of defence: a control
// character that reached a line unquoted is written as its escape.
func escapeControls(line string) string {
	isControl := func(r rune) bool { return r < ' ' || r == 0x7f || r >= 0x80 && r < 0xa0 }
	if !strings.ContainsFunc(line, isControl) {
		return line
	}
	var b strings.Builder
	for _, r := range line {
		if isControl(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
