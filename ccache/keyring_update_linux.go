package ccache

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"time"

	"golang.org/x/sys/unix"
)

// keyUpdateAttempts bounds how often Update starts over because another
// process created, replaced or destroyed the cache between read and write.
const keyUpdateAttempts = 100

// errKeyRaced: the cache changed identity between Update's read and write.
var errKeyRaced = errors.New("cache keyring changed during the update")

// stagingKeyring names the keyring, in the writer thread's process
// keyring, where new caches are assembled. MIT never links anything of
// that name there (only "_krb_*" collections, "_krb" and persistent
// keyrings), so it cannot displace one of MIT's links.
const stagingKeyring = "krenew:staging"

// Update is a read-modify-write of the cache; see KeyringStore. fn gets
// nil when the cache does not exist and may be called again if another
// process changed the cache in between. If fn fails, nothing is written.
func (s *KeyringStore) Update(fn func(old *Cache) (*Cache, error)) error {
	keyWriters.Lock()
	defer keyWriters.Unlock()
	w := keyWriter()
	for range keyUpdateAttempts {
		var snap *keySnapshot
		var t keyTarget
		var old *Cache
		err := w.do(func() error {
			var err error
			if snap, t, err = s.load(); err != nil || !snap.initialized() {
				return err
			}
			old, err = snap.cache()
			return err
		})
		if err != nil {
			return &fs.PathError{Op: "read", Path: s.displayName(t), Err: err}
		}
		c, err := fn(old)
		if err != nil || c == nil {
			return err
		}
		err = w.do(func() error { return s.write(t, snap, c) })
		if errors.Is(err, errKeyRaced) {
			continue
		}
		if err != nil {
			return &fs.PathError{Op: "write", Path: s.displayName(t), Err: err}
		}
		return nil
	}
	return &fs.PathError{Op: "write", Path: s.displayName(keyTarget{}),
		Err: fmt.Errorf("cache was created or removed %d times while updating", keyUpdateAttempts)}
}

// write stores c where the read found snap (nil: no cache keyring).
// It runs on the writer thread.
func (s *KeyringStore) write(read keyTarget, snap *keySnapshot, c *Cache) error {
	t, err := s.name.resolve(true)
	if err != nil {
		return err
	}
	if t.cache != read.cache || t.sub != read.sub {
		return errKeyRaced
	}
	if t.legacyLink {
		// Adopt the old-style cache into its collection, as MIT's
		// first resolve would have, and update it there.
		if err := keyLink(t.cache, t.collection); err != nil {
			return err
		}
		if err := writePrimaryKey(t.collection, t.sub); err != nil {
			return err
		}
		return errKeyRaced
	}
	legacyType := s.name.anchor == anchorLegacy
	withOffsets := !s.name.isLegacyCache(t.sub)
	if t.cache != 0 {
		if snap == nil {
			return errKeyRaced
		}
		// A keyring without a principal key (MIT reserves new names
		// that way) is filled in place too; its principal key comes
		// last, so readers find no cache until it is complete.
		return writeInPlace(t.cache, snap, c, legacyType, withOffsets)
	}
	return s.create(t, c, legacyType, withOffsets)
}

// credKey is one credential as MIT's krcc_store writes it.
type credKey struct {
	desc    string
	payload []byte
	end     uint32
}

// credKeys lists c's credentials by key description. MIT stores each
// credential with add_key, which replaces a key of the same description,
// so of several credentials for one server the last one stored wins; the
// first one's position is kept here, which only matters for the order of
// this list, not for the kernel's.
func credKeys(c *Cache) []credKey {
	var keys []credKey
	at := map[string]int{}
	for i := range c.Credentials {
		cr := &c.Credentials[i]
		k := credKey{desc: cr.Server.String(), payload: MarshalCredential(*cr), end: keyTime(cr.EndTime)}
		if j, ok := at[k.desc]; ok {
			keys[j] = k
			continue
		}
		at[k.desc] = len(keys)
		keys = append(keys, k)
	}
	return keys
}

