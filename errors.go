package main

// Errors and how they are printed. The rules for every line shim writes
// about itself, as age's cmd keeps them:
//
//   - Each line on stderr starts with "shim: "; a hint with "shim: hint: ".
//   - One problem is one line, lower case, with no full stop. errors.Join
//     gives one line per joined problem, each followed by its own hints.
//   - Every string that came from outside (a path, a variable or file name,
//     argument text, a setting) is written with quote, so a newline or a
//     control character in it cannot start a line of its own; the printer
//     escapes any that reach it all the same.
//   - No secret value, ever: messages name variables, paths and sizes.

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Exit statuses, as env(1), timeout(1) and docker run use them, so a caller
// can tell shim's failures from the command's own.
const (
	exitShim      = 125 // shim failed; the command never ran
	exitCannotRun = 126 // the command was found but could not be run
	exitNotFound  = 127 // the command was not found
)

// problem is an error with the exit status it causes and hints for the
// user. Hints stay separate values until printed.
type problem struct {
	err   error
	code  int // 0 means exitShim
	hints []string
}

func (p *problem) Error() string { return p.err.Error() }
func (p *problem) Unwrap() error { return p.err }

// fail makes a problem from a message; hints may follow.
func fail(msg string, hints ...string) error {
	return &problem{err: errors.New(msg), hints: hints}
}

// failf is fail with formatting.
func failf(format string, a ...any) error {
	return &problem{err: fmt.Errorf(format, a...)}
}

// withHints adds hints to err, keeping its status.
func withHints(err error, hints ...string) error {
	if len(hints) == 0 {
		return err
	}
	return &problem{err: err, code: exitCode(err), hints: hints}
}

// exitCode is the status for err: that of the first problem that names one,
// else shim's own.
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

// errorLines formats err for stderr by the rules above.
func errorLines(err error) []string {
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		var lines []string
		for _, e := range joined.Unwrap() {
			lines = append(lines, errorLines(e)...)
		}
		return lines
	}
	// The innermost hints are the most specific: they come first.
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

// quote writes an outside string so that it reads as one token on one line:
// as it is when it is plain printable ASCII, else in Go's quoted form.
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

// escapeControls is the printer's last line of defence: a control character
// that reached a message unquoted is written as its escape.
func escapeControls(line string) string {
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

func isControl(r rune) bool { return r < ' ' || r == 0x7f || r >= 0x80 && r < 0xa0 }
