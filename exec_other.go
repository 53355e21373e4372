//go:build !linux

package main

// Elsewhere (a developer's Mac or a BSD, for shim -- env and --check) the
// Linux-only parts have their simplest stand-ins; SHIM_USER is refused.

import (
	"os"

	"golang.org/x/sys/unix"
)

// userSwitch says whether SHIM_USER can be honoured here.
const userSwitch = false

// Without Linux's MAX_ARG_STRLEN, one string may take all of a modest
// ARG_MAX; the kernel's own E2BIG still maps to 126.
func maxEntry() int { return 256 << 10 }

func argMax() int { return 256 << 10 }

func noexecMount(string) bool { return false }

func onlyThisThreadTakes([]os.Signal) {}

// defaultAction leaves Go's handler in place: signal.Reset here would take
// the channel out of the runtime's list before stop's signal.Stop, which
// then returns without waiting for a signal already caught, and that signal
// would be lost. After Stop, Go's own default action ends shim.
func defaultAction([]os.Signal) {}

func openPath(_ *[]byte, path string, flags int) (int, error) { return unix.Open(path, flags, 0) }
