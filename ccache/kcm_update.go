package ccache

import (
	"bytes"
	"errors"
	"strings"
)

// Write strategies, tried in the order kcmWriteOrder gives. A write's
// strategy, as told to kcmHooks.wrote, comes after kcmWriteStandIn if the
// default cache was written behind a stand-in.
const (
	kcmWriteReplace    = "REPLACE"
	kcmWriteNothing    = "UNCHANGED"
	kcmWriteMove       = "GEN_NEW+MOVE_CACHE"
	kcmWriteInitialize = "INITIALIZE+STORE"
)

// Update reads the cache, passes it to fn (nil if it does not exist) and
// writes what fn returns in its place; (nil, nil) leaves it alone and an
// error from fn is returned as is with the cache untouched.
func (s *KCMStore) Update(fn func(old *Cache) (*Cache, error)) error {
	kcmWriteMu.Lock()
	defer kcmWriteMu.Unlock()
	conn, name, err := s.session()
	if err != nil {
		return err
	}
	defer conn.Close()
	old, ids, err := s.load(conn, name)
	if errors.Is(err, ErrNotFound) {
		old, ids, err = nil, nil, nil
	}
	if err != nil {
		return s.wrap(name, err)
	}
	var before *kcmOldCache
	if ids != nil {
		// Read by UUID (Heimdal): MIT's readers walk it the same way.
		before = newKCMOldCache(old)
	}
	c, err := fn(old)
	if err != nil || c == nil {
		return err
	}
	return s.wrap(name, s.write(conn, name, before, c))
}

// write stores c as cache name, which held old (nil if it did not exist
// or the daemon has GET_CRED_LIST, whose readers see any write whole).
func (s *KCMStore) write(conn *kcmConn, name string, old *kcmOldCache, c *Cache) error {
	wasDefault := s.Name == "" // resolved by GET_DEFAULT_CACHE just now
	if !wasDefault {
		def, err := s.defaultOrNone(conn)
		if err != nil {
			return err
		}
		wasDefault = def == name
	}
	w := &kcmWrite{conn: conn, name: name, old: old, c: withoutMarkers(c)}
	strategy, err := s.writeWith(kcmWriteOrder(), w)
	// Behind a stand-in the default is switched back by retire, which
	// also lets a switch by another program meanwhile stand.
	if err == nil && wasDefault && strategy != kcmWriteNothing && strategy != kcmWriteReplace && !strings.HasPrefix(strategy, kcmWriteStandIn) {
		err = s.keepDefault(conn, name)
	}
	if err == nil && s.hooks != nil {
		s.hooks.wrote(strategy)
	}
	return err
}

// rewrite replaces the whole cache: through a temporary cache and
// MOVE_CACHE where the daemon can, else INITIALIZE and STORE into the
// cache itself.
func (s *KCMStore) rewrite(conn *kcmConn, name string, c *Cache) (string, error) {
	return s.writeWith(kcmRewriteOrder(), &kcmWrite{conn: conn, name: name, c: c})
}

// kcmWrite is one write of c to cache name, for the strategies.
type kcmWrite struct {
	conn *kcmConn
	name string
	old  *kcmOldCache // see write
	c    *Cache
}

// kcmOldCache is what a write needs of the cache fn was given, taken
// before fn runs, since fn may change the cache it gets.
type kcmOldCache struct {
	princ  []byte   // the default principal, encoded
	offset int32    // KDC offset in seconds
	creds  [][]byte // the credentials, encoded, in the daemon's order
}

func newKCMOldCache(c *Cache) *kcmOldCache {
	o := &kcmOldCache{princ: MarshalPrincipal(c.DefaultPrincipal), offset: kcmOffsetOf(c)}
	for i := range c.Credentials {
		o.creds = append(o.creds, MarshalCredential(c.Credentials[i]))
	}
	return o
}

// holds reports whether the old cache already is c: the same principal,
// KDC offset and credentials, in any order (reordering alone is not worth
// a rewrite, under which MIT's readers of the cache can stop short).
func (o *kcmOldCache) holds(c *Cache) bool {
	if !bytes.Equal(o.princ, MarshalPrincipal(c.DefaultPrincipal)) || o.offset != kcmOffsetOf(c) || len(o.creds) != len(c.Credentials) {
		return false
	}
	count := make(map[string]int, len(o.creds))
	for _, enc := range o.creds {
		count[string(enc)]++
	}
	for i := range c.Credentials {
		enc := string(MarshalCredential(c.Credentials[i]))
		if count[enc] == 0 {
			return false
		}
		count[enc]--
	}
	return true
}

