package main

// SHIM_USER: who the command runs as. The user-spec grammar and the passwd
// and group formats are a small parser of their own, tested on fixture
// files; the switch itself is checked before any secret is read and made
// after, and the command runs with exactly the credentials reported.

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

const (
	passwdPath = "/etc/passwd"
	groupPath  = "/etc/group"
	maxID      = uint32(1<<32 - 2) // (uid_t)-1 means "unchanged" to the kernel
	// The larger of /etc/passwd and /etc/group shim reads; a container's
	// are a few kilobytes.
	maxAccountFile = 4 << 20
)

// credentials are what the command runs as.
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
	return fmt.Sprintf("uid %d gid %d groups [%s] HOME=%s", c.uid, c.gid, strings.Join(groups, " "), quote(c.home))
}

// lookupUser is everything SHIM_USER needs before a secret is read: the
// account files, the spec, and whether this process can make the switch.
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
	self := currentProcess(true)
	c, err := parseUser(spec, passwd, group, self.uid)
	if err != nil {
		return credentials{}, err
	}
	return c, checkSwitch(c, self)
}

// parseUser reads SHIM_USER with the grammar of gosu and docker run --user:
// user, uid, user:group, uid:gid or :gid. passwd and group are the files'
// contents, nil when a file does not exist (a FROM scratch image). selfUID
// is the uid a bare :gid keeps. Ids are compared as numbers, as Docker does,
// so 0102 is uid 102 with 102's passwd entry.
//
// Where gosu leaves a uid without a passwd entry in group 0 (root's group, a
// known surprise), shim gives it the group with the same number, the
// convention of every service user in the official images (redis 999:999,
// nobody 65534:65534). Supplementary groups are the primary group plus, when
// no group was named, every group that lists the user as a member.
func parseUser(spec string, passwd, group []byte, selfUID uint32) (credentials, error) {
	userPart, groupPart, hasGroup := strings.Cut(spec, ":")
	if hasGroup && groupPart == "" {
		return credentials{}, errors.New("no group after the colon")
	}
	var c credentials
	var entry []string // the passwd fields of the user, if it has an entry
	switch {
	case userPart == "":
		if !hasGroup {
			return credentials{}, errors.New("no user")
		}
		c.uid = selfUID
		entry = findByID(passwd, c.uid)
	case decimal(userPart):
		uid, err := parseID(userPart)
		if err != nil {
			return credentials{}, fmt.Errorf("uid out of range (0-%d)", maxID)
		}
		c.uid = uid
		entry = findByID(passwd, uid)
	default:
		if passwd == nil {
			return credentials{}, fmt.Errorf("no %s to look up user %q in; use a numeric uid", passwdPath, userPart)
		}
		entry = findByName(passwd, userPart)
		if entry == nil {
			return credentials{}, fmt.Errorf("no user %q in %s", userPart, passwdPath)
		}
		uid, err := parseID(entry[2])
		if err != nil {
			return credentials{}, fmt.Errorf("user %q has a bad uid in %s", userPart, passwdPath)
		}
		c.uid = uid
	}

	c.gid = c.uid
	c.home = "/"
	if entry != nil {
		gid, err := parseID(entry[3])
		if err != nil {
			return credentials{}, fmt.Errorf("user %q has a bad gid in %s", entry[0], passwdPath)
		}
		c.gid = gid
		if entry[5] != "" {
			c.home = entry[5]
		}
	}

	switch {
	case !hasGroup:
	case decimal(groupPart):
		gid, err := parseID(groupPart)
		if err != nil {
			return credentials{}, fmt.Errorf("gid out of range (0-%d)", maxID)
		}
		c.gid = gid
	default:
		if group == nil {
			return credentials{}, fmt.Errorf("no %s to look up group %q in; use a numeric gid", groupPath, groupPart)
		}
		g := findByName(group, groupPart)
		if g == nil {
			return credentials{}, fmt.Errorf("no group %q in %s", groupPart, groupPath)
		}
		gid, err := parseID(g[2])
		if err != nil {
			return credentials{}, fmt.Errorf("group %q has a bad gid in %s", groupPart, groupPath)
		}
		c.gid = gid
	}

	c.groups = []uint32{c.gid}
	if !hasGroup && entry != nil {
		for _, g := range memberships(group, entry[0]) {
			if !slices.Contains(c.groups, g) {
				c.groups = append(c.groups, g)
			}
		}
	}
	return c, nil
}

// decimal tells an id from a name: only digits, however many.
func decimal(s string) bool { return s != "" && strings.Trim(s, "0123456789") == "" }

func parseID(s string) (uint32, error) {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n > uint64(maxID) {
		return 0, errors.New("out of range")
	}
	return uint32(n), nil
}

// accountEntries calls f with the fields of each line of a passwd or group
// file that has at least four, padded to seven; f returns true to stop.
// Lines and fields are cut in place, with no allocation per line, and with
// a hint (a name the line must hold) the search jumps from one line holding
// it to the next: a start with SHIM_USER goes through all of /etc/group.
func accountEntries(file []byte, hint string, f func(fields *[7]string) bool) []string {
	rest := string(file)
	for rest != "" {
		if hint != "" {
			i := strings.Index(rest, hint)
			if i < 0 {
				return nil
			}
			rest = rest[strings.LastIndexByte(rest[:i], '\n')+1:]
		}
		var line string
		line, rest, _ = strings.Cut(rest, "\n")
		if !strings.Contains(line, hint) {
			continue // the hint's match spanned lines: this one does not hold it
		}
		var fields [7]string
		n := 0
		for ; n < len(fields)-1; n++ {
			var more bool
			if fields[n], line, more = strings.Cut(line, ":"); !more {
				break
			}
		}
		if n == len(fields)-1 {
			fields[n] = line // the seventh field and any beyond it
		}
		if n < 3 {
			continue // a comment or a broken line
		}
		if f(&fields) {
			return fields[:]
		}
	}
	return nil
}

