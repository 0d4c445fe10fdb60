package ccache

import (
	"bytes"
	"encoding/binary"
	"errors"
	"time"
)

// A krenew killed between GEN_NEW and MOVE_CACHE (or the switch to a
// stand-in, kcm_standin.go) leaves a temporary cache holding the user's
// credentials, which nothing else would ever remove (Heimdal keeps caches
// until they are destroyed or the daemon stops). So while a temporary
// cache is filled, its first entry is a marker: a configuration entry
// naming the store it belongs to and when it was made. The next write by
// a store of the same name, in this or a later krenew, destroys the
// marked caches old enough not to belong to a write in progress. The
// marker is taken out before the cache is moved or made the default, so
// no reader sees it.

// kcmTempKey is the marker's configuration key.
const kcmTempKey = "krenew_temporary"

// kcmStaleTempAge is how old a marked temporary cache must be to count as
// left behind: far longer than any write takes, even one whose requests
// each run close to kcmIOTimeout.
const kcmStaleTempAge = 10 * time.Minute

// kcmSweepLimit bounds how many caches one sweep looks at.
const kcmSweepLimit = 64

// kcmTempMarker is the marker for a temporary cache of the store named
// label (its Name, "" for the default cache): the creation time in
// seconds, big-endian, then the label.
func kcmTempMarker(client Principal, label string, now time.Time) Credential {
	v := binary.BigEndian.AppendUint64(nil, uint64(now.Unix()))
	return NewConfig(client, kcmTempKey, nil, append(v, label...))
}

// decodeKCMTempMarker reports whether c is a marker, and if so for which
// store and since when. It accepts any bytes.
func decodeKCMTempMarker(c *Credential) (label string, created time.Time, ok bool) {
	key, assoc, conf := c.ConfigKey()
	if !conf || key != kcmTempKey || assoc != "" || len(c.Ticket) < 8 {
		return "", time.Time{}, false
	}
	sec := int64(binary.BigEndian.Uint64(c.Ticket))
	return string(c.Ticket[8:]), time.Unix(sec, 0), true
}

// isKCMTempMarker: entries that must never be written to a cache in use.
func isKCMTempMarker(c *Credential) bool {
	_, _, ok := decodeKCMTempMarker(c)
	return ok
}

// withoutMarkers returns c without marker entries, copying only if it
// has any, so that a marker can never reach a cache in use, whatever fn
// returns.
func withoutMarkers(c *Cache) *Cache {
	keep := make([]Credential, 0, len(c.Credentials))
	for i := range c.Credentials {
		if !isKCMTempMarker(&c.Credentials[i]) {
			keep = append(keep, c.Credentials[i])
		}
	}
	if len(keep) == len(c.Credentials) {
		return c
	}
	cp := *c
	cp.Credentials = keep
	return &cp
}

// markTemp stores the marker in the freshly initialized temporary cache
// tmp and returns it, or returns nil where it could not be taken out again
// before the move: no REMOVE_CRED, or an entry of c that REMOVE_CRED
// could not tell from it.
func (s *KCMStore) markTemp(conn *kcmConn, tmp string, c *Cache) (*Credential, error) {
	ok, err := s.canRemove(conn, tmp, c.DefaultPrincipal)
	if err != nil || !ok {
		return nil, err
	}
	m := kcmTempMarker(c.DefaultPrincipal, s.Name, time.Now())
	key := string(kcmMatchKey(&m))
	for i := range c.Credentials {
		if string(kcmMatchKey(&c.Credentials[i])) == key {
			return nil, nil
		}
	}
	if _, err := conn.call(kcmOpStore, kcmNameArg(tmp), MarshalCredential(m)); err != nil {
		return nil, err
	}
	return &m, nil
}

// sweepTemps destroys the marked caches of this store that are stale;
// target, the cache being written, is never touched. It runs until a
// sweep finds none that are too young to judge, once per store in
// practice. Only a broken connection or reply is an error; the sweep is
// housekeeping and does not stand in a write's way.
func (s *KCMStore) sweepTemps(conn *kcmConn, target string) error {
	if s.swept.Load() {
		return nil
	}
	reply, err := conn.call(kcmOpGetCacheUUIDs)
	if err != nil {
		// No caches (Heimdal answers KRB5_FCC_NOFILE) or no listing.
		if err = ignoreStatus(err); err == nil {
			s.swept.Store(true)
		}
		return err
	}
	ids, err := decodeKCMUUIDs(kcmOpGetCacheUUIDs, reply)
	if err != nil {
		return err
	}
	young := false
	now := time.Now()
	for i, id := range ids {
		if i == kcmSweepLimit {
			break
		}
		reply, err := conn.call(kcmOpGetCacheByUUID, id)
		if err != nil {
			if err = ignoreStatus(err); err != nil {
				return err
			}
			continue
		}
		name, err := decodeKCMName(kcmOpGetCacheByUUID, reply)
		if err != nil {
			return err
		}
		if name == target {
			continue
		}
		stale, isYoung, err := s.staleMarked(conn, name, now)
		if err != nil {
			return err
		}
		young = young || isYoung
		if !stale {
			continue
		}
		if _, err := conn.call(kcmOpDestroy, kcmNameArg(name)); ignoreStatus(err) != nil {
			return err
		}
	}
	if !young {
		s.swept.Store(true)
	}
	return nil
}

// staleMarked looks at the first entry of cache name for a marker of
// this store: stale means it may be destroyed, young that it is this
// store's but may still be in use.
func (s *KCMStore) staleMarked(conn *kcmConn, name string, now time.Time) (stale, young bool, err error) {
	reply, err := conn.call(kcmOpGetCredUUIDList, kcmNameArg(name))
	if err != nil {
		return false, false, ignoreStatus(err)
	}
	ids, err := decodeKCMUUIDs(kcmOpGetCredUUIDList, reply)
	if err != nil || len(ids) == 0 {
		return false, false, err
	}
	reply, err = conn.call(kcmOpGetCredByUUID, kcmNameArg(name), ids[0])
	if err != nil {
		return false, false, ignoreStatus(err)
	}
	c, err := decodeKCMCred(reply)
	if err != nil {
		return false, false, err
	}
	label, created, ok := decodeKCMTempMarker(&c)
	if !ok || label != s.Name {
		return false, false, nil
	}
	// A creation time far in the future is a clock that jumped, not a
	// write in progress.
	if age := now.Sub(created); age < kcmStaleTempAge && age > -kcmStaleTempAge {
		return false, true, nil
	}
	return true, false, nil
}

// kcmMatchKey is what Heimdal's krb5_compare_creds looks at when
// REMOVE_CRED sends client and server with kcmMatchTimesExact: the
// principals' realms and components, compared as C strings (so up to a
// NUL; the name type is ignored), and the four times. Two entries with
// the same key cannot be told apart by REMOVE_CRED, so a marker is only
// stored where no entry of the cache has its key.
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

func cString(s string) []byte {
	if i := bytes.IndexByte([]byte(s), 0); i >= 0 {
		s = s[:i]
	}
	return []byte(s)
}

// kcmProbe is a REMOVE_CRED that matches nothing, sent once per store to
// learn whether the daemon has the operation before a marker is stored.
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