// keyTime is a time as libkrb5's 32-bit unsigned krb5_timestamp.
func keyTime(t time.Time) uint32 {
	if t.IsZero() {
		return 0
	}
	s := t.Unix()
	switch {
	case s < 0:
		return 0
	case s > math.MaxUint32:
		return math.MaxUint32
	}
	return uint32(s)
}

func offsetsPayload(c *Cache) ([]byte, bool) {
	for _, f := range c.Header {
		if f.Tag == HeaderKDCOffset && len(f.Value) == 8 {
			return f.Value, true
		}
	}
	return nil, false
}

// addCredKey is MIT's add_cred_key: big_key unless the collection is
// legacy or the kernel lacks it, else user. Its timeout is set by
// setKeyExpiries.
func addCredKey(k credKey, ring int, legacyType bool) (int, error) {
	id, err := -1, error(unix.ENODEV)
	if !legacyType {
		id, err = keyAdd(keyTypeBigKey, k.desc, k.payload, ring)
	}
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENODEV) {
		id, err = keyAdd(keyTypeUser, k.desc, k.payload, ring)
	}
	if err != nil {
		return 0, fmt.Errorf("cannot store the credential for %s: %w", k.desc, err)
	}
	return id, nil
}

// cacheTimeout is MIT's update_keyring_expiration: the cache keyring
// expires with its last ticket, or in one second if all have ended (zero
// would mean never); ok is false without any end time, and the keyring is
// left alone.
func cacheTimeout(keys []credKey, now uint32) (timeout uint32, ok bool) {
	var end uint32
	for _, k := range keys {
		end = max(end, k.end)
	}
	if end == 0 {
		return 0, false
	}
	if end > now {
		return end - now, true
	}
	return 1, true
}

// setKeyExpiries gives the cache keyring and each ticket key in it (ids)
// the cache's timeout. MIT's krcc_store times each key to its own ticket,
// but MIT's cursor gives up on the first key it cannot read ("No
// credentials cache found"), and the kernel keeps an expired key listed
// for minutes: a service ticket older than a renewed TGT would make the
// whole cache unreadable once it ended. So no key may expire before its
// keyring; an ended ticket stays readable, as in a FILE cache, and MIT
// skips it when looking for credentials.
func setKeyExpiries(cache int, ids []int, keys []credKey, now uint32) error {
	timeout, ok := cacheTimeout(keys, now)
	if !ok {
		return nil
	}
	for _, id := range ids {
		// An add_key over an existing key clears its timeout, and a
		// key kept as it was still has the one of its own ticket.
		if err := keySetTimeout(id, timeout); err != nil && !keyGone(err) {
			return fmt.Errorf("cannot set the expiry of credential key %d: %w", id, err)
		}
	}
	return keySetTimeout(cache, timeout)
}

// writeInPlace turns the cache keyring from snap into c. Keys whose
// payload fn left as it was are kept (only their timeout follows the
// cache's), keys it changed or added are written (an add_key over a key
// of the same type and description swaps its payload atomically), then
// the principal, and only then are the keys it dropped unlinked. A key another process added since the read is left
// alone, as it would be had that process written after us.
func writeInPlace(cache int, snap *keySnapshot, c *Cache, legacyType, withOffsets bool) error {
	now := keyTime(time.Now())
	keys := credKeys(c)
	old := map[string][]*keyEntry{}
	for i := range snap.entries {
		e := &snap.entries[i]
		if !e.unreachable {
			old[e.desc] = append(old[e.desc], e)
		}
	}
	keep := map[int]bool{}
	var ids []int
	for _, k := range keys {
		if e := samePayload(old[k.desc], k.payload); e != nil {
			keep[e.id] = true
			ids = timedKey(ids, k, e.id)
			continue
		}
		id, err := addCredKey(k, cache, legacyType)
		if err != nil {
			return err
		}
		keep[id] = true
		ids = timedKey(ids, k, id)
	}
	if off, ok := offsetsPayload(c); ok && withOffsets {
		if snap.offsetsID == 0 || !bytes.Equal(snap.offsets, off) {
			if _, err := keyAdd(keyTypeUser, krOffsetsKey, off, cache); err != nil {
				return fmt.Errorf("cannot store the KDC time offset: %w", err)
			}
		}
	} else if snap.offsetsID != 0 && withOffsets {
		if err := keyUnlink(snap.offsetsID, cache); err != nil {
			return err
		}
	}
	princ := MarshalPrincipal(c.DefaultPrincipal)
	if snap.princID == 0 || !bytes.Equal(snap.princ, princ) {
		if _, err := keyAdd(keyTypeUser, krPrincipalKey, princ, cache); err != nil {
			return fmt.Errorf("cannot store the default principal: %w", err)
		}
	}
	for _, e := range snap.entries {
		if !keep[e.id] {
			if err := keyUnlink(e.id, cache); err != nil {
				return fmt.Errorf("cannot remove the key for %s: %w", e.desc, err)
			}
		}
	}
	return setKeyExpiries(cache, ids, keys, now)
}