func findByName(file []byte, name string) []string {
	return accountEntries(file, name, func(f *[7]string) bool { return f[0] == name })
}

func findByID(file []byte, id uint32) []string {
	// no hint: ids compare as numbers, so 0102 is 102
	return accountEntries(file, "", func(f *[7]string) bool {
		n, err := parseID(f[2])
		return err == nil && n == id
	})
}

// memberships lists the gids of the groups whose member list names user. A
// passwd entry without a name is a member of nothing, not of every group
// with an empty list.
func memberships(group []byte, user string) []uint32 {
	if user == "" {
		return nil
	}
	var gids []uint32
	accountEntries(group, user, func(f *[7]string) bool {
		if !listed(f[3], user) {
			return false
		}
		if gid, err := parseID(f[2]); err == nil {
			gids = append(gids, gid)
		}
		return false
	})
	return gids
}

// listed reports whether the comma-separated list names user.
func listed(list, user string) bool {
	for list != "" {
		var member string
		member, list, _ = strings.Cut(list, ",")
		if member == user {
			return true
		}
	}
	return false
}

// readAccountFile reads /etc/passwd or /etc/group; a missing file is no
// error (nil), since FROM scratch images have none.
func readAccountFile(path string) ([]byte, error) {
	data, err := (&osFiles{waiting: func(string) {}}).read(path, maxAccountFile, true)
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

// process is what the switch depends on in the running process.
type process struct {
	uid, euid, gid, egid uint32
	groups               []uint32
	capEff               uint64
	capsKnown            bool // false without /proc
}

// Capability bits, from linux/capability.h.
const (
	capSetgid = 6
	capSetuid = 7
)

// currentProcess reads the ids and groups, and with caps the effective
// capabilities.
func currentProcess(caps bool) process {
	p := process{uid: uint32(unix.Getuid()), euid: uint32(unix.Geteuid()), gid: uint32(unix.Getgid()), egid: uint32(unix.Getegid())}
	if groups, err := unix.Getgroups(); err == nil {
		for _, g := range groups {
			p.groups = append(p.groups, uint32(g))
		}
	}
	if caps && p.euid == 0 {
		p.capEff, p.capsKnown = effectiveCaps()
	}
	return p
}

// effectiveCaps reads CapEff from /proc/self/status.
func effectiveCaps() (uint64, bool) {
	status, err := (&osFiles{waiting: func(string) {}}).read("/proc/self/status", 1<<16, false)
	if err != nil {
		return 0, false
	}
	_, v, found := strings.Cut(string(status), "\nCapEff:")
	if !found {
		return 0, false
	}
	v, _, _ = strings.Cut(v, "\n")
	caps, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
	return caps, err == nil
}

// needSwitch reports whether p must change credentials to become c, groups
// included; already being c is not an error, whoever we are.
func needSwitch(c credentials, p process) bool {
	if p.uid != c.uid || p.euid != c.uid || p.gid != c.gid || p.egid != c.gid {
		return true
	}
	have, want := slices.Clone(p.groups), slices.Clone(c.groups)
	slices.Sort(have)
	slices.Sort(want)
	return !slices.Equal(slices.Compact(have), slices.Compact(want))
}

// checkSwitch fails before any secret is read when the switch cannot be
// made; there is no fallback that would run the command with more than it
// was given.
func checkSwitch(c credentials, p process) error {
	if !needSwitch(c, p) {
		return nil
	}
	if p.euid != 0 {
		return &problem{err: fmt.Errorf("operation not permitted (running as uid %d)", p.euid),
			hints: []string{"shim must start as root to switch users: remove USER from the image or set user: \"0\" for the service, and let SHIM_USER drop privileges"}}
	}
	if !p.capsKnown {
		return nil
	}
	var missing []string
	if p.capEff&(1<<capSetgid) == 0 {
		missing = append(missing, "SETGID")
	}
	if p.uid != c.uid && p.capEff&(1<<capSetuid) == 0 {
		missing = append(missing, "SETUID")
	}
	if len(missing) == 0 {
		return nil
	}
	return &problem{err: fmt.Errorf("shim runs as root without CAP_%s, which the switch needs", strings.Join(missing, " and CAP_")),
		hints: []string{"the container drops it (cap_drop: ALL?): add cap_add: [" + strings.Join(missing, ", ") + "] to the service, or run the container as the user and leave SHIM_USER unset"}}
}

// become switches the whole process to c: groups, then gid, then uid (after
// setuid the rest would be refused). The syscall package's calls change every
// thread of a Go process; the raw x/sys ones change only the calling thread,
// which is why gosu pins itself to one.
func become(c credentials) error {
	if !needSwitch(c, currentProcess(false)) {
		return nil
	}
	groups := make([]int, len(c.groups))
	for i, g := range c.groups {
		groups[i] = int(g)
	}
	if err := syscall.Setgroups(groups); err != nil {
		return &problem{err: fmt.Errorf("setgroups: %w", err),
			hints: []string{"in a user namespace that denies setgroups (rootless containers), run the container as the user instead"}}
	}
	if err := syscall.Setgid(int(c.gid)); err != nil {
		return fmt.Errorf("setgid %d: %w", c.gid, err)
	}
	if err := syscall.Setuid(int(c.uid)); err != nil {
		return fmt.Errorf("setuid %d: %w", c.uid, err)
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
