package main

// What only Linux has: the kernel's limits on argv and envp, noexec mounts,
// a signal mask for every thread, the switch of the one thread that execs to
// the command's ids, and the sealed in-memory file a rendered template is
// handed on in.

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

const userSwitch = true

// maxEntry is MAX_ARG_STRLEN, the limit on one string with its NUL.
func maxEntry() int { return 32 * unix.Getpagesize() }

// argMax is the room execve gives argv and envp: a quarter of the stack
// limit, at most 3/4 of _STK_LIM (8 MiB), at least ARG_MAX, 128 KiB whatever
// the page size (fs/exec.c).
func argMax() int {
	limit := 8 << 20 / 4 * 3
	var rl unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_STACK, &rl) == nil && rl.Cur != unix.RLIM_INFINITY {
		limit = int(min(rl.Cur/4, uint64(limit)))
	}
	return max(limit, 131072)
}

// pointerSize is the kernel's: a 32-bit shim on a 64-bit kernel has each
// argv and envp pointer counted as 8 bytes against ARG_MAX. uname is asked
// only by a 32-bit shim: setarch linux32 makes it say i686 to any process.
func pointerSize() int {
	var u unix.Utsname
	if strconv.IntSize == 64 || unix.Uname(&u) != nil {
		return strconv.IntSize / 8
	}
	if m := unix.ByteSliceToString(u.Machine[:]); strings.Contains(m, "64") || m == "s390x" || m == "alpha" {
		return 8
	}
	return 4
}

func noexecMount(path string) bool {
	var fs unix.Statfs_t
	return unix.Statfs(path, &fs) == nil && fs.Flags&unix.ST_NOEXEC != 0
}

// defaultAction sets the kernel's default action for sig behind Go's back:
// a zeroed struct sigaction is SIG_DFL on every architecture.
func defaultAction(sig syscall.Signal) {
	var act [64]byte
	unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&act)), 0, sigsetSize(), 0, 0)
}

// sigsetSize is the kernel's sizeof(sigset_t): _NSIG is 128 on MIPS.
func sigsetSize() uintptr {
	if strings.HasPrefix(runtime.GOARCH, "mips") {
		return 16
	}
	return 8
}

// onlyThisThreadTakes blocks sigs in every other thread: a signal reaches
// this thread's handler before execve or stays pending for the command,
// never a handler on another thread that execve cuts short.
func onlyThisThreadTakes(sigs []syscall.Signal) {
	var set unix.Sigset_t
	bits := uint(unsafe.Sizeof(set.Val[0])) * 8
	for _, sig := range sigs {
		set.Val[(uint(sig)-1)/bits] |= 1 << ((uint(sig) - 1) % bits)
	}
	if _, _, errno := syscall.AllThreadsSyscall6(unix.SYS_RT_SIGPROCMASK, unix.SIG_BLOCK, uintptr(unsafe.Pointer(&set)), 0, sigsetSize(), 0, 0); errno == 0 {
		unix.PthreadSigmask(unix.SIG_UNBLOCK, &set, nil)
	}
}

// become gives the thread that execs the ids, and no capability unless
// uid is 0. One thread, as setpriv: each switching thread is charged to
// RLIMIT_NPROC. The parent-death signal the switch clears is set again.
func become(uid, gid uint32, groups []uint32) error {
	var deathSignal int
	unix.Prctl(unix.PR_GET_PDEATHSIG, uintptr(unsafe.Pointer(&deathSignal)), 0, 0, 0)
	if needSwitch(uid, gid, groups) {
		gids := make([]int, len(groups))
		for i, g := range groups {
			gids[i] = int(g)
		}
		setresuid, setresgid := uintptr(unix.SYS_SETRESUID), uintptr(unix.SYS_SETRESGID)
		if runtime.GOARCH == "386" || runtime.GOARCH == "arm" {
			setresuid, setresgid = 208, 210 // SETRESUID32, SETRESGID32: 32-bit ids
		}
		if err := unix.Setgroups(gids); err != nil {
			return switchError("setgroups", err.(unix.Errno), len(groups))
		}
		if _, _, errno := unix.RawSyscall(setresgid, uintptr(gid), uintptr(gid), uintptr(gid)); errno != 0 {
			return switchError(fmt.Sprintf("setgid %d", gid), errno, len(groups))
		}
		if _, _, errno := unix.RawSyscall(setresuid, uintptr(uid), uintptr(uid), uintptr(uid)); errno != 0 {
			return switchError(fmt.Sprintf("setuid %d", uid), errno, len(groups))
		}
	}
	if uid != 0 {
		unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
		var none [2]unix.CapUserData
		if err := unix.Capset(&unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}, &none[0]); err != nil {
			return fmt.Errorf("dropping capabilities: %w", err)
		}
	}
	if deathSignal != 0 {
		unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(deathSignal), 0, 0, 0)
	}
	return nil
}

