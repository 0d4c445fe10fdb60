package ccache

import (
	"bytes"
	"errors"
	"time"
)

// Updating a cache in place, for daemons without REPLACE (Heimdal).
//
// MIT's libkrb5 walks a KCM cache by asking for the credentials' UUIDs and
// then for each credential by UUID, and takes the first UUID that has
// vanished for the end of the cache. Replacing the whole cache (MOVE_CACHE)
// makes every UUID vanish. A renewal changes one entry, so it is done as a
// STORE of the new TGT, which Heimdal appends, then a REMOVE_CRED of the
// old one: the other entries keep their UUIDs, and readers see the old
// TGT, both, or the new one, never a cache without one.
//
// That does not make MIT's klist -s safe by itself: kinit puts the TGT
// after its configuration entries, so a reader that has listed the UUIDs
// and not yet reached the old TGT when it is removed stops short of any
// TGT, in a window as wide as with MOVE_CACHE (measured: about 0.3 failed
// klist -s per renewal under three klist loops either way). Readers of
// "KCM:" are kept out of that window by a stand-in (kcm_standin.go);
// readers naming the cache keep it. Heimdal offers nothing that would
// close it: every way to change a cache makes some UUID vanish, and the
// TGT being replaced can never have a valid TGT before it.

// kcmWriteInPlace is the name of the in-place strategy.
const kcmWriteInPlace = "STORE+REMOVE_CRED"

// errKCMNoRemove: the daemon lacks REMOVE_CRED, or refused to say.
var errKCMNoRemove = errors.New("the KCM daemon cannot remove single credentials")

// kcmOldCache is what an in-place update needs of the cache fn was given,
// taken before fn runs, since fn may change the cache it gets.
type kcmOldCache struct {
	princ  []byte   // the default principal, encoded
	offset int32    // KDC offset in seconds
	creds  [][]byte // the credentials, encoded, in the daemon's order
	ids    [][]byte // their UUIDs, same order
}

func newKCMOldCache(c *Cache, ids [][]byte) *kcmOldCache {
	if c == nil || ids == nil || len(ids) != len(c.Credentials) {
		return nil
	}
	o := &kcmOldCache{princ: MarshalPrincipal(c.DefaultPrincipal), offset: kcmOffsetOf(c), ids: ids}
	for i := range c.Credentials {
		o.creds = append(o.creds, MarshalCredential(c.Credentials[i]))
	}
	return o
}

// kcmPlan is an in-place update: what to store, what to remove, and what
// the cache must hold afterwards.
type kcmPlan struct {
	store     []Credential // entries of the new cache the old one lacks
	remove    []Credential // entries of the old cache the new one lacks
	kept      [][]byte     // UUIDs of the old entries that stay
	want      int          // number of entries afterwards
	setOffset bool
	offset    int32 // the new KDC offset
	oldOffset int32
}

// planInPlace works out an in-place update from old to c, or reports that
// there is none: a different principal (or no old cache) needs
// INITIALIZE, and an entry whose removal would also remove one that must
// stay (Heimdal removes every entry that matches) needs a whole rewrite.
func planInPlace(old *kcmOldCache, c *Cache) (*kcmPlan, bool) {
	if old == nil || !bytes.Equal(old.princ, MarshalPrincipal(c.DefaultPrincipal)) {
		return nil, false
	}
	p := &kcmPlan{want: len(c.Credentials), offset: kcmOffsetOf(c), oldOffset: old.offset}
	p.setOffset = p.offset != p.oldOffset
	used := make([]bool, len(old.creds))
	oldKeys := map[string]bool{}
	for _, enc := range old.creds {
		oldKeys[string(kcmMatchKeyOf(enc))] = true
	}
	keptKeys := map[string]bool{}
next:
	for i := range c.Credentials {
		enc := MarshalCredential(c.Credentials[i])
		for j := range old.creds {
			if !used[j] && bytes.Equal(enc, old.creds[j]) {
				used[j] = true
				p.kept = append(p.kept, old.ids[j])
				keptKeys[string(kcmMatchKeyOf(enc))] = true
				continue next
			}
		}
		// A stored entry that matches an old one could not be taken
		// back on failure without removing the old one too.
		if oldKeys[string(kcmMatchKey(&c.Credentials[i]))] {
			return nil, false
		}
		p.store = append(p.store, c.Credentials[i])
	}
	for j, u := range used {
		if u {
			continue
		}
		cred, err := UnmarshalCredential(old.creds[j])
		if err != nil || keptKeys[string(kcmMatchKey(&cred))] {
			return nil, false
		}
		p.remove = append(p.remove, cred)
	}
	return p, true
}