// kcmStrategy is one way of writing a cache. write returns the strategy
// that produced the cache (empty: name), or the error of a write it tried,
// or errKCMSkip when it does not apply or the daemon turned out to lack
// it, having changed nothing; the next strategy is then tried.
type kcmStrategy struct {
	name  string
	write func(s *KCMStore, w *kcmWrite) (string, error)
}

// errKCMSkip: a strategy does not apply; try the next one.
var errKCMSkip = errors.New("KCM write strategy does not apply")

// kcmWriteOrder is the order in which an Update tries the strategies:
//
//   - REPLACE first, where the daemon has it (MIT's extension; neither
//     Heimdal 7.8 nor sssd-kcm 2.8 has it): one call, which readers see
//     whole.
//   - Then nothing at all if the cache already holds what fn returned;
//     otherwise temporary caches stranded by a killed krenew are swept
//     here, before the strategies below make temporary caches of their
//     own.
//   - The stand-in next, for the default cache only: it keeps readers of
//     "KCM:" off the cache while kcmRewriteOrder replaces it
//     (kcm_standin.go), and tries that itself.
//   - Then kcmRewriteOrder: the whole cache, replaced.
//
// Heimdal once had one more, between the stand-in and MOVE_CACHE: a
// renewal written in place, as a STORE of the new TGT and a REMOVE_CRED
// of the old, which kept the other entries' UUIDs. Measured against MIT's
// own kinit -R in one run (BenchmarkKCMReaders, 2000 renewals each, a
// loop of MIT klist -s on "KCM:"), it made more klist -s fail per renewal
// than kinit -R did (0.032 against 0.021; MOVE_CACHE alone 0.0135), so it
// was removed. The stand-in stays: behind it no klist -s failed, against
// 0.020 per renewal for kinit -R in the same run.
func kcmWriteOrder() []kcmStrategy {
	return append([]kcmStrategy{
		{kcmWriteReplace, (*KCMStore).writeReplace},
		{kcmWriteNothing, (*KCMStore).writeUnchanged},
		{kcmWriteStandIn, (*KCMStore).writeStandIn},
	}, kcmRewriteOrder()...)
}

// kcmRewriteOrder replaces the whole cache: through a temporary cache and
// MOVE_CACHE first, which readers see whole (the old or the new cache),
// and INITIALIZE and STORE into the cache itself last, which every daemon
// has but which readers can see half done; it never skips.
func kcmRewriteOrder() []kcmStrategy {
	return []kcmStrategy{
		{kcmWriteMove, (*KCMStore).writeMove},
		{kcmWriteInitialize, (*KCMStore).writeInitialize},
	}
}

// writeWith tries strategies in order until one does not skip. The last
// of each list never skips.
func (s *KCMStore) writeWith(strategies []kcmStrategy, w *kcmWrite) (string, error) {
	for _, st := range strategies {
		used, err := st.write(s, w)
		if errors.Is(err, errKCMSkip) {
			continue
		}
		if used == "" {
			used = st.name
		}
		return used, err
	}
	panic("ccache: every KCM write strategy skipped")
}

func (s *KCMStore) writeReplace(w *kcmWrite) (string, error) {
	if s.noReplace.Load() {
		return "", errKCMSkip
	}
	_, err := w.conn.call(kcmOpReplace, kcmNameArg(w.name), kcmReplaceArgs(kcmOffsetOf(w.c), w.c))
	if !isUnsupported(err) {
		return kcmWriteReplace, err
	}
	s.noReplace.Store(true)
	return "", errKCMSkip
}

// writeUnchanged ends the write, sending nothing, if the cache already
// holds what fn returned; otherwise it sweeps stale temporary caches
// (kcm_temps.go) for the strategies after it.
func (s *KCMStore) writeUnchanged(w *kcmWrite) (string, error) {
	if w.old != nil && w.old.holds(w.c) {
		return kcmWriteNothing, nil
	}
	if err := s.sweepTemps(w.conn, w.name); err != nil {
		return "", err
	}
	return "", errKCMSkip
}

