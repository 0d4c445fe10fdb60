package ccache

import (
	"fmt"
	"io/fs"
)

// keyEntry is one key of a cache keyring other than the principal and
// time offsets keys.
type keyEntry struct {
	id          int
	typ, desc   string
	payload     []byte
	unreachable bool // expired, revoked or unlinked while we read: not part of the cache
}

// keySnapshot is a cache keyring as read at one moment.
type keySnapshot struct {
	target    keyTarget
	princID   int // 0: no principal key, so the cache is not initialized
	princ     []byte
	offsetsID int
	offsets   []byte
	entries   []keyEntry // in the kernel's order
}

// readSnapshot reads the cache the way MIT's make_cache and cursor do: the
// principal and time offsets keys are looked up by name and every other
// key is a credential. Keys that vanish or expire between listing and
// reading are skipped; MIT skips vanished ones too, and fails on expired
// ones, which the kernel keeps listed for a few minutes after a ticket
// ends.
func readSnapshot(t keyTarget) (*keySnapshot, error) {
	s := &keySnapshot{target: t}
	var err error
	if s.princID, s.princ, err = readNamedKey(t.cache, krPrincipalKey); err != nil {
		return nil, err
	}
	if s.offsetsID, s.offsets, err = readNamedKey(t.cache, krOffsetsKey); err != nil {
		return nil, err
	}
	ids, err := keyringList(t.cache)
	if err != nil {
		return nil, fmt.Errorf("cannot list the keys of cache keyring %s: %w", t.sub, err)
	}
	for _, id := range ids {
		if id == s.princID || id == s.offsetsID {
			continue
		}
		e := keyEntry{id: id}
		e.typ, e.desc, err = keyDescribe(id)
		if err == nil && e.typ == keyTypeUser && (e.desc == krPrincipalKey || e.desc == krOffsetsKey) {
			// Recreated by a concurrent kinit since the lookup above;
			// never a credential.
			continue
		}
		if err == nil {
			e.payload, err = keyRead(id)
		}
		if err != nil && !keyGone(err) {
			return nil, fmt.Errorf("cannot read key %d of cache keyring %s: %w", id, t.sub, err)
		}
		e.unreachable = err != nil
		s.entries = append(s.entries, e)
	}
	return s, nil
}

// readNamedKey finds and reads a user key of the cache keyring; id 0
// means there is none.
func readNamedKey(cache int, desc string) (int, []byte, error) {
	id, found, err := keySearch(cache, keyTypeUser, desc, 0)
	if err != nil {
		return 0, nil, fmt.Errorf("cannot look up %s: %w", desc, err)
	}
	if !found {
		return 0, nil, nil
	}
	b, err := keyRead(id)
	if keyGone(err) {
		return 0, nil, nil
	}
	if err != nil {
		return 0, nil, fmt.Errorf("cannot read %s: %w", desc, err)
	}
	return id, b, nil
}

// cache decodes the snapshot. As in MIT, bytes after an encoded principal
// or credential are ignored.
func (s *keySnapshot) cache() (*Cache, error) {
	p, _, err := DecodePrincipalPrefix(s.princ)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", krPrincipalKey, err)
	}
	c := &Cache{Version: 4, DefaultPrincipal: p}
	if len(s.offsets) >= 8 {
		c.Header = []HeaderField{{Tag: HeaderKDCOffset, Value: append([]byte(nil), s.offsets[:8]...)}}
	}
	for _, e := range s.entries {
		if e.unreachable {
			continue
		}
		cred, _, err := DecodeCredentialPrefix(e.payload)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", e.desc, err)
		}
		c.Credentials = append(c.Credentials, cred)
	}
	return c, nil
}

// load resolves and reads the cache; a nil snapshot means there is no
// cache keyring, one without a principal key an uninitialized cache
// keyring. It runs on a key thread.
func (s *KeyringStore) load() (*keySnapshot, keyTarget, error) {
	t, err := s.name.resolve(false)
	if err != nil || t.cache == 0 {
		return nil, t, err
	}
	snap, err := readSnapshot(t)
	return snap, t, err
}

// initialized reports whether the snapshot is a cache MIT would read: one
// with a default principal.
func (s *keySnapshot) initialized() bool { return s != nil && s.princID != 0 }

// displayName is the name for messages before the cache is resolved.
func (s *KeyringStore) displayName(t keyTarget) string {
	if t.name != "" {
		return t.name
	}
	if s.name.subsidiary != "" {
		return s.name.cacheName(s.name.subsidiary)
	}
	return "KEYRING:" + s.name.anchor + ":" + s.name.collection
}

// Load reads the cache. A missing collection, cache keyring or principal
// key is an error matching ErrNotFound.
func (s *KeyringStore) Load() (*Cache, error) {
	var c *Cache
	var t keyTarget
	err := threadFor(s.name, false).do(func() error {
		snap, target, err := s.load()
		t = target
		if err != nil {
			return err
		}
		if !snap.initialized() {
			return ErrNotFound
		}
		c, err = snap.cache()
		return err
	})
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: s.displayName(t), Err: err}
	}
	return c, nil
}

// Remove destroys the cache as kdestroy does (MIT's krcc_destroy): the
// cache keyring is cleared and unlinked from its collection, and a legacy
// cache from the session keyring too. The collection and its primary key
// stay, as with MIT.
func (s *KeyringStore) Remove() error {
	keyWriters.Lock()
	defer keyWriters.Unlock()
	var t keyTarget
	err := keyWriter().do(func() error {
		var err error
		if t, err = s.name.resolve(false); err != nil {
			return err
		}
		if t.cache == 0 {
			return ErrNotFound
		}
		if err := keyClear(t.cache); err != nil {
			return err
		}
		if t.collection != 0 {
			if err := keyUnlink(t.cache, t.collection); err != nil {
				return err
			}
		}
		if s.name.isLegacyCache(t.sub) {
			_ = keyUnlink(t.cache, sessionWriteAnchor())
		}
		return nil
	})
	if err != nil {
		return &fs.PathError{Op: "remove", Path: s.displayName(t), Err: err}
	}
	return nil
}

// CacheName returns the name MIT's klist prints for the cache, resolving a
// collection to its primary cache ("KEYRING:session:x" becomes
// "KEYRING:session:x:x").
func (s *KeyringStore) CacheName() (string, error) {
	var t keyTarget
	err := threadFor(s.name, false).do(func() error {
		var err error
		t, err = s.name.resolve(false)
		return err
	})
	if err != nil {
		return "", &fs.PathError{Op: "resolve", Path: s.displayName(t), Err: err}
	}
	return t.name, nil
}
