package main

// SHIM_USER: the grammar of gosu and docker run --user, and /etc/passwd and
// /etc/group read as glibc reads them, into the credentials the command
// runs with. The switch itself is the kernel's: exec_linux.go.

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

const (
	passwdPath     = "/etc/passwd"
	groupPath      = "/etc/group"
	maxID          = uint32(1<<32 - 2) // (uid_t)-1 means "unchanged" to the kernel
	maxAccountFile = 4 << 20
)

// credentials are what the command runs as. A command run as anyone but
// root holds no capability.
type credentials struct {
	uid, gid uint32
	groups   []uint32
	home     string
}

func (c credentials) String() string {
	groups := make([]string, len(c.groups))
	for i, g := range c.groups {
		groups[i] = strconv.FormatUint(uint64(g), 10)
	}
	caps := "no capabilities"
	if c.uid == 0 {
		caps = "capabilities kept"
	}
	return fmt.Sprintf("uid %d gid %d groups [%s] HOME=%s, %s", c.uid, c.gid, strings.Join(groups, " "), quote(c.home), caps)
}

// lookupUser is what SHIM_USER needs before a secret is read: the account
// files, the spec, and, when not root, that no switch is needed.
func lookupUser(spec string) (credentials, error) {
	if !userSwitch {
		return credentials{}, errors.New("switching users is supported on Linux only")
	}
	passwd, err := readAccountFile(passwdPath)
	if err != nil {
		return credentials{}, err
	}
	group, err := readAccountFile(groupPath)
	if err != nil {
		return credentials{}, err
	}
	c, err := parseUser(spec, passwd, group, uint32(unix.Getuid()))
	if err == nil && unix.Geteuid() != 0 && needSwitch(c.uid, c.gid, c.groups) {
		err = &problem{err: fmt.Errorf("operation not permitted (running as uid %d)", unix.Geteuid()),
			hints: []string{"shim must start as root to switch users: remove USER from the image or set user: \"0\" for the service, and let SHIM_USER drop privileges"}}
	}
	return c, err
}

// parseUser reads user, uid, user:group, uid:gid or :gid; passwd and group
// are nil in FROM scratch. A uid without an entry gets the gid of its number
// (redis 999:999), not gosu's 0; groups listing the user join unless one is named.
func parseUser(spec string, passwd, group []byte, selfUID uint32) (credentials, error) {
	userPart, groupPart, hasGroup := strings.Cut(spec, ":")
	if hasGroup && groupPart == "" {
		return credentials{}, errors.New("no group after the colon")
	}
	c := credentials{uid: selfUID, home: "/"}
	entry, err := userEntry(userPart, hasGroup, passwd, &c)
	if err != nil {
		return credentials{}, err
	}
	c.gid = c.uid
	if entry != nil {
		if strings.Contains(strings.Join(entry, ":"), "\x00") {
			return credentials{}, fmt.Errorf("the entry of user %q in %s holds a NUL byte", entry[0], passwdPath)
		}
		if c.gid, err = parseID(entry[3]); err != nil {
			return credentials{}, fmt.Errorf("user %q has a bad gid in %s", entry[0], passwdPath)
		}
		if entry[5] != "" {
			c.home = entry[5]
		}
	}
	if hasGroup {
		if c.gid, _, err = lookupID(groupPart, group, groupPath, "group", "gid"); err != nil {
			return credentials{}, err
		}
	}
	c.groups = []uint32{c.gid}
	if !hasGroup && entry != nil && entry[0] != "" {
		findEntry(group, func(f []string) bool {
			for member := range strings.SplitSeq(f[3], ",") {
				if gid, err := parseID(f[2]); member == entry[0] && err == nil && !slices.Contains(c.groups, gid) {
					c.groups = append(c.groups, gid)
					break
				}
			}
			return false
		})
	}
	return c, nil
}

// userEntry sets c.uid from the user part and returns its passwd entry,
// nil when it has none.
func userEntry(userPart string, hasGroup bool, passwd []byte, c *credentials) ([]string, error) {
	var entry []string
	switch {
	case userPart == "" && !hasGroup:
		return nil, errors.New("no user")
	case userPart != "":
		uid, byName, err := lookupID(userPart, passwd, passwdPath, "user", "uid")
		if err != nil {
			return nil, err
		}
		c.uid, entry = uid, byName
	}
	if entry == nil {
		entry = findEntry(passwd, func(f []string) bool { id, err := parseID(f[2]); return err == nil && id == c.uid })
	}
	return entry, nil
}

// lookupID reads a number, or looks a name up in file and returns its
// entry too.
func lookupID(name string, file []byte, path, kind, idKind string) (uint32, []string, error) {
	if strings.Trim(name, "0123456789") == "" {
		id, err := parseID(name)
		if err != nil {
			return 0, nil, fmt.Errorf("%s out of range (0-%d)", idKind, maxID)
		}
		return id, nil, nil
	}
	if file == nil {
		return 0, nil, fmt.Errorf("no %s to look up %s %q in; use a numeric %s", path, kind, name, idKind)
	}
	entry := findEntry(file, func(f []string) bool { return f[0] == name })
	if entry == nil {
		return 0, nil, fmt.Errorf("no %s %q in %s", kind, name, path)
	}
	id, err := parseID(entry[2])
	if err != nil {
		return 0, nil, fmt.Errorf("%s %q has a bad %s in %s", kind, name, idKind, path)
	}
	return id, entry, nil
}

func parseID(s string) (uint32, error) {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n > uint64(maxID) {
		return 0, errors.New("out of range")
	}
	return uint32(n), nil
}

// findEntry returns the first entry of a passwd or group file that match
// accepts, its fields padded to seven. As glibc, it skips leading blanks,
// comments and empty lines; lines of fewer than four fields are broken.
// The fields are cut into one array, not split per line: every start
// with SHIM_USER reads the whole group file.
func findEntry(file []byte, match func(fields []string) bool) []string {
	var f [7]string
	for line := range strings.Lines(string(file)) {
		line = strings.TrimLeft(strings.TrimSuffix(line, "\n"), " \t\v\f\r")
		if line == "" || line[0] == '#' || strings.Count(line, ":") < 3 {
			continue
		}
		for i := range 6 {
			f[i], line, _ = strings.Cut(line, ":")
		}
		if f[6] = line; match(f[:]) {
			return slices.Clone(f[:])
		}
	}
	return nil
}

// readAccountFile reads /etc/passwd or /etc/group; a missing one is nil.
func readAccountFile(path string) ([]byte, error) {
	data, err := (&osFiles{}).read(path, maxAccountFile, true)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, errors.New(describe(err))
	case len(data) > maxAccountFile:
		return nil, fmt.Errorf("%s is over %d bytes", path, maxAccountFile)
	}
	return data, nil
}

// checkNotSetuid refuses a shim installed setuid or setgid: it would hand
// any user root's reading of every file and a free choice of SHIM_USER.
func checkNotSetuid() error {
	setid := unix.Getuid() != unix.Geteuid() || unix.Getgid() != unix.Getegid()
	var st unix.Stat_t
	if unix.Stat("/proc/self/exe", &st) == nil && st.Mode&(unix.S_ISUID|unix.S_ISGID) != 0 {
		setid = true
	}
	if setid {
		return errors.New("refusing to run setuid or setgid; remove the bits with chmod u-s,g-s")
	}
	return nil
}
