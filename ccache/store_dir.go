package ccache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// dirStore is one cache of a DIR collection: a FILE cache inside the
// collection directory. What it adds is what MIT's kinit does on first
// use of "DIR:dir": create the directory (0700; its parent must exist)
// and, for the collection's primary cache, write the primary file so
// that klist -l and kswitch agree on which cache is the primary.
type dirStore struct {
	FileStore
	// primaryName is the file name to record as the primary when the
	// collection has none yet; "" for "DIR::path", which MIT never
	// records as the primary.
	primaryName string
}

func openDir(n Name, o OpenOptions) Store {
	s := dirStore{FileStore: FileStore{Path: n.Path, Explicit: o.Explicit, Wait: o.LockWait}}
	if len(n.Residual) == 0 || n.Residual[0] != ':' {
		s.primaryName = filepath.Base(n.Path)
	}
	return s
}

func (s dirStore) Update(fn func(old *Cache) (*Cache, error)) error {
	dir := filepath.Dir(s.Path)
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("credential cache directory %s cannot be created: its parent does not exist", dir)
		}
		return fmt.Errorf("cannot create credential cache directory %s: %w", dir, err)
	}
	// Whoever made the directory, krenew writes tickets only into one
	// that is the user's: another user may have created it first.
	owner, err := checkedCollectionDir(dir, s.policy())
	if err != nil {
		return err
	}
	s.NewOwner = owner
	if err := s.FileStore.Update(fn); err != nil {
		return err
	}
	if s.primaryName == "" {
		return nil
	}
	return writePrimaryIfMissing(dir, s.primaryName, owner)
}

// writePrimaryIfMissing writes "<name>\n" to dir/primary unless a primary
// is already recorded: switching the primary is kswitch's business, not
// krenew's. The file is written aside and linked into place, so a reader
// never sees an empty primary file and an existing one is never replaced.
func writePrimaryIfMissing(dir, name string, owner *FileOwner) error {
	path := filepath.Join(dir, "primary")
	if _, err := os.Lstat(path); err == nil {
		return nil
	}
	fail := func(err error) error {
		return fmt.Errorf("cache written, but recording it as the primary of %s failed: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, ".primary.krenew-")
	if err != nil {
		return fail(err)
	}
	defer os.Remove(tmp.Name())
	werr := giveTo(tmp, owner)
	if werr == nil {
		_, werr = tmp.WriteString(name + "\n")
	}
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fail(werr)
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return fail(err)
	}
	return nil
}
