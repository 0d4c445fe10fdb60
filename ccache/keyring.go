package ccache

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The KEYRING cache layout is MIT's (src/lib/krb5/ccache/cc_keyring.c), so
// that klist, kinit -R and kvno share caches with krenew:
//
//	anchor keyring (session, user, process, thread; persistent: the uid's
//	persistent keyring)
//	└─ keyring "_krb_<collection>" (persistent: "_krb")
//	   ├─ user "krb_ccache:primary"   version 1 and the primary cache's name
//	   └─ keyring "<subsidiary>"       one cache
//	      ├─ user "__krb5_princ__"         default principal, v4 encoding
//	      ├─ user "__krb5_time_offsets__"  KDC offset, 32-bit sec and usec
//	      └─ big_key or user "<server principal>"  one v4 credential each
//
// The names below must not change: they are how other programs find the
// cache.
const (
	krCollectionPrefix = "_krb_"
	krPersistentName   = "_krb"
	krPrimaryKey       = "krb_ccache:primary"
	krPrincipalKey     = "__krb5_princ__"
	krOffsetsKey       = "__krb5_time_offsets__"
	krPrimaryVersion   = 1
	// krDefaultPrimary names the primary cache of a collection whose name
	// is empty, because a key description cannot be empty.
	krDefaultPrimary = "tkt"
	// krMaxDescription is the kernel's limit on a key description.
	krMaxDescription = 4095
)

// Anchors MIT accepts before the collection name.
const (
	anchorSession    = "session"
	anchorUser       = "user"
	anchorPersistent = "persistent"
	anchorProcess    = "process"
	anchorThread     = "thread"
	anchorLegacy     = "legacy"
)

// keyringName is a KEYRING residual split the way MIT's parse_residual
// splits it: "anchor:collection[:subsidiary]", or a bare "collection" in
// the legacy anchor (the session keyring).
type keyringName struct {
	anchor, collection string
	// subsidiary names one cache of the collection; empty means the
	// collection's primary cache.
	subsidiary string
}

// parseKeyringName validates a KEYRING residual. The cache it names is
// only looked up when it is opened: which cache is primary can change
// between the parse and each use, and klist looks it up on every run too.
func parseKeyringName(residual string) (Name, error) {
	if _, err := splitKeyringResidual(residual); err != nil {
		return Name{}, err
	}
	return Name{Type: "KEYRING", Residual: residual}, nil
}

// KeyringStore is a KEYRING credential cache in Linux kernel keyrings.
//
// Load reads the cache MIT's klist would show. Update writes in place:
// adding a key whose type and description a keyring already holds replaces
// that key's payload atomically and keeps its serial number, so readers
// (MIT's included, which list a cache's keys and then read them one by one)
// see each credential old or new, never missing. Only keys fn changed are
// written and only keys fn dropped are unlinked, after the rest is in
// place. A cache that does not exist yet is built completely in a private
// keyring and then moved into its collection in one step. Remove is MIT's
// kdestroy.
//
// Within the process, writers are serialized. Across processes MIT has no
// lock for keyring caches; Update starts over (calling fn again) if the
// cache was created, replaced or destroyed between its read and its write.
type KeyringStore struct{ name keyringName }

func openKeyring(n Name) (Store, error) {
	k, err := splitKeyringResidual(n.Residual)
	if err != nil {
		return nil, err
	}
	return &KeyringStore{name: k}, nil
}

func splitKeyringResidual(residual string) (keyringName, error) {
	var k keyringName
	anchor, rest, ok := strings.Cut(residual, ":")
	if !ok {
		k.anchor, k.collection = anchorLegacy, residual
	} else {
		k.anchor = anchor
		var hasSub bool
		k.collection, k.subsidiary, hasSub = strings.Cut(rest, ":")
		if hasSub && k.subsidiary == "" {
			return k, fmt.Errorf("cache name KEYRING:%s ends in a colon: the cache name after it is empty", residual)
		}
	}
	if strings.IndexByte(residual, 0) >= 0 {
		return k, fmt.Errorf("cache name KEYRING:%q contains a NUL byte", residual)
	}
	switch k.anchor {
	case anchorSession, anchorUser, anchorProcess, anchorThread, anchorLegacy:
	case anchorPersistent:
		if _, err := persistentUID(k.collection); err != nil {
			return k, fmt.Errorf("cache name KEYRING:%s: %w", residual, err)
		}
	default:
		return k, fmt.Errorf("cache name KEYRING:%s has an unknown keyring %q: use session, user, persistent, process or thread",
			residual, k.anchor)
	}
	if len(krCollectionPrefix)+len(k.collection) > krMaxDescription || len(k.subsidiary) > krMaxDescription {
		return k, fmt.Errorf("cache name KEYRING:%s is longer than a kernel key description may be", residual)
	}
	return k, nil
}

// persistentUID reads the uid of "persistent:<uid>"; -1 stands for the
// empty uid, which MIT takes as the effective uid. Only plain decimal is
// accepted: MIT's strtol would also take a sign or leading blanks, and
// "-1", which the kernel reads as "the caller", would silently name a
// different keyring than the one the user meant.
func persistentUID(s string) (int64, error) {
	if s == "" {
		return -1, nil
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("the persistent keyring takes a numeric uid, not %q", s)
		}
	}
	uid, err := strconv.ParseUint(s, 10, 32)
	if err != nil || uid == 1<<32-1 {
		return 0, fmt.Errorf("uid %s of the persistent keyring is out of range", s)
	}
	return int64(uid), nil
}

// cacheName is the name MIT gives the cache sub of the collection, the one
// klist prints: "KEYRING:anchor:collection:sub".
func (k keyringName) cacheName(sub string) string {
	return "KEYRING:" + k.anchor + ":" + k.collection + ":" + sub
}

// defaultPrimary is the cache a collection without a primary key uses.
func (k keyringName) defaultPrimary() string {
	if k.collection == "" {
		return krDefaultPrimary
	}
	return k.collection
}

// isLegacyCache is MIT's is_legacy_cache_name: the cache named after its
// legacy collection is also linked straight into the session keyring,
// where pre-1.12 libkrb5 looks for it, and gets no time offsets key, which
// that code cannot parse.
func (k keyringName) isLegacyCache(sub string) bool {
	return k.anchor == anchorLegacy && sub == k.collection
}

// encodePrimary is the payload of krb_ccache:primary.
func encodePrimary(sub string) []byte {
	b := make([]byte, 8, 8+len(sub))
	binary.BigEndian.PutUint32(b, krPrimaryVersion)
	binary.BigEndian.PutUint32(b[4:], uint32(len(sub)))
	return append(b, sub...)
}

var errPrimaryFormat = errors.New("malformed primary cache key")

// decodePrimary reads krb_ccache:primary as MIT's parse_index does:
// trailing bytes are ignored, an unknown version is an error.
func decodePrimary(b []byte) (string, error) {
	if len(b) < 8 {
		return "", fmt.Errorf("%w: %d bytes", errPrimaryFormat, len(b))
	}
	version := binary.BigEndian.Uint32(b)
	n := binary.BigEndian.Uint32(b[4:])
	if uint64(n) > uint64(len(b)-8) {
		return "", fmt.Errorf("%w: name of %d bytes in %d", errPrimaryFormat, n, len(b)-8)
	}
	if version != krPrimaryVersion {
		return "", fmt.Errorf("%w: unknown version %d", errPrimaryFormat, version)
	}
	return string(b[8 : 8+n]), nil
}
