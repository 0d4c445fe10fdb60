package ccache

import (
	"errors"
	"fmt"
)

// listKCM is MIT's kcm_ptcursor: the default cache if it is initialized,
// then every other cache the daemon lists for us (GET_CACHE_UUID_LIST and
// GET_CACHE_BY_UUID), in its order. Caches that vanish while listed are
// left out, as MIT leaves them out. Temporary caches and stand-ins of a
// krenew writing at the same moment (kcm_update.go, kcm_standin.go) are
// listed too: the daemon cannot tell them apart, and nor can MIT.
func listKCM(n Name, o OpenOptions) ([]Member, error) {
	st, err := openKCM(n, o)
	if err != nil {
		return nil, err
	}
	s := st.(*KCMStore)
	conn, primary, err := s.session()
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	members, err := s.list(conn, primary)
	return members, s.wrap(primary, err)
}

func (s *KCMStore) list(conn *kcmConn, primary string) ([]Member, error) {
	reply, err := conn.call(kcmOpGetCacheUUIDs)
	if st := (*kcmStatusError)(nil); errors.As(err, &st) && st.missing() {
		return nil, nil // Heimdal's answer when we have no caches
	}
	if err != nil {
		return nil, err
	}
	ids, err := decodeKCMUUIDs(kcmOpGetCacheUUIDs, reply)
	if err != nil {
		return nil, err
	}
	var members []Member
	if m, err := s.member(conn, primary); err != nil {
		return nil, err
	} else if m.Initialized {
		m.Primary = true
		members = append(members, m)
	}
	for _, id := range ids {
		reply, err := conn.call(kcmOpGetCacheByUUID, id)
		if st := (*kcmStatusError)(nil); errors.As(err, &st) && (st.missing() || st.Code == kcmCodeCCEnd) {
			continue
		}
		if err != nil {
			return nil, err
		}
		name, err := decodeKCMName(kcmOpGetCacheByUUID, reply)
		if err != nil {
			return nil, err
		}
		if name == primary {
			continue
		}
		m, err := s.member(conn, name)
		if err != nil {
			return nil, err
		}
		members = append(members, m)
	}
	return members, nil
}

// member asks for the default principal of cache name; a cache without
// one is listed uninitialized.
func (s *KCMStore) member(conn *kcmConn, name string) (Member, error) {
	m := Member{Name: Name{Type: "KCM", Residual: name}}
	p, err := s.principal(conn, name)
	if errors.Is(err, ErrNotFound) {
		return m, nil
	}
	if err != nil {
		return m, err
	}
	m.Principal, m.Initialized = p, true
	return m, nil
}

// newKCMUnique asks the daemon for a new cache name (GEN_NEW, as MIT's
// kcm_gen_new does). Neither Heimdal nor sssd makes the cache before it
// is first written.
func newKCMUnique(n Name, o OpenOptions) (Name, error) {
	st, err := openKCM(n, o)
	if err != nil {
		return Name{}, err
	}
	s := st.(*KCMStore)
	conn, err := s.dial(s.display(""))
	if err != nil {
		return Name{}, err
	}
	defer conn.Close()
	reply, err := conn.call(kcmOpGenNew)
	if err != nil {
		if isUnsupported(err) {
			err = fmt.Errorf("the KCM daemon cannot make new caches: %w", err)
		}
		return Name{}, s.wrap("", err)
	}
	name, err := decodeKCMName(kcmOpGenNew, reply)
	if err != nil {
		return Name{}, s.wrap("", err)
	}
	return Name{Type: "KCM", Residual: name}, nil
}

// switchKCM is MIT's kcm_switch_to: SET_DEFAULT_CACHE. It waits for this
// process's writers, which may have a stand-in as the default just then
// and would switch back over it.
func switchKCM(n Name, o OpenOptions) error {
	st, err := openKCM(n, o)
	if err != nil {
		return err
	}
	return st.(*KCMStore).setDefault(n.Residual)
}

// kcmMemberStore is a KCM cache that is not the default. sssd-kcm
// (2.8) makes every cache written with INITIALIZE its default,
// MIT's own kinit -c and kinit -R -c included; a renewal of alice's
// cache while carol's is the primary would switch the user to alice, and
// the first write of a new cache would switch before MakePrimary. So a
// default the write moved to this cache is put back. Heimdal's writers
// keep the default pinned themselves (kcm_update.go), which makes this a
// no-op there.
type kcmMemberStore struct{ *KCMStore }

func openKCMMember(n Name, o OpenOptions) (Store, error) {
	s, err := openKCM(n, o)
	if err != nil {
		return nil, err
	}
	return kcmMemberStore{s.(*KCMStore)}, nil
}

func (s kcmMemberStore) Update(fn func(old *Cache) (*Cache, error)) error {
	before, err := s.currentDefault()
	if err != nil {
		return err
	}
	if err := s.KCMStore.Update(fn); err != nil {
		return err
	}
	after, err := s.currentDefault()
	if err != nil || after != s.Name || before == s.Name {
		return err
	}
	return s.setDefault(before)
}

func (s *KCMStore) currentDefault() (string, error) {
	conn, err := s.dial(s.display(""))
	if err != nil {
		return "", err
	}
	defer conn.Close()
	name, err := s.defaultName(conn)
	return name, s.wrap("", err)
}

func (s *KCMStore) setDefault(name string) error {
	kcmWriteMu.Lock()
	defer kcmWriteMu.Unlock()
	conn, err := s.dial(s.display(""))
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.call(kcmOpSetDefaultCache, kcmNameArg(name))
	return s.wrap(name, err)
}
