package main

// The file reader the resolver is given in a real run. It only reaches the
// disk; which files count and what a failure means for the start are the
// resolver's rules.

import (
	"io/fs"
	"slices"

	"golang.org/x/sys/unix"
)

// osFiles reads real files with as few system calls as a small secret allows:
// open, read, read, close.
type osFiles struct {
	buf     []byte            // reused for every file: read's result is valid until the next call
	cpath   []byte            // reused for every path, NUL-terminated for open
	waiting func(path string) // tells the signal watcher what a blocked read waits on
}

// read returns at most limit+1 bytes of the file, so a caller can tell "too
// large" without reading all of a huge file or /dev/zero. With regularOnly,
// anything but a regular file (after following links) is refused before a
// byte is read, and opening never blocks on a FIFO.
func (o *osFiles) read(path string, limit int, regularOnly bool) ([]byte, error) {
	o.waiting(path)
	defer o.waiting("")
	flags := unix.O_RDONLY | unix.O_CLOEXEC
	if regularOnly {
		flags |= unix.O_NONBLOCK
	}
	fd, err := retry(func() (int, error) { return openPath(&o.cpath, path, flags) })
	if err != nil {
		return nil, openError(path, err)
	}
	defer unix.Close(fd)
	if regularOnly {
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			return nil, &fs.PathError{Op: "stat", Path: path, Err: err}
		}
		if st.Mode&unix.S_IFMT != unix.S_IFREG {
			return nil, &fs.PathError{Op: "open", Path: path, Err: notRegular(uint32(st.Mode))}
		}
	}
	// Most secrets are a few dozen bytes: start small and grow towards the
	// limit only for the rare large one.
	if len(o.buf) == 0 {
		o.buf = make([]byte, 4096)
	}
	n := 0
	for n <= limit {
		if n == len(o.buf) {
			o.buf = append(o.buf, make([]byte, min(n, limit+1-n))...)
		}
		m, err := retry(func() (int, error) { return unix.Read(fd, o.buf[n:min(len(o.buf), limit+1)]) })
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		if m == 0 {
			break
		}
		n += m
	}
	return o.buf[:n], nil
}

func retry(call func() (int, error)) (int, error) {
	for {
		n, err := call()
		if err != unix.EINTR {
			return n, err
		}
	}
}

// openError says what the resolver's messages need: for a permission
// failure, the owner and mode behind it; for a missing file that is a
// symlink, that the link dangles (a Kubernetes ..data link pointing nowhere).
func openError(path string, err error) error {
	pe := &fs.PathError{Op: "open", Path: path, Err: err}
	var st unix.Stat_t
	switch err {
	case unix.EACCES:
		d := &deniedError{err: pe, uid: -1, euid: unix.Geteuid()}
		if unix.Stat(path, &st) == nil {
			d.uid, d.gid, d.mode = int(st.Uid), int(st.Gid), fs.FileMode(st.Mode&0o7777)
		}
		return d
	case unix.ENOENT:
		if unix.Lstat(path, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFLNK {
			pe.Err = errDangling
		}
	}
	return pe
}

// notRegular names a file type for a message.
func notRegular(mode uint32) error {
	kind := map[uint32]string{
		unix.S_IFDIR:  "a directory",
		unix.S_IFIFO:  "a named pipe",
		unix.S_IFSOCK: "a socket",
		unix.S_IFCHR:  "a character device",
		unix.S_IFBLK:  "a block device",
	}[mode&unix.S_IFMT]
	return &notRegularError{kind}
}

// list returns every entry of dir, sorted, dot names included: the
// resolver decides which count.
// getdents rather than os.ReadDir, which would start the netpoller.
func (o *osFiles) list(dir string) ([]string, error) {
	fd, err := retry(func() (int, error) { return unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0) })
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: dir, Err: err}
	}
	defer unix.Close(fd)
	var names []string
	buf := make([]byte, 8192)
	for {
		n, err := retry(func() (int, error) { return unix.ReadDirent(fd, buf) })
		if err != nil {
			return nil, &fs.PathError{Op: "readdirent", Path: dir, Err: err}
		}
		if n <= 0 {
			break
		}
		_, _, names = unix.ParseDirent(buf[:n], -1, names)
	}
	slices.Sort(names)
	return names, nil
}
