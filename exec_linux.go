package main

// What only Linux has, or has its own way: the kernel's limits on argv and
// envp, noexec mounts, a signal mask for every thread, and an open that
// copies no path.

import (
	"os"
	"runtime"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

const kernelStackCap = 8 << 20 // _STK_LIM

// userSwitch says whether SHIM_USER can be honoured here.
const userSwitch = true

// maxEntry is the kernel's limit on one argument or NAME=value string,
// counting its NUL: MAX_ARG_STRLEN, 32 pages.
func maxEntry() int {
	return 32 * unix.Getpagesize()
}

// argMax is the room execve gives argv and envp together: a quarter of the
// stack limit, at most 3/4 of _STK_LIM and at least 32 pages (fs/exec.c).
func argMax() int {
	limit := kernelStackCap / 4 * 3
	var rl unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_STACK, &rl) == nil && rl.Cur != unix.RLIM_INFINITY {
		limit = int(min(rl.Cur/4, uint64(limit)))
	}
	return max(limit, 32*unix.Getpagesize())
}

func noexecMount(path string) bool {
	var fs unix.Statfs_t
	return unix.Statfs(path, &fs) == nil && fs.Flags&unix.ST_NOEXEC != 0
}

// onlyThisThreadTakes locks the calling goroutine to its thread and blocks
// sigs in every other thread of the process, so that a signal either
// reaches this thread's handler before execve or stays pending across it;
// for PID 1, which keeps Go's handler to the end. Go offers this only
// without cgo, which shim is built without; with cgo it does nothing.
func onlyThisThreadTakes(sigs []os.Signal) {
	runtime.LockOSThread()
	var set unix.Sigset_t
	bits := uint(unsafe.Sizeof(set.Val[0])) * 8
	for _, sig := range sigs {
		n := uint(sig.(syscall.Signal)) - 1
		set.Val[n/bits] |= 1 << (n % bits)
	}
	if _, _, errno := syscall.AllThreadsSyscall6(unix.SYS_RT_SIGPROCMASK, unix.SIG_BLOCK, uintptr(unsafe.Pointer(&set)), 0, kernelSigsetSize(), 0, 0); errno != 0 {
		return
	}
	unix.PthreadSigmask(unix.SIG_UNBLOCK, &set, nil)
}

// defaultAction gives sigs the kernel's default action, set with a raw
// rt_sigaction behind the Go runtime's back: a fatal signal then ends the
// process in the kernel, atomically with respect to execve. A zeroed
// struct sigaction is SIG_DFL on every architecture, whatever its layout.
func defaultAction(sigs []os.Signal) {
	var act [64]byte
	for _, sig := range sigs {
		unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig.(syscall.Signal)), uintptr(unsafe.Pointer(&act)), 0, kernelSigsetSize(), 0, 0)
	}
}

// kernelSigsetSize is the kernel's sizeof(sigset_t), _NSIG/8: 128 signals
// on MIPS, 64 elsewhere.
func kernelSigsetSize() uintptr {
	if strings.HasPrefix(runtime.GOARCH, "mips") {
		return 16
	}
	return 8
}

// openPath opens path with its NUL-terminated copy in *cpath, a buffer kept
// for the next file: unix.Open allocates that copy for every secret, and the
// allocation was a tenth of what a secret cost. Flags as unix.Open's.
func openPath(cpath *[]byte, path string, flags int) (int, error) {
	if strings.IndexByte(path, 0) >= 0 {
		return -1, unix.EINVAL
	}
	*cpath = append(append((*cpath)[:0], path...), 0)
	dirfd := unix.AT_FDCWD
	fd, _, errno := unix.Syscall6(unix.SYS_OPENAT, uintptr(dirfd), uintptr(unsafe.Pointer(&(*cpath)[0])), uintptr(flags|unix.O_LARGEFILE), 0, 0, 0)
	if errno != 0 {
		return -1, errno
	}
	return int(fd), nil
}
