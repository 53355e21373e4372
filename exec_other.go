//go:build !linux

package main

// Elsewhere (a developer's Mac or BSD, for shim -- env and --check) the
// Linux-only parts have their simplest stand-ins; SHIM_USER is refused.

import (
	"errors"
	"os"
	"strconv"
	"syscall"
)

const userSwitch = false

// Without Linux's MAX_ARG_STRLEN one string may take all of a modest
// ARG_MAX; the kernel's own E2BIG still maps to 125.
func maxEntry() int { return 256 << 10 }

func argMax() int { return 256 << 10 }

func pointerSize() int { return strconv.IntSize / 8 }

func noexecMount(string) bool { return false }

func onlyThisThreadTakes([]syscall.Signal) {}

// defaultAction leaves Go's handler, which ends shim on these signals.
func defaultAction(syscall.Signal) {}

func become(uint32, uint32, []uint32) error {
	return errors.New("switching users is supported on Linux only")
}

func needSwitch(uint32, uint32, []uint32) bool { return true }

// execStopped would need a death signal for the child, which only Linux gives.
func execStopped(string, []string, []string) (*os.Process, error) { return nil, syscall.ENOSYS }

func sealedFile(string, []byte, int, int) (string, error) {
	return "", errors.New("in-memory files are supported on Linux only")
}
