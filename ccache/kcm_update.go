package ccache

import "errors"

// Write strategies, in order of preference (kcmWriteInPlace goes between
// the first two); lastWrite records which one the last Update used, after
// kcmWriteStandIn if the default cache was written behind a stand-in.
const (
	kcmWriteReplace    = "REPLACE"
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
	before := newKCMOldCache(old, ids)
	c, err := fn(old)
	if err != nil || c == nil {
		return err
	}
	return s.wrap(name, s.write(conn, name, before, c))
}

// write stores c as cache name, which held old (nil if it did not exist
// or the daemon has GET_CRED_LIST, whose readers see any write whole).
func (s *KCMStore) write(conn *kcmConn, name string, old *kcmOldCache, c *Cache) error {
	c = withoutMarkers(c)
	if !s.noReplace.Load() {
		_, err := conn.call(kcmOpReplace, kcmNameArg(name), kcmReplaceArgs(kcmOffsetOf(c), c))
		if !isUnsupported(err) {
			s.wrote(kcmWriteReplace, err)
			return err
		}
		s.noReplace.Store(true)
	}
	p, ok := planInPlace(old, c)
	if !ok || s.noRemove.Load() {
		p = nil
	}
	if p != nil && p.noop() {
		s.wrote(kcmWriteInPlace, nil)
		return nil
	}
	if err := s.sweepTemps(conn, name); err != nil {
		return err
	}
	if s.Name == "" && old != nil && !s.noMove.Load() && !s.noStandIn.Load() {
		strategy, err := s.writeBehindStandIn(conn, name, p, c)
		if !errors.Is(err, errKCMNoStandIn) {
			s.wrote(strategy, err)
			return err
		}
	}
	strategy, err := s.writeTarget(conn, name, p, c)
	s.wrote(strategy, err)
	return err
}

// writeTarget writes cache name itself: in place by p if there is a plan
// and the daemon can, else whole.
func (s *KCMStore) writeTarget(conn *kcmConn, name string, p *kcmPlan, c *Cache) (string, error) {
	if p != nil {
		strategy, err := s.writeInPlace(conn, name, p, c)
		if !errors.Is(err, errKCMNoRemove) {
			return strategy, err
		}
	}
	return s.rewrite(conn, name, c)
}

// rewrite replaces the whole cache: through a temporary cache and
// MOVE_CACHE where the daemon can, else INITIALIZE and STORE in place.
func (s *KCMStore) rewrite(conn *kcmConn, name string, c *Cache) (string, error) {
	offset := kcmOffsetOf(c)
	if !s.noMove.Load() {
		err := s.writeViaTemp(conn, name, c, offset)
		if !errors.Is(err, errKCMNoMove) {
			return kcmWriteMove, err
		}
		s.noMove.Store(true)
	}
	return kcmWriteInitialize, s.fill(conn, name, c, offset)
}

func (s *KCMStore) wrote(strategy string, err error) {
	if err == nil {
		s.lastWrite.Store(strategy)
	}
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

// fill makes name a cache holding c: INITIALIZE (which empties an
// existing cache), the KDC offset, then one STORE per credential in order.
func (s *KCMStore) fill(conn *kcmConn, name string, c *Cache, offset int32) error {
	if err := s.initialize(conn, name, c, offset); err != nil {
		return err
	}
	return s.storeAll(conn, name, c)
}

func (s *KCMStore) initialize(conn *kcmConn, name string, c *Cache, offset int32) error {
	if _, err := conn.call(kcmOpInitialize, kcmNameArg(name), MarshalPrincipal(c.DefaultPrincipal)); err != nil {
		return err
	}
	// MIT ignores a failed SET_KDC_OFFSET; an offset is an optimisation.
	// Setting 0 too matters: a moved cache takes the offset along.
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
