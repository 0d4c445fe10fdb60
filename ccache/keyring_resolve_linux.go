package ccache

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// keyTarget is where a KEYRING name leads at one moment.
type keyTarget struct {
	name       string // as klist prints it, for messages
	sub        string // the cache keyring's description
	collection int    // 0: the collection keyring does not exist
	hasPrimary bool   // the collection has a krb_ccache:primary key
	cache      int    // 0: the cache keyring does not exist
	// legacyLink: the cache was found linked straight into the session
	// keyring by pre-1.12 libkrb5, not in the collection.
	legacyLink bool
}

// anchorFor returns the keyring a collection lives in and, for anchors
// that do not confer possession, the keyring MIT links the collection into
// to keep possession (the process keyring). MIT's get_collection.
func (k keyringName) anchorFor() (anchor, possess int, err error) {
	switch k.anchor {
	case anchorPersistent:
		uid, err := persistentUID(k.collection)
		if err != nil {
			return 0, 0, err
		}
		id, err := persistentKeyring(uid)
		return id, unix.KEY_SPEC_PROCESS_KEYRING, err
	case anchorProcess:
		return unix.KEY_SPEC_PROCESS_KEYRING, 0, nil
	case anchorThread:
		return unix.KEY_SPEC_THREAD_KEYRING, 0, nil
	case anchorUser:
		return unix.KEY_SPEC_USER_KEYRING, unix.KEY_SPEC_PROCESS_KEYRING, nil
	case anchorSession, anchorLegacy:
		return sessionWriteAnchor(), 0, nil
	}
	return 0, 0, fmt.Errorf("unknown keyring anchor %q", k.anchor)
}

func (k keyringName) collectionDescription() string {
	if k.anchor == anchorPersistent {
		return krPersistentName
	}
	return krCollectionPrefix + k.collection
}

// findCollection returns the collection keyring, 0 if it does not exist
// and create is false. Creating follows MIT's find_or_create_keyring: with
// a possession keyring, the new keyring is made there and then linked into
// the anchor.
func (k keyringName) findCollection(create bool) (int, error) {
	anchor, possess, err := k.anchorFor()
	if err != nil {
		return 0, err
	}
	desc := k.collectionDescription()
	id, found, err := keySearch(anchor, keyTypeKeyring, desc, possess)
	if found {
		return id, nil
	}
	if !create {
		if err != nil {
			return 0, fmt.Errorf("cannot look up collection keyring %s: %w", desc, err)
		}
		return 0, nil
	}
	if possess == 0 {
		id, err = keyAdd(keyTypeKeyring, desc, nil, anchor)
	} else if id, err = keyAdd(keyTypeKeyring, desc, nil, possess); err == nil {
		err = keyLink(id, anchor)
	}
	if err != nil {
		return 0, fmt.Errorf("cannot create collection keyring %s: %w", desc, err)
	}
	return id, nil
}

// readPrimaryKey returns the collection's primary cache name, if it has
// a primary key.
func readPrimaryKey(collection int) (string, bool, error) {
	id, found, err := keySearch(collection, keyTypeUser, krPrimaryKey, 0)
	if !found {
		if err != nil {
			return "", false, fmt.Errorf("cannot look up %s: %w", krPrimaryKey, err)
		}
		return "", false, nil
	}
	b, err := keyRead(id)
	if err != nil {
		return "", false, fmt.Errorf("cannot read %s: %w", krPrimaryKey, err)
	}
	sub, err := decodePrimary(b)
	if err != nil {
		return "", false, err
	}
	return sub, true, nil
}

func writePrimaryKey(collection int, sub string) error {
	if _, err := keyAdd(keyTypeUser, krPrimaryKey, encodePrimary(sub), collection); err != nil {
		return fmt.Errorf("cannot set the primary cache: %w", err)
	}
	return nil
}

// resolve finds the cache as MIT's krcc_resolve does, without its side
// effects (MIT creates the collection and its primary key even to read);
// with create, the collection keyring is made if missing.
func (k keyringName) resolve(create bool) (keyTarget, error) {
	var t keyTarget
	coll, err := k.findCollection(create)
	if err != nil {
		return t, err
	}
	t.collection = coll
	t.sub = k.subsidiary
	if t.sub == "" && coll != 0 {
		sub, ok, err := readPrimaryKey(coll)
		if err != nil {
			return t, err
		}
		t.sub, t.hasPrimary = sub, ok
	} else if coll != 0 {
		_, t.hasPrimary, err = readPrimaryKey(coll)
		if err != nil {
			return t, err
		}
	}
	if t.sub == "" {
		t.sub = k.defaultPrimary()
	}
	t.name = k.cacheName(t.sub)
	if coll != 0 {
		id, found, err := keySearch(coll, keyTypeKeyring, t.sub, 0)
		if err != nil {
			return t, fmt.Errorf("cannot look up cache keyring %s: %w", t.sub, err)
		}
		if found {
			t.cache = id
			return t, nil
		}
	}
	// A legacy collection without a primary key adopts a cache that old
	// libkrb5 left in the session keyring; MIT links it into the
	// collection on first use, and writers here do too.
	if k.anchor == anchorLegacy && k.subsidiary == "" && !t.hasPrimary {
		id, found, err := keySearch(unix.KEY_SPEC_SESSION_KEYRING, keyTypeKeyring, t.sub, 0)
		if err != nil {
			return t, fmt.Errorf("cannot look up legacy cache keyring %s: %w", t.sub, err)
		}
		if found {
			t.cache, t.legacyLink = id, true
		}
	}
	return t, nil
}