func (s *KCMStore) writeStandIn(w *kcmWrite) (string, error) {
	if s.Name != "" || w.old == nil || s.noMove.Load() || s.noStandIn.Load() {
		return "", errKCMSkip
	}
	strategy, err := s.writeBehindStandIn(w.conn, w.name, w.c)
	if errors.Is(err, errKCMNoStandIn) {
		return "", errKCMSkip
	}
	return strategy, err
}

func (s *KCMStore) writeMove(w *kcmWrite) (string, error) {
	if s.noMove.Load() {
		return "", errKCMSkip
	}
	err := s.writeViaTemp(w.conn, w.name, w.c, kcmOffsetOf(w.c))
	if errors.Is(err, errKCMNoMove) {
		s.noMove.Store(true)
		return "", errKCMSkip
	}
	return kcmWriteMove, err
}

func (s *KCMStore) writeInitialize(w *kcmWrite) (string, error) {
	return kcmWriteInitialize, s.fill(w.conn, w.name, w.c, kcmOffsetOf(w.c))
}

// keepDefault makes name, the default cache before a write, the default
// again if the write lost it that. sssd-kcm 2.8 (Debian 12) has neither
// REPLACE nor MOVE_CACHE, so a cache is rewritten with INITIALIZE, which
// sssd does by deleting and recreating it, and now and then the deletion
// takes the default along; a temporary cache from GEN_NEW, tried before
// MOVE_CACHE turns out missing, becomes the default when INITIALIZEd and
// takes it along when destroyed. GET_DEFAULT_CACHE then answers the uid's
// own cache ("KCM:1000"), so renewing carol's primary would switch the
// user to alice's (MIT's kinit -R does the same there, now and then).
// Only the cache krenew wrote is put back, so a switch by another program
// to any other cache stands.
func (s *KCMStore) keepDefault(conn *kcmConn, name string) error {
	now, err := s.defaultOrNone(conn)
	if err != nil || now == name {
		return err
	}
	_, err = conn.call(kcmOpSetDefaultCache, kcmNameArg(name))
	return ignoreStatus(err)
}

// defaultOrNone is the daemon's default cache, "" if it will not say.
func (s *KCMStore) defaultOrNone(conn *kcmConn) (string, error) {
	name, err := s.defaultName(conn)
	if err != nil {
		return "", ignoreStatus(err)
	}
	return name, nil
}

// errKCMNoMove: the daemon lacks GEN_NEW or MOVE_CACHE.
var errKCMNoMove = errors.New("the KCM daemon cannot move caches")

// writeViaTemp fills a fresh cache and moves it over the target, which
// Heimdal does by swapping the two caches' contents under its lock, so
// readers see the old or the new cache. The temporary cache is destroyed
// on failure; the target is untouched until the move.
func (s *KCMStore) writeViaTemp(conn *kcmConn, name string, c *Cache, offset int32) error {
	tmp, err := s.makeTemp(conn, c, offset)
	if err != nil {
		return err
	}
	_, err = conn.call(kcmOpMoveCache, kcmNameArg(tmp), kcmNameArg(name))
	if err != nil {
		s.destroyQuietly(conn, tmp)
	}
	if isUnsupported(err) {
		return errKCMNoMove
	}
	return err
}

// makeTemp makes a new cache from GEN_NEW holding c, without making it
// the default, and returns its name; errKCMNoMove if the daemon has no
// GEN_NEW. On failure nothing is left behind.
func (s *KCMStore) makeTemp(conn *kcmConn, c *Cache, offset int32) (string, error) {
	if err := s.pinDefault(conn); err != nil {
		return "", err
	}
	reply, err := conn.call(kcmOpGenNew)
	if isUnsupported(err) {
		return "", errKCMNoMove
	}
	if err != nil {
		return "", err
	}
	tmp, err := decodeKCMName(kcmOpGenNew, reply)
	if err != nil {
		return "", err
	}
	if err := s.fillTemp(conn, tmp, c, offset); err != nil {
		s.destroyQuietly(conn, tmp)
		return "", err
	}
	return tmp, nil
}

