package ccache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// dirUniqueRandom is how many random characters MIT's new_unique puts
// after "tkt": the six of mkstemp's "tktXXXXXX".
const dirUniqueRandom = 6

// dirUniqueAttempts bounds the search for a free name; with 62^6 names a
// second attempt is already a rarity.
const dirUniqueAttempts = 100

// listDir is MIT's dcc_ptcursor: the primary cache (n.Path) if it exists,
// then every other "tkt*" entry of the directory (sorted here; MIT takes
// readdir's order). A missing directory is an empty collection. A member
// that is not the user's (ErrUnsafe) is listed as uninitialized, and
// refused when it is used.
func listDir(n Name, o OpenOptions) ([]Member, error) {
	dir, primary := n.Residual, filepath.Base(n.Path)
	entries, err := readDirectory(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot list credential cache directory %s: %w", dir, err)
	}
	var members []Member
	if m, ok := dirMember(filepath.Join(dir, primary), o); ok {
		m.Primary = true
		members = append(members, m)
	}
	for _, e := range entries {
		if e.Name() == primary || !strings.HasPrefix(e.Name(), "tkt") || !e.Type().IsRegular() {
			continue
		}
		if m, ok := dirMember(filepath.Join(dir, e.Name()), o); ok {
			members = append(members, m)
		}
	}
	return members, nil
}

// readDirectory is os.ReadDir (sorted by name), but refuses a FIFO put
// where the directory was instead of waiting in open for a writer.
func readDirectory(dir string) ([]fs.DirEntry, error) {
	d, err := openDirectory(dir)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	entries, err := d.ReadDir(-1)
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return entries, err
}

// dirMember reads one cache file of the collection; ok is false if it is
// gone. A file that does not parse (such as the empty one MIT's
// new_unique leaves until kinit fills it) is an uninitialized member.
func dirMember(path string, o OpenOptions) (Member, bool) {
	m := Member{Name: Name{Type: "DIR", Residual: ":" + path, Path: path}}
	c, err := (FileStore{Path: path, Explicit: o.Explicit, Wait: o.LockWait}).Load()
	if errors.Is(err, ErrNotFound) {
		return m, false
	}
	if err == nil {
		m.Principal, m.Initialized = c.DefaultPrincipal, true
	}
	return m, true
}

// newDirUnique picks a free "tkt" name in the collection. Unlike MIT,
// which reserves it with mkstemp, nothing is created: the store's first
// Update creates the file, and only if nobody has meanwhile.
func newDirUnique(n Name) (Name, error) {
	dir := n.Residual
	for range dirUniqueAttempts {
		suffix, err := randomChars(dirUniqueRandom)
		if err != nil {
			return Name{}, err
		}
		path := filepath.Join(dir, "tkt"+suffix)
		if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
			return Name{Type: "DIR", Residual: ":" + path, Path: path}, nil
		} else if err != nil && !errors.Is(err, fs.ErrExist) {
			return Name{}, fmt.Errorf("cannot look for a free cache name in %s: %w", dir, err)
		}
	}
	return Name{}, fmt.Errorf("cannot find a free cache name in %s", dir)
}

// switchDir is MIT's dcc_switch_to: the primary file is replaced whole,
// through a temporary file and a rename, so readers see the old or the
// new primary and never an empty file. Only in the user's own directory:
// the rename would replace whatever "primary" is there, even a link.
func switchDir(n Name, o OpenOptions) error {
	dir, file := filepath.Split(n.Path)
	dir = filepath.Clean(dir)
	owner, err := checkedCollectionDir(dir, policyFor(o))
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".primary.krenew-")
	if err != nil {
		return err
	}
	err = giveTo(tmp, owner)
	if err == nil {
		_, err = tmp.WriteString(file + "\n")
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(dir, "primary"))
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// newFileOwner is who the files root creates in a DIR collection whose
// directory is dir must belong to: the directory's owner, when that is
// not root (sudo krenew -k DIR:/run/user/1000/krb5cc). A member or primary
// file left to root makes the user's own klist -A fail ("Credentials cache
// permissions incorrect") and the primary unreadable to the user's kinit.
// nil when krenew is not root, or root owns the directory.
func newFileOwner(dir fs.FileInfo) *FileOwner {
	st, ok := statOwner(dir)
	if os.Geteuid() != 0 || !ok || st.Uid == 0 {
		return nil
	}
	return &FileOwner{int(st.Uid), int(st.Gid)}
}

// giveTo chowns f, a file krenew just created, to owner, if any.
func giveTo(f *os.File, owner *FileOwner) error {
	if owner == nil {
		return nil
	}
	return f.Chown(owner.UID, owner.GID)
}
