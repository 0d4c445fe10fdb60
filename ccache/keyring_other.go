//go:build !linux

package ccache

import (
	"errors"
	"io/fs"
)

// errNoKeyrings: KEYRING caches live in Linux kernel keyrings.
var errNoKeyrings = errors.New("KEYRING caches need Linux kernel keyrings")

func (s *KeyringStore) fail(op string) error {
	return &fs.PathError{Op: op, Path: "KEYRING:" + s.name.anchor + ":" + s.name.collection, Err: errNoKeyrings}
}

// Load fails: there are no kernel keyrings on this system.
func (s *KeyringStore) Load() (*Cache, error) { return nil, s.fail("read") }

// Update fails: there are no kernel keyrings on this system.
func (s *KeyringStore) Update(func(*Cache) (*Cache, error)) error { return s.fail("write") }

// Remove fails: there are no kernel keyrings on this system.
func (s *KeyringStore) Remove() error { return s.fail("remove") }

// CacheName fails: there are no kernel keyrings on this system.
func (s *KeyringStore) CacheName() (string, error) { return "", s.fail("resolve") }
