package ccache

import (
	"fmt"
	"io/fs"
)

// keyUniquePrefix and keyUniqueRandom make MIT's unique_keyring names:
// "krb_ccache_" and KRCC_NAME_RAND_CHARS (8) given to
// krb5int_random_string, which counts the terminating NUL, so 7 random
// characters.
const (
	keyUniquePrefix   = "krb_ccache_"
	keyUniqueRandom   = 7
	keyUniqueAttempts = 100
)

// listKeyring is MIT's krcc_ptcursor: the primary cache if its keyring
// exists, then every other keyring linked into the collection, in the
// kernel's order.
func listKeyring(n Name) ([]Member, error) {
	k, err := splitKeyringResidual(n.Residual)
	if err != nil {
		return nil, err
	}
	var members []Member
	err = threadFor(k, false).do(func() error {
		t, err := k.resolve(false)
		if err != nil || t.collection == 0 {
			return err
		}
		if t.cache != 0 {
			m, err := keyringMember(k, t.sub, t.cache)
			if err != nil {
				return err
			}
			m.Primary = true
			members = append(members, m)
		}
		ids, err := keyringList(t.collection)
		if err != nil {
			return fmt.Errorf("cannot list collection keyring %s: %w", k.collectionDescription(), err)
		}
		for _, id := range ids {
			typ, desc, err := keyDescribe(id)
			if err != nil || typ != keyTypeKeyring || desc == t.sub {
				continue // gone meanwhile, or not a cache
			}
			m, err := keyringMember(k, desc, id)
			if err != nil {
				return err
			}
			members = append(members, m)
		}
		return nil
	})
	if err != nil {
		return nil, &fs.PathError{Op: "list", Path: "KEYRING:" + n.Residual, Err: err}
	}
	return members, nil
}

// keyringMember reads the principal key of cache keyring id, named sub;
// a keyring without one (MIT reserves new names that way) is
// uninitialized.
func keyringMember(k keyringName, sub string, id int) (Member, error) {
	m := Member{Name: Name{Type: "KEYRING", Residual: k.anchor + ":" + k.collection + ":" + sub}}
	princID, b, err := readNamedKey(id, krPrincipalKey)
	if err != nil && !keyGone(err) {
		return m, err
	}
	if princID == 0 {
		return m, nil
	}
	if p, _, err := DecodePrincipalPrefix(b); err == nil {
		m.Principal, m.Initialized = p, true
	}
	return m, nil
}

// newKeyringUnique picks a cache name the collection does not hold.
// Unlike MIT, which reserves it with an empty keyring, nothing is
// created: the store's first Update creates the cache, and only if no
// keyring of that name appeared meanwhile.
func newKeyringUnique(n Name) (Name, error) {
	k, err := splitKeyringResidual(n.Residual)
	if err != nil {
		return Name{}, err
	}
	var sub string
	err = threadFor(k, false).do(func() error {
		coll, err := k.findCollection(false)
		if err != nil {
			return err
		}
		for range keyUniqueAttempts {
			suffix, err := randomChars(keyUniqueRandom)
			if err != nil {
				return err
			}
			sub = keyUniquePrefix + suffix
			if coll == 0 {
				return nil
			}
			if _, found, err := keySearch(coll, keyTypeKeyring, sub, 0); err != nil {
				return err
			} else if !found {
				return nil
			}
		}
		return fmt.Errorf("no free cache name after %d attempts", keyUniqueAttempts)
	})
	if err != nil {
		return Name{}, &fs.PathError{Op: "create", Path: "KEYRING:" + n.Residual, Err: err}
	}
	return Name{Type: "KEYRING", Residual: k.anchor + ":" + k.collection + ":" + sub}, nil
}

// freshKeyringStore is a cache ForPrincipal named but did not create.
// MIT's kinit resolved the collection before making a new cache in it,
// and that resolve writes the primary key if there is none (naming the
// collection's default cache, or adopting a legacy one); without it, the
// first cache made in the collection would become its primary, and the
// cache that was the primary would stop being one before any switch.
type freshKeyringStore struct{ *KeyringStore }

func openFreshKeyring(n Name) (Store, error) {
	s, err := openKeyring(n)
	if err != nil {
		return nil, err
	}
	return freshKeyringStore{s.(*KeyringStore)}, nil
}

func (s freshKeyringStore) Update(fn func(old *Cache) (*Cache, error)) error {
	primary := s.name
	primary.subsidiary = ""
	keyWriters.Lock()
	err := keyWriter().do(func() error {
		t, err := primary.resolve(true)
		if err != nil || t.hasPrimary {
			return err
		}
		if t.legacyLink {
			if err := keyLink(t.cache, t.collection); err != nil {
				return err
			}
		}
		return writePrimaryKey(t.collection, t.sub)
	})
	keyWriters.Unlock()
	if err != nil {
		return &fs.PathError{Op: "write", Path: s.name.cacheName(s.name.subsidiary), Err: err}
	}
	return s.KeyringStore.Update(fn)
}

// switchKeyring is MIT's krcc_switch_to: the collection's primary key is
// rewritten, which the kernel does atomically.
func switchKeyring(n Name) error {
	k, err := splitKeyringResidual(n.Residual)
	if err != nil {
		return err
	}
	keyWriters.Lock()
	defer keyWriters.Unlock()
	return keyWriter().do(func() error {
		coll, err := k.findCollection(true)
		if err != nil {
			return err
		}
		return writePrimaryKey(coll, k.subsidiary)
	})
}