// fillTemp is fill with a marker (kcm_temps.go) while the credentials are
// in: INITIALIZE, the KDC offset, the marker as the first entry, the
// credentials, then the marker's removal. A krenew killed meanwhile leaves
// a cache the next write recognises.
func (s *KCMStore) fillTemp(conn *kcmConn, tmp string, c *Cache, offset int32) error {
	if err := s.initialize(conn, tmp, c, offset); err != nil {
		return err
	}
	marker, err := s.markTemp(conn, tmp, c)
	if err != nil {
		return err
	}
	if err := s.storeAll(conn, tmp, c); err != nil {
		return err
	}
	if marker == nil {
		return nil
	}
	_, err = conn.call(kcmOpRemoveCred, kcmNameArg(tmp), kcmRemoveArgs(marker))
	if st := (*kcmStatusError)(nil); errors.As(err, &st) {
		// The probe passed, yet the marker stays: do not rely on
		// REMOVE_CRED again, and let the next attempt go without.
		s.noRemove.Store(true)
	}
	return err
}

// pinDefault makes the daemon's current default cache explicit. Without
// an explicit default Heimdal answers GET_DEFAULT_CACHE with the user's
// most recently created cache, which during an update is the temporary
// one, so a reader of "KCM:" would see a half-filled cache. Pinning the
// name it answers anyway changes no answer; DESTROY or MOVE_CACHE of that
// cache drops the pin again.
func (s *KCMStore) pinDefault(conn *kcmConn) error {
	reply, err := conn.call(kcmOpGetDefaultCache)
	if err != nil {
		return ignoreStatus(err)
	}
	def, err := decodeKCMName(kcmOpGetDefaultCache, reply)
	if err != nil {
		return err
	}
	_, err = conn.call(kcmOpSetDefaultCache, kcmNameArg(def))
	return ignoreStatus(err)
}

// fill makes name a cache holding c in place: INITIALIZE (which empties
// an existing cache), one STORE per credential in order, then the KDC
// offset. Readers see the cache empty from the INITIALIZE until the
// STORE of the TGT (sssd-kcm, whose protocol offers nothing better, and
// MIT's own kinit -R there alike), so nothing else is sent in between:
// the offset, which INITIALIZE resets to 0, comes last.
func (s *KCMStore) fill(conn *kcmConn, name string, c *Cache, offset int32) error {
	if _, err := conn.call(kcmOpInitialize, kcmNameArg(name), MarshalPrincipal(c.DefaultPrincipal)); err != nil {
		return err
	}
	if err := s.storeAll(conn, name, c); err != nil {
		return err
	}
	return s.setOffset(conn, name, offset)
}

func (s *KCMStore) initialize(conn *kcmConn, name string, c *Cache, offset int32) error {
	if _, err := conn.call(kcmOpInitialize, kcmNameArg(name), MarshalPrincipal(c.DefaultPrincipal)); err != nil {
		return err
	}
	return s.setOffset(conn, name, offset)
}

// setOffset sets a cache's KDC offset. MIT ignores a failed
// SET_KDC_OFFSET; an offset is an optimisation. Setting 0 too matters: a
// moved cache takes the offset along.
func (s *KCMStore) setOffset(conn *kcmConn, name string, offset int32) error {
	if _, err := conn.call(kcmOpSetKDCOffset, kcmNameArg(name), kcmU32(uint32(offset))); ignoreStatus(err) != nil {
		return err
	}
	return nil
}

func (s *KCMStore) storeAll(conn *kcmConn, name string, c *Cache) error {
	for i := range c.Credentials {
		if _, err := conn.call(kcmOpStore, kcmNameArg(name), MarshalCredential(c.Credentials[i])); err != nil {
			return err
		}
	}
	return nil
}

// destroyQuietly removes a temporary cache after a failed update, on a
// fresh connection if the failure broke this one, so that no copy of the
// credentials is left behind; a daemon that timed out is not asked again.
func (s *KCMStore) destroyQuietly(conn *kcmConn, name string) {
	conn, done := s.usable(conn)
	if conn == nil {
		return
	}
	defer done()
	_, _ = conn.call(kcmOpDestroy, kcmNameArg(name))
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

func isUnsupported(err error) bool {
	var st *kcmStatusError
	return errors.As(err, &st) && st.unsupported()
}

// ignoreStatus drops a status the daemon answered with, keeping errors
// that mean the connection or the reply is broken.
func ignoreStatus(err error) error {
	var st *kcmStatusError
	if errors.As(err, &st) {
		return nil
	}
	return err
}
