package ccache

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// CreatePrivate writes c to a new cache file named prefix plus random
// characters in dir, the way mkstemp names files: mode 0600, never an
// existing name, never through a symlink. It is for a cache that only one
// command uses (krenew -- command).
func CreatePrivate(dir, prefix string, c *Cache) (FileStore, error) {
	if !filepath.IsAbs(dir) {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return FileStore{}, err
		}
		dir = abs
	}
	for range 16 {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return FileStore{}, err
		}
		s := FileStore{Path: filepath.Join(dir, prefix+hex.EncodeToString(b[:])[:12])}
		if _, err := os.Lstat(s.Path); !errors.Is(err, fs.ErrNotExist) {
			continue
		}
		created := false
		err := s.Update(func(old *Cache) (*Cache, error) {
			if old != nil {
				return nil, fs.ErrExist // someone took the name meanwhile
			}
			created = true
			return c, nil
		})
		if errors.Is(err, fs.ErrExist) || errors.Is(err, ErrSymlink) && !created {
			continue
		}
		if err != nil {
			return FileStore{}, err
		}
		return s, nil
	}
	return FileStore{}, fmt.Errorf("cannot find a free name for a private cache in %s", dir)
}