// timedKey adds id to the keys whose timeout follows the cache's: those
// of tickets. A configuration entry has no end time and, as in MIT,
// never expires on its own.
func timedKey(ids []int, k credKey, id int) []int {
	if k.end == 0 {
		return ids
	}
	return append(ids, id)
}

func samePayload(entries []*keyEntry, payload []byte) *keyEntry {
	for _, e := range entries {
		if bytes.Equal(e.payload, payload) {
			return e
		}
	}
	return nil
}

// create makes a cache that does not exist: assembled in a staging
// keyring, then moved into the collection in one step that fails if a
// cache of that name appeared meanwhile, so readers never see it
// half-built and a concurrent kinit is never overwritten. Then, as kinit
// does for a collection that has none, the primary key is set.
func (s *KeyringStore) create(t keyTarget, c *Cache, legacyType, withOffsets bool) error {
	staging, err := stagingRing()
	if err != nil {
		return err
	}
	cache, err := keyAdd(keyTypeKeyring, t.sub, nil, staging)
	if err != nil {
		return fmt.Errorf("cannot create cache keyring %s: %w", t.sub, err)
	}
	published := false
	defer func() {
		if !published {
			_ = keyClear(cache)
			_ = keyUnlink(cache, staging)
		}
	}()
	if err := writeInPlace(cache, &keySnapshot{}, c, legacyType, withOffsets); err != nil {
		return err
	}
	switch err := keyMove(cache, staging, t.collection); {
	case errors.Is(err, unix.EEXIST):
		return errKeyRaced
	case errors.Is(err, errMoveUnsupported):
		// Before Linux 5.1: check, then link. The window between
		// the two is what MIT's own find_or_create_keyring has.
		if _, found, _ := keySearch(t.collection, keyTypeKeyring, t.sub, 0); found {
			return errKeyRaced
		}
		if err := keyLink(cache, t.collection); err != nil {
			return fmt.Errorf("cannot link cache keyring %s into its collection: %w", t.sub, err)
		}
		_ = keyUnlink(cache, staging)
	case err != nil:
		return fmt.Errorf("cannot move cache keyring %s into its collection: %w", t.sub, err)
	}
	published = true
	if s.name.isLegacyCache(t.sub) {
		_ = keyLink(cache, sessionWriteAnchor())
	}
	if !t.hasPrimary {
		return writePrimaryKey(t.collection, t.sub)
	}
	return nil
}

// keyMove is keyMoveExclusive; tests replace it to force the pre-5.1
// fallback or a lost race.
var keyMove = keyMoveExclusive

// stagingRing finds or makes the writer thread's staging keyring.
func stagingRing() (int, error) {
	id, found, err := keySearch(unix.KEY_SPEC_PROCESS_KEYRING, keyTypeKeyring, stagingKeyring, 0)
	if found {
		return id, nil
	}
	_ = err // no process keyring yet, or no staging keyring in it
	id, err = keyAdd(keyTypeKeyring, stagingKeyring, nil, unix.KEY_SPEC_PROCESS_KEYRING)
	if err != nil {
		return 0, fmt.Errorf("cannot create a staging keyring in the process keyring: %w", err)
	}
	return id, nil
}
