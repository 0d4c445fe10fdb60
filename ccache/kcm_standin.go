package ccache

import (
	"errors"
	"time"
)

// Writing the default cache ("KCM:") behind a stand-in.
//
// However a Heimdal cache is changed, some credential UUID vanishes, and a
// MIT reader whose UUID walk reaches it before the TGT stops there (see
// kcm_inplace.go); klist -s then fails. But MIT readers of "KCM:" ask the
// daemon for the default cache's name once and then use that name. So the
// default cache is updated while readers are pointed elsewhere:
//
//  1. a new cache, the stand-in, is filled with the new contents;
//  2. the stand-in becomes the default: new readers of "KCM:" read it;
//  3. after a grace period, in which readers that resolved the old name
//     finish their walk, the real cache is written (in place or whole);
//  4. the real cache becomes the default again, unless someone else has
//     switched it meanwhile;
//  5. after another grace period the stand-in is destroyed.
//
// A reader of "KCM:" whose walk takes less than the grace period thus
// walks a cache nobody changes, and the cache keeps its name. Readers that
// name the cache explicitly ("KCM:0") see step 3 as before. The price is
// two grace periods per write. A krenew killed in step 3 leaves the
// stand-in as the default, holding the new contents, and the real cache
// with the old ones; killed in step 5, the stand-in as a copy that is no
// longer the default. Neither carries a marker (kcm_temps.go), which its
// readers would see, so neither is swept.

// kcmWriteStandIn prefixes the strategy in lastWrite.
const kcmWriteStandIn = "STAND-IN+"

// kcmReaderGrace is how long a reader that resolved "KCM:" just before a
// switch is given to finish. A whole MIT klist -s takes a few
// milliseconds; on a machine with load 6 on two CPUs 1% took over 50ms
// and the slowest 107ms.
const kcmReaderGrace = 250 * time.Millisecond

// errKCMNoStandIn: no stand-in could be set up; nothing was changed.
var errKCMNoStandIn = errors.New("the KCM daemon cannot switch the default cache")

func (s *KCMStore) readerGrace() time.Duration {
	if s.grace > 0 {
		return s.grace
	}
	return kcmReaderGrace
}

// writeBehindStandIn writes c to name, the default cache, in place by p
// where there is a plan.
func (s *KCMStore) writeBehindStandIn(conn *kcmConn, name string, p *kcmPlan, c *Cache) (string, error) {
	tmp, err := s.makeTemp(conn, c, kcmOffsetOf(c))
	if errors.Is(err, errKCMNoMove) {
		s.noMove.Store(true)
		return "", errKCMNoStandIn
	}
	if err != nil {
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
	time.Sleep(s.readerGrace())
	strategy, err := s.writeTarget(conn, name, p, c)
	// The real cache is back as the default whether or not the write
	// worked: it holds either the new contents or, after a failure, the
	// old ones, as a failed Update must leave it.
	if rerr := s.retire(conn, name, tmp); err == nil {
		err = rerr
	}
	if err != nil {
		return "", err
	}
	return kcmWriteStandIn + strategy, nil
}

// retire makes name the default again if the stand-in tmp still is, and
// destroys tmp once its readers have had their grace. (A krenew killed
// during that grace leaves tmp behind, a copy of the cache that is no
// longer the default. Marking it would show the marker to its readers.)
func (s *KCMStore) retire(conn *kcmConn, name, tmp string) error {
	conn, done := s.usable(conn)
	if conn == nil {
		return errKCMLostStandIn
	}
	defer done()
	reply, err := conn.call(kcmOpGetDefaultCache)
	if err != nil {
		return err
	}
	cur, err := decodeKCMName(kcmOpGetDefaultCache, reply)
	if err != nil {
		return err
	}
	if cur == tmp {
		if _, err := conn.call(kcmOpSetDefaultCache, kcmNameArg(name)); err != nil {
			// The stand-in stays the default, and so it stays.
			return err
		}
	}
	time.Sleep(s.readerGrace())
	_, err = conn.call(kcmOpDestroy, kcmNameArg(tmp))
	return ignoreStatus(err)
}

// errKCMLostStandIn: the daemon went away with the stand-in as default.
var errKCMLostStandIn = errors.New("lost the KCM daemon while a stand-in was the default cache")
