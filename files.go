package main

// Reading a file exactly: its type known before it is opened where only
// regular files count, at most one byte past a limit, a Kubernetes secret
// volume read as one generation, and failures described for the hints. Which
// files count and what a failure means is decided by the caller.

import (
	"io/fs"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// osFiles reads the files of a real run.
type osFiles struct {
	buf      []byte            // reused: read's result is valid until the next call
	versions map[[2]uint64]int // a volume's device and inode → its ..data, opened once
	volumes  map[string]string // a directory → the volume it lies in below a link, "" for none
}

// read returns at most limit+1 bytes of the file, so that "too large" needs
// no more. With regularOnly anything but a regular file is refused before
// it is opened: opening a device can have effects of its own.
func (o *osFiles) read(path string, limit int, regularOnly bool) ([]byte, error) {
	dirfd, name := o.where(path)
	flags := unix.O_RDONLY | unix.O_CLOEXEC | unix.O_NOCTTY
	if regularOnly {
		if err := mustBeRegular(path, func(st *unix.Stat_t) error { return unix.Fstatat(dirfd, name, st, 0) }); err != nil {
			return nil, err
		}
		flags |= unix.O_NONBLOCK
	}
	var fd int
	if err := retry(func() (err error) { fd, err = unix.Openat(dirfd, name, flags, 0); return }); err != nil {
		return nil, openError(path, err)
	}
	defer unix.Close(fd)
	if regularOnly { // it may have been replaced between the look and the open
		if err := mustBeRegular(path, func(st *unix.Stat_t) error { return unix.Fstat(fd, st) }); err != nil {
			return nil, err
		}
	}
	if len(o.buf) == 0 {
		o.buf = make([]byte, 4096) // most secrets are a few dozen bytes
	}
	n := 0
	for n <= limit {
		if n == len(o.buf) {
			o.buf = append(o.buf, make([]byte, min(n, limit+1-n))...)
		}
		var m int
		if err := retry(func() (err error) { m, err = unix.Read(fd, o.buf[n:min(len(o.buf), limit+1)]); return }); err != nil {
			return nil, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		if m == 0 {
			break
		}
		n += m
	}
	return o.buf[:n], nil
}

// where says what to open: path, or for a key of a Kubernetes secret
// volume the key in the generation ..data named when the volume was first
// read, so that a swap of ..data mid-start never mixes two generations. The
// sign is the key's first component below the volume, a link into ..data:
// user -> ..data/user, or db -> ..data/db for a key at db/user; a
// directory's ancestors are looked at once, not once a key.
func (o *osFiles) where(path string) (int, string) {
	i := strings.LastIndexByte(path, '/')
	if i < 0 {
		return unix.AT_FDCWD, path
	}
	dir, volume := path[:i+1], path[:i+1]
	if !linksIntoData(dir, path[i+1:]) {
		var seen bool
		if volume, seen = o.volumes[dir]; !seen {
			volume = volumeAbove(dir)
			if o.volumes == nil {
				o.volumes = map[string]string{}
			}
			o.volumes[dir] = volume
		}
	}
	if fd, ok := o.generation(volume); ok {
		return fd, path[len(volume):]
	}
	return unix.AT_FDCWD, path
}

// linksIntoData says whether volume's entry name is the kubelet's link
// name -> ..data/name.
func linksIntoData(volume, name string) bool {
	buf := make([]byte, len(name)+8)
	n, err := unix.Readlink(volume+name, buf)
	return err == nil && string(buf[:n]) == "..data/"+name
}

// volumeAbove is the volume that dir lies in below its first component,
// "" when it lies in none.
func volumeAbove(dir string) string {
	for i := strings.LastIndexByte(dir[:len(dir)-1], '/'); i >= 0; i = strings.LastIndexByte(dir[:i], '/') {
		if first, _, _ := strings.Cut(dir[i+1:], "/"); linksIntoData(dir[:i+1], first) {
			return dir[:i+1]
		}
	}
	return ""
}

// generation is the volume's ..data, opened once; none without a volume.
func (o *osFiles) generation(volume string) (int, bool) {
	var st unix.Stat_t
	if volume == "" || unix.Stat(volume, &st) != nil {
		return 0, false
	}
	id := [2]uint64{uint64(st.Dev), uint64(st.Ino)}
	if fd, ok := o.versions[id]; ok {
		return fd, true
	}
	fd, err := unix.Open(volume+"..data", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, false
	}
	if o.versions == nil {
		o.versions = map[[2]uint64]int{}
	}
	o.versions[id] = fd
	return fd, true
}

func retry(call func() error) error {
	for {
		if err := call(); err != unix.EINTR {
			return err
		}
	}
}

// openError keeps what the hints need: the owner and mode behind a
// permission failure, and that a missing file is a dangling link.
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

func mustBeRegular(path string, stat func(*unix.Stat_t) error) error {
	var st unix.Stat_t
	if err := retry(func() error { return stat(&st) }); err != nil {
		return openError(path, err)
	}
	kind, ok := map[uint32]string{unix.S_IFDIR: "a directory", unix.S_IFIFO: "a named pipe", unix.S_IFSOCK: "a socket",
		unix.S_IFCHR: "a character device", unix.S_IFBLK: "a block device"}[uint32(st.Mode)&unix.S_IFMT]
	if !ok {
		return nil
	}
	return &fs.PathError{Op: "open", Path: path, Err: notRegular(kind)}
}

// list returns the names in dir, sorted, dot names included, and the
// directory's identity, so that one directory written two ways is read
// once. getdents rather than os.ReadDir, which would start the netpoller.
func (o *osFiles) list(dir string) ([]string, [2]uint64, error) {
	var fd int
	err := retry(func() (err error) {
		fd, err = unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		return
	})
	if err != nil {
		return nil, [2]uint64{}, &fs.PathError{Op: "open", Path: dir, Err: err}
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, [2]uint64{}, &fs.PathError{Op: "stat", Path: dir, Err: err}
	}
	var names []string
	buf := make([]byte, 8192)
	for {
		var n int
		if err := retry(func() (err error) { n, err = unix.ReadDirent(fd, buf); return }); err != nil {
			return nil, [2]uint64{}, &fs.PathError{Op: "readdirent", Path: dir, Err: err}
		}
		if n <= 0 {
			break
		}
		_, _, names = unix.ParseDirent(buf[:n], -1, names)
	}
	slices.Sort(names)
	return names, [2]uint64{uint64(st.Dev), uint64(st.Ino)}, nil
}