// needSwitch reports whether this thread's ids or groups differ from these;
// the primary gid counts as a member, as the kernel's permission checks do.
func needSwitch(uid, gid uint32, groups []uint32) bool {
	r, e, s := unix.Getresuid()
	rg, eg, sg := unix.Getresgid()
	current, _ := unix.Getgroups()
	have := append(current, eg)
	want := []int{int(gid)}
	for _, g := range groups {
		want = append(want, int(g))
	}
	slices.Sort(have)
	slices.Sort(want)
	u, g := int(uid), int(gid)
	return r != u || e != u || s != u || rg != g || eg != g || sg != g || !slices.Equal(slices.Compact(have), slices.Compact(want))
}

// switchError explains the kernel's refusal of a switch.
func switchError(call string, errno unix.Errno, groups int) error {
	err := fmt.Errorf("%s: %w", call, errno)
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var caps [2]unix.CapUserData
	unix.Capget(&hdr, &caps[0])
	var missing []string
	for _, cap := range []struct {
		name string
		bit  uint
	}{{"SETGID", unix.CAP_SETGID}, {"SETUID", unix.CAP_SETUID}} {
		if caps[0].Effective&(1<<cap.bit) == 0 {
			missing = append(missing, cap.name)
		}
	}
	switch {
	case errno == unix.EINVAL && groups > 65536:
		return fmt.Errorf("%d groups, more than the kernel allows (65536)", groups)
	case errno == unix.EINVAL:
		return withHints(err, "an id that this user namespace does not map (a rootless container): choose one the container maps, or run the container as the user")
	case errno == unix.EPERM && len(missing) > 0:
		return &problem{err: fmt.Errorf("shim runs as root without CAP_%s, which the switch needs", strings.Join(missing, " and CAP_")),
			hints: []string{"the container drops it (cap_drop: ALL?): add cap_add: [" + strings.Join(missing, ", ") + "] to the service, or run the container as the user and leave SHIM_USER unset"}}
	case errno == unix.EPERM:
		return withHints(err, "a user namespace that denies setgroups (rootless containers): run the container as the user instead")
	}
	return err
}

// execStopped execs path in a child that ptrace stops before the program's
// first instruction. The child dies with shim's thread: a tracer that dies
// would otherwise set it running.
func execStopped(path string, args, env []string) (*os.Process, error) {
	return os.StartProcess(path, args, &os.ProcAttr{Env: env, Sys: &syscall.SysProcAttr{Ptrace: true, Pdeathsig: syscall.SIGKILL}})
}

// sealedFile hands content on to the command in an anonymous in-memory
// file: sealed, so no opener can change it, mode 0400 and owned by the
// command's ids, which libpq's password file and ssh keys require, and
// open across execve. The path re-opens it from the command's side.
func sealedFile(name string, content []byte, uid, gid int) (string, error) {
	fd, err := unix.MemfdCreate("shim:"+name, unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return "", withHints(fmt.Errorf("memfd_create: %w", err), "the kernel or the container's seccomp profile refuses in-memory files (gVisor, an old kernel, a strict profile); shim never falls back to a file on disk: allow memfd_create, or leave SHIM_RENDER unset")
	}
	for rest := content; len(rest) > 0 && err == nil; {
		var n int
		n, err = unix.Write(fd, rest)
		rest = rest[max(n, 0):]
	}
	if err == nil {
		_, err = unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, unix.F_SEAL_WRITE|unix.F_SEAL_GROW|unix.F_SEAL_SHRINK|unix.F_SEAL_SEAL)
	}
	if err == nil {
		err = unix.Fchmod(fd, 0o400)
	}
	if err == nil {
		err = unix.Fchown(fd, uid, gid)
	}
	if err == nil { // the one descriptor shim hands on
		_, err = unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0)
	}
	if err != nil {
		unix.Close(fd)
		return "", fmt.Errorf("the in-memory file: %w", err)
	}
	for _, dir := range []string{"/dev/fd/", "/proc/self/fd/"} { // FROM scratch may have no /dev/fd
		if p := dir + strconv.Itoa(fd); unix.Access(p, unix.F_OK) == nil {
			return p, nil
		}
	}
	unix.Close(fd)
	return "", fail("neither /dev/fd nor /proc/self/fd shows the in-memory file", "mount /proc in the container")
}
