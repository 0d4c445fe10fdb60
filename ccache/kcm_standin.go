package ccache

import (
	"errors"
	"time"
)

// Writing the default cache ("KCM:") behind a stand-in.
//
// MIT's libkrb5 walks a KCM cache by asking for the credentials' UUIDs
// and then for each credential by UUID, and takes the first UUID that has
// vanished for the end of the cache. However a Heimdal cache is changed,
// some credential UUID vanishes (replacing it with MOVE_CACHE makes all of
// them vanish), and a reader whose walk reaches it before the TGT stops
// there; klist -s then fails. Heimdal offers nothing that would close that
// window. But MIT readers of "KCM:" ask the daemon for the default cache's
// name once and then use that name. So the default cache is updated while
// readers are pointed elsewhere:
//
//  1. a new cache, the stand-in, is filled with the new contents;
//  2. the stand-in becomes the default: new readers of "KCM:" read it;
//  3. after a grace period, in which readers that resolved the old name
//     finish their walk, the real cache is replaced (kcmRewriteOrder);
//  4. the real cache becomes the default again, unless someone else has
//     switched it meanwhile;
//  5. after another grace period the stand-in is destroyed.
//
// A reader of "KCM:" whose walk takes less than the grace period thus
// walks a cache nobody changes, and the cache keeps its name. Readers that
// name the cache explicitly ("KCM:0") see step 3 as before. The price is
// two grace periods per write; BenchmarkKCMReaders weighs it against what
// readers see during MIT's own kinit -R. A krenew killed in step 3 leaves the
// stand-in as the default, holding the new contents, and the real cache
// with the old ones; killed in step 5, the stand-in as a copy that is no
// longer the default. Neither carries a marker (kcm_temps.go), which its
// readers would see, so neither is swept.
//
// Writers of "KCM:" resolve it the same way: a kinit, kinit -R or kswitch
// -p run during steps 2 to 5 may write to the stand-in, or make it the
// default again. Destroying it then would lose their ticket, so before
// step 4 and again before step 5 the stand-in is compared with what krenew
// put there; if anyone else has used it, the newest write wins: the
// stand-in is moved over the real cache instead (see retire).

// kcmWriteStandIn prefixes the strategy told to kcmHooks.wrote.
const kcmWriteStandIn = "STAND-IN+"

// kcmReaderGrace is how long a reader that resolved "KCM:" just before a
// switch is given to finish. A whole MIT klist -s takes a few
// milliseconds; on a machine with load 6 on two CPUs 1% took over 50ms
// and the slowest 107ms.
const kcmReaderGrace = 250 * time.Millisecond

// kcmStandInStep names the points of a write behind a stand-in at which
// kcmHooks.standInStep runs.
type kcmStandInStep int

const (
	kcmStepStandIn kcmStandInStep = iota // the stand-in is the default
	kcmStepWritten                       // the real cache is written
	kcmStepBack                          // the real cache is the default again
)

// errKCMNoStandIn: no stand-in could be set up; nothing was changed.
var errKCMNoStandIn = errors.New("the KCM daemon cannot switch the default cache")

func (s *KCMStore) readerGrace() time.Duration {
	if s.hooks != nil {
		if g := s.hooks.readerGrace(); g > 0 {
			return g
		}
	}
	return kcmReaderGrace
}

func (s *KCMStore) atStep(step kcmStandInStep, tmp string) {
	if s.hooks != nil {
		s.hooks.standInStep(step, tmp)
	}
}

// writeBehindStandIn writes c to name, the default cache.
func (s *KCMStore) writeBehindStandIn(conn *kcmConn, name string, c *Cache) (string, error) {
	tmp, err := s.makeTemp(conn, c, kcmOffsetOf(c))
	if errors.Is(err, errKCMNoMove) {
		s.noMove.Store(true)
		return "", errKCMNoStandIn
	}
	if err != nil {
		return "", err
	}
	// Taken while no other program can know the stand-in's name.
	ours, err := s.standInState(conn, tmp)
	if err != nil {
		s.destroyQuietly(conn, tmp)
		return "", err
	}
	if _, err := conn.call(kcmOpSetDefaultCache, kcmNameArg(tmp)); err != nil {
		s.destroyQuietly(conn, tmp)
		if ignoreStatus(err) == nil {
			s.noStandIn.Store(true)
			return "", errKCMNoStandIn
		}
		return "", err
	}
	s.atStep(kcmStepStandIn, tmp)
	time.Sleep(s.readerGrace())
	strategy, err := s.rewrite(conn, name, c)
	s.atStep(kcmStepWritten, tmp)
	// The real cache is back as the default whether or not the write
	// worked: it holds either the new contents or, after a failure, the
	// old ones, as a failed Update must leave it.
	if rerr := s.retire(conn, name, tmp, ours); err == nil {
		err = rerr
	}
	if err != nil {
		return "", err
	}
	return kcmWriteStandIn + strategy, nil
}