// kcmMatchKey is what Heimdal's krb5_compare_creds looks at when
// REMOVE_CRED sends client and server with kcmMatchTimesExact: the
// principals' realms and components, compared as C strings (so up to a
// NUL; the name type is ignored), and the four times. Two entries with
// the same key cannot be told apart by REMOVE_CRED.
func kcmMatchKey(c *Credential) []byte {
	w := &writer{}
	for _, p := range []Principal{c.Client, c.Server} {
		w.data(cString(p.Realm))
		w.u32(uint32(len(p.Components)))
		for _, comp := range p.Components {
			w.data(cString(comp))
		}
	}
	w.timestamp(c.AuthTime)
	w.timestamp(c.StartTime)
	w.timestamp(c.EndTime)
	w.timestamp(c.RenewTill)
	return w.b
}

func kcmMatchKeyOf(enc []byte) []byte {
	c, err := UnmarshalCredential(enc)
	if err != nil {
		// Cannot happen for an encoding MarshalCredential made; a
		// key no other entry has keeps the plan conservative.
		return append([]byte("\x00undecodable"), enc...)
	}
	return kcmMatchKey(&c)
}

func cString(s string) []byte {
	if i := bytes.IndexByte([]byte(s), 0); i >= 0 {
		s = s[:i]
	}
	return []byte(s)
}

// kcmProbe is a REMOVE_CRED that matches nothing, sent once per store to
// learn whether the daemon has the operation before anything is stored.
var kcmProbe = Credential{
	Server:   Principal{NameType: NameTypePrincipal, Realm: "KRENEW.INVALID", Components: []string{"krenew-remove-cred-probe"}},
	AuthTime: time.Unix(1, 0), StartTime: time.Unix(2, 0), EndTime: time.Unix(3, 0), RenewTill: time.Unix(4, 0),
}

// canRemove reports whether REMOVE_CRED works on cache name, asking the
// daemon the first time. A status that does not mean "unsupported" (a
// permission problem, say) is not remembered.
func (s *KCMStore) canRemove(conn *kcmConn, name string, client Principal) (bool, error) {
	if s.noRemove.Load() {
		return false, nil
	}
	if s.hasRemove.Load() {
		return true, nil
	}
	probe := kcmProbe
	probe.Client = client
	_, err := conn.call(kcmOpRemoveCred, kcmNameArg(name), kcmRemoveArgs(&probe))
	var st *kcmStatusError
	switch {
	case err == nil, errors.As(err, &st) && st.Code == kcmCodeCCNotFound:
		s.hasRemove.Store(true)
		return true, nil
	case isUnsupported(err):
		s.noRemove.Store(true)
		return false, nil
	case errors.As(err, &st):
		return false, nil
	}
	return false, err
}

func (s *KCMStore) removeCred(conn *kcmConn, name string, c *Credential) error {
	_, err := conn.call(kcmOpRemoveCred, kcmNameArg(name), kcmRemoveArgs(c))
	if st := (*kcmStatusError)(nil); errors.As(err, &st) && st.Code == kcmCodeCCNotFound {
		// Gone already: an earlier removal took it along with an
		// entry of the same key, which was to go as well.
		return nil
	}
	return err
}

