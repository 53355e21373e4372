package main

// SHIM_USER: who the command runs as. Kept apart from exec.go because the
// user-spec grammar and the passwd and group formats are a small parser of
// their own, tested on fixture files; exec.go only needs the result.

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

const (
	passwdPath = "/etc/passwd"
	groupPath  = "/etc/group"
	maxID      = 1<<32 - 2 // (uid_t)-1 means "unchanged" to the kernel
)

// credentials are what the command runs as.
type credentials struct {
	uid, gid int
	groups   []int
	home     string
}

func (c credentials) String() string {
	groups := make([]string, len(c.groups))
	for i, g := range c.groups {
		groups[i] = strconv.Itoa(g)
	}
	return fmt.Sprintf("uid %d gid %d groups [%s] HOME=%s", c.uid, c.gid, strings.Join(groups, " "), c.home)
}

// lookupUser resolves SHIM_USER with the grammar of gosu and docker run
// --user: user, uid, user:group, uid:gid or :gid. passwd and group are the
// files' contents, nil when a file does not exist (a FROM scratch image).
// selfUID is the uid a bare :gid keeps.
//
// Where gosu leaves a uid without a passwd entry in group 0 (root's group, a
// known surprise), shim gives it the group with the same number, the
// convention of every service user in the official images (redis 999:999,
// nobody 65534:65534). Supplementary groups are the primary group plus, when
// no group was named, every group that lists the user as a member.
func lookupUser(spec string, passwd, group []byte, selfUID int) (credentials, error) {
	fail := func(format string, a ...any) (credentials, error) {
		return credentials{}, fmt.Errorf("SHIM_USER=%s: %s", spec, fmt.Sprintf(format, a...))
	}
	userPart, groupPart, hasGroup := strings.Cut(spec, ":")
	if hasGroup && groupPart == "" {
		return fail("no group after the colon")
	}
	var c credentials
	var entry []string // the passwd fields of the user, if it has an entry
	switch {
	case userPart == "":
		if !hasGroup {
			return fail("no user")
		}
		c.uid = selfUID
		entry = findEntry(passwd, 2, strconv.Itoa(selfUID))
	case allDigits(userPart):
		uid, err := parseID(userPart)
		if err != nil {
			return fail("uid out of range (0-%d)", maxID)
		}
		c.uid = uid
		entry = findEntry(passwd, 2, userPart)
	default:
		if passwd == nil {
			return fail("no %s to look up user %q in; use a numeric uid", passwdPath, userPart)
		}
		entry = findEntry(passwd, 0, userPart)
		if entry == nil {
			return fail("no user %q in %s", userPart, passwdPath)
		}
		uid, err := parseID(entry[2])
		if err != nil {
			return fail("user %q has a bad uid in %s", userPart, passwdPath)
		}
		c.uid = uid
	}

	c.gid = c.uid
	c.home = "/"
	if entry != nil {
		gid, err := parseID(entry[3])
		if err != nil {
			return fail("user %q has a bad gid in %s", entry[0], passwdPath)
		}
		c.gid = gid
		if entry[5] != "" {
			c.home = entry[5]
		}
	}

	switch {
	case !hasGroup:
	case allDigits(groupPart):
		gid, err := parseID(groupPart)
		if err != nil {
			return fail("gid out of range (0-%d)", maxID)
		}
		c.gid = gid
	default:
		if group == nil {
			return fail("no %s to look up group %q in; use a numeric gid", groupPath, groupPart)
		}
		g := findEntry(group, 0, groupPart)
		if g == nil {
			return fail("no group %q in %s", groupPart, groupPath)
		}
		gid, err := parseID(g[2])
		if err != nil {
			return fail("group %q has a bad gid in %s", groupPart, groupPath)
		}
		c.gid = gid
	}

	c.groups = []int{c.gid}
	if !hasGroup && entry != nil {
		for _, g := range memberships(group, entry[0]) {
			if !slices.Contains(c.groups, g) {
				c.groups = append(c.groups, g)
			}
		}
	}
	return c, nil
}

func parseID(s string) (int, error) {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n > maxID {
		return 0, errors.New("out of range")
	}
	return int(n), nil
}

// findEntry returns the fields of the first line of a passwd or group file
// whose field number key equals value. Lines with too few fields, like
// comments, are passed over.
func findEntry(file []byte, key int, value string) []string {
	for _, line := range strings.Split(string(file), "\n") {
		fields := strings.Split(line, ":")
		if len(fields) >= 4 && fields[key] == value {
			for len(fields) < 7 {
				fields = append(fields, "")
			}
			return fields
		}
	}
	return nil
}

// memberships lists the gids of the groups whose member list names user.
func memberships(group []byte, user string) []int {
	var gids []int
	for _, line := range strings.Split(string(group), "\n") {
		fields := strings.Split(line, ":")
		if len(fields) < 4 {
			continue
		}
		for _, member := range strings.Split(fields[3], ",") {
			if member == user {
				if gid, err := parseID(fields[2]); err == nil {
					gids = append(gids, gid)
				}
				break
			}
		}
	}
	return gids
}

// readAccountFile reads /etc/passwd or /etc/group; a missing file is no
// error (nil), since FROM scratch images have none.
func readAccountFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return data, err
}

// needSwitch reports whether the process must change credentials to become
// c; already being c is not an error, whoever we are.
func needSwitch(c credentials) bool {
	return unix.Getuid() != c.uid || unix.Geteuid() != c.uid || unix.Getgid() != c.gid || unix.Getegid() != c.gid
}

// checkCanSwitch fails early, before any secret is read, when the switch
// cannot work; there is no fallback that would run the command as root.
func checkCanSwitch(spec string, c credentials) error {
	if needSwitch(c) && unix.Geteuid() != 0 {
		return withHint(fmt.Errorf("SHIM_USER=%s: operation not permitted (running as uid %d)", spec, unix.Geteuid()),
			"shim must start as root to switch users: remove USER from the image or set user: \"0\" for the service, and let SHIM_USER drop privileges")
	}
	return nil
}

// become switches the whole process to c: groups, then gid, then uid (after
// setuid the rest would be refused). The syscall package's calls change every
// thread of a Go process; the raw x/sys ones change only the calling thread,
// which is why gosu pins itself to one.
func become(spec string, c credentials) error {
	if !needSwitch(c) {
		return nil
	}
	if err := syscall.Setgroups(c.groups); err != nil {
		return withHint(fmt.Errorf("SHIM_USER=%s: setgroups: %w", spec, err),
			"in a user namespace that denies setgroups (rootless containers), run the container as the user instead")
	}
	if err := syscall.Setgid(c.gid); err != nil {
		return fmt.Errorf("SHIM_USER=%s: setgid %d: %w", spec, c.gid, err)
	}
	if err := syscall.Setuid(c.uid); err != nil {
		return fmt.Errorf("SHIM_USER=%s: setuid %d: %w", spec, c.uid, err)
	}
	return nil
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