// kcmStandInState is what a stand-in holds, as far as needed to tell
// whether anyone else wrote to it: Heimdal gives every stored credential
// a fresh random UUID, so any STORE, REMOVE_CRED or INITIALIZE (kinit,
// kinit -R) changes the UUID list or the principal.
type kcmStandInState struct {
	princ Principal
	ids   [][]byte
}

func (s *KCMStore) standInState(conn *kcmConn, tmp string) (kcmStandInState, error) {
	princ, err := s.principal(conn, tmp)
	if err != nil {
		return kcmStandInState{}, err
	}
	ids, err := s.uuids(conn, tmp)
	return kcmStandInState{princ: princ, ids: ids}, err
}

// standInChanged reports whether the stand-in tmp holds anything but
// ours. One that is gone (a kdestroy of "KCM:") has nothing to keep.
func (s *KCMStore) standInChanged(conn *kcmConn, tmp string, ours kcmStandInState) (bool, error) {
	now, err := s.standInState(conn, tmp)
	if errors.Is(err, ErrNotFound) || errors.Is(err, errKCMChanged) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return !now.princ.Equal(ours.princ) || !sameUUIDs(now.ids, ours.ids), nil
}

// retire makes name the default again if the stand-in tmp still is, and
// destroys tmp once its readers have had their grace, unless someone else
// has used it meanwhile (adopt). The second look catches writers that
// resolved "KCM:" before the switch back; only a write in the one round
// trip between that look and DESTROY can still be lost, since Heimdal
// has no DESTROY conditional on the contents. (A krenew killed during the
// grace leaves tmp behind, a copy of the cache that is no longer the
// default. Marking it would show the marker to its readers.)
func (s *KCMStore) retire(conn *kcmConn, name, tmp string, ours kcmStandInState) error {
	conn, done := s.usable(conn)
	if conn == nil {
		return errKCMLostStandIn
	}
	defer done()
	changed, err := s.standInChanged(conn, tmp, ours)
	if err != nil {
		return err
	}
	if changed {
		return s.adopt(conn, name, tmp)
	}
	if _, err := s.takeBackDefault(conn, name, tmp); err != nil {
		return err
	}
	s.atStep(kcmStepBack, tmp)
	time.Sleep(s.readerGrace())
	cur, err := s.defaultName(conn)
	if err != nil {
		return err
	}
	changed, err = s.standInChanged(conn, tmp, ours)
	if err != nil {
		return err
	}
	// Made the default again after the switch back (kswitch -p, or a
	// kinit that found the stand-in by its principal): destroying it
	// would leave "KCM:" to whichever cache Heimdal finds first.
	if changed || cur == tmp {
		return s.adopt(conn, name, tmp)
	}
	_, err = conn.call(kcmOpDestroy, kcmNameArg(tmp))
	return ignoreStatus(err)
}

// adopt moves the stand-in tmp, which someone else used, over the real
// cache name: it holds the newest write, and the cache keeps its name.
// name becomes the default first if tmp is, since MOVE_CACHE drops a
// default naming its source; a switch to any other cache stands. Readers
// walking tmp may stop short, as the other writer's own write made them.
func (s *KCMStore) adopt(conn *kcmConn, name, tmp string) error {
	switched, err := s.takeBackDefault(conn, name, tmp)
	if err != nil {
		return err
	}
	if _, err := conn.call(kcmOpMoveCache, kcmNameArg(tmp), kcmNameArg(name)); err != nil {
		// The newest contents stay in tmp, and so does the default.
		if switched {
			_, _ = conn.call(kcmOpSetDefaultCache, kcmNameArg(tmp))
		}
		return err
	}
	if s.hooks != nil {
		s.hooks.adoptedStandIn()
	}
	return nil
}

// takeBackDefault makes name the default if tmp is, and reports whether
// it did.
func (s *KCMStore) takeBackDefault(conn *kcmConn, name, tmp string) (bool, error) {
	cur, err := s.defaultName(conn)
	if err != nil || cur != tmp {
		return false, err
	}
	if _, err := conn.call(kcmOpSetDefaultCache, kcmNameArg(name)); err != nil {
		// The stand-in stays the default, and so it stays.
		return false, err
	}
	return true, nil
}

func (s *KCMStore) defaultName(conn *kcmConn) (string, error) {
	reply, err := conn.call(kcmOpGetDefaultCache)
	if err != nil {
		return "", err
	}
	return decodeKCMName(kcmOpGetDefaultCache, reply)
}

// errKCMLostStandIn: the daemon went away with the stand-in as default.
var errKCMLostStandIn = errors.New("lost the KCM daemon while a stand-in was the default cache")