// writeInPlace carries out p: the new KDC offset, the new entries, then
// the removals, then a check that the cache holds what it should. A
// failure while storing takes the stored entries back out; a failure
// after that, or a cache that does not check out, is repaired by
// rewriting it whole. It returns the strategy that produced the cache,
// or errKCMNoRemove before changing anything.
func (s *KCMStore) writeInPlace(conn *kcmConn, name string, p *kcmPlan, c *Cache) (string, error) {
	if len(p.store)+len(p.remove) > 0 {
		ok, err := s.canRemove(conn, name, c.DefaultPrincipal)
		if err != nil {
			return "", err
		}
		if !ok {
			return "", errKCMNoRemove
		}
	}
	if p.setOffset {
		if _, err := conn.call(kcmOpSetKDCOffset, kcmNameArg(name), kcmU32(uint32(p.offset))); ignoreStatus(err) != nil {
			return "", err
		}
	}
	for i := range p.store {
		if _, err := conn.call(kcmOpStore, kcmNameArg(name), MarshalCredential(p.store[i])); err != nil {
			s.undoStores(conn, name, p, p.store[:i+1])
			return "", err
		}
	}
	for i := range p.remove {
		if err := s.removeCred(conn, name, &p.remove[i]); err != nil {
			return s.repair(conn, name, c, err)
		}
	}
	if len(p.store)+len(p.remove) == 0 {
		return kcmWriteInPlace, nil
	}
	now, err := s.uuids(conn, name)
	if err != nil && conn.err != nil {
		return "", err
	}
	if err == nil && p.holds(now) {
		return kcmWriteInPlace, nil
	}
	if err == nil && len(now) > p.want && containsAll(now, p.kept) {
		// REMOVE_CRED answered yes but did not remove: this daemon's
		// idea of a match is not Heimdal's. Stop using it.
		s.noRemove.Store(true)
	}
	return s.repair(conn, name, c, nil)
}

// noop: the cache already holds what fn returned.
func (p *kcmPlan) noop() bool {
	return len(p.store)+len(p.remove) == 0 && !p.setOffset
}

// holds reports whether the UUIDs after an in-place update are what p
// leads to: every kept entry, and as many entries as the new cache has.
func (p *kcmPlan) holds(ids [][]byte) bool {
	return len(ids) == p.want && containsAll(ids, p.kept)
}

func containsAll(ids, want [][]byte) bool {
	have := make(map[string]bool, len(ids))
	for _, id := range ids {
		have[string(id)] = true
	}
	for _, id := range want {
		if !have[string(id)] {
			return false
		}
	}
	return true
}

// undoStores takes back the entries an in-place update stored before it
// failed, and the KDC offset, so the cache is as it was; the removals have
// not started, and no stored entry matches an old one (planInPlace).
func (s *KCMStore) undoStores(conn *kcmConn, name string, p *kcmPlan, stored []Credential) {
	conn, done := s.usable(conn)
	if conn == nil {
		return
	}
	defer done()
	for i := range stored {
		_ = s.removeCred(conn, name, &stored[i])
		if conn.err != nil {
			return
		}
	}
	if p.setOffset {
		_, _ = conn.call(kcmOpSetKDCOffset, kcmNameArg(name), kcmU32(uint32(p.oldOffset)))
	}
}

// repair finishes an in-place update that went wrong after the new
// entries were stored by rewriting the cache whole, so that it ends up as
// fn wanted rather than with both old and new entries. If the rewrite
// fails too, cause (if any) is returned.
func (s *KCMStore) repair(conn *kcmConn, name string, c *Cache, cause error) (string, error) {
	conn, done := s.usable(conn)
	if conn == nil {
		return "", cause
	}
	defer done()
	strategy, err := s.rewrite(conn, name, c)
	if err != nil && cause != nil {
		return "", cause
	}
	return strategy, err
}

// usable returns conn, or a fresh connection if conn broke, or nil if the
// daemon timed out (it is not asked again) or cannot be reached. done
// closes what usable opened.
func (s *KCMStore) usable(conn *kcmConn) (*kcmConn, func()) {
	if conn.err == nil {
		return conn, func() {}
	}
	var to interface{ Timeout() bool }
	if errors.As(conn.err, &to) && to.Timeout() {
		return nil, nil
	}
	fresh, err := dialKCM(s.Socket, conn.cache, conn.timeout)
	if err != nil {
		return nil, nil
	}
	return fresh, func() { fresh.Close() }
}
