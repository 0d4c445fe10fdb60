package ccache

import (
	"bytes"
	"errors"
	"fmt"
	"time"
)

// errKCMChanged: the cache changed under a read; the read starts over.
var errKCMChanged = errors.New("the cache changed while it was read")

// load reads a consistent snapshot of the cache, retrying reads that
// raced with a writer. On daemons without GET_CRED_LIST it also returns
// the credentials' UUIDs, in the same order: non-nil tells a cache that
// MIT's readers walk by UUID.
func (s *KCMStore) load(conn *kcmConn, name string) (*Cache, [][]byte, error) {
	for range kcmReadAttempts {
		c, ids, err := s.snapshot(conn, name)
		if !errors.Is(err, errKCMChanged) {
			return c, ids, err
		}
	}
	return nil, nil, fmt.Errorf("the cache kept changing during %d attempts to read it", kcmReadAttempts)
}

// snapshot reads the principal, the credentials and the KDC offset, then
// the principal (and on Heimdal the credential UUIDs) again: a writer that
// replaced the cache in between changes them, since every stored
// credential gets a fresh random UUID.
func (s *KCMStore) snapshot(conn *kcmConn, name string) (*Cache, [][]byte, error) {
	princ, err := s.principal(conn, name)
	if err != nil {
		return nil, nil, err
	}
	c := &Cache{Version: 4, DefaultPrincipal: princ}
	var ids [][]byte
	c.Credentials, ids, err = s.credentials(conn, name)
	if err != nil {
		return nil, nil, err
	}
	if err := s.offset(conn, name, c); err != nil {
		return nil, nil, err
	}
	again, err := s.principal(conn, name)
	if errors.Is(err, ErrNotFound) {
		return nil, nil, errKCMChanged
	}
	if err != nil {
		return nil, nil, err
	}
	if !again.Equal(princ) {
		return nil, nil, errKCMChanged
	}
	if ids != nil {
		now, err := s.uuids(conn, name)
		if err != nil {
			return nil, nil, err
		}
		if !sameUUIDs(ids, now) {
			return nil, nil, errKCMChanged
		}
	}
	return c, ids, nil
}

func (s *KCMStore) principal(conn *kcmConn, name string) (Principal, error) {
	reply, err := conn.call(kcmOpGetPrincipal, kcmNameArg(name))
	if st := (*kcmStatusError)(nil); errors.As(err, &st) && st.missing() {
		return Principal{}, &kcmNotFoundError{cache: s.display(name)}
	}
	if err != nil {
		return Principal{}, err
	}
	p, err := decodeKCMPrincipal(reply)
	if errors.Is(err, errKCMNoPrincipal) {
		return Principal{}, &kcmNotFoundError{cache: s.display(name)}
	}
	return p, err
}

// credentials uses GET_CRED_LIST where the daemon has it (sssd), else the
// UUID list and one GET_CRED_BY_UUID each (Heimdal), whose UUIDs it
// returns so the caller can check they did not change.
func (s *KCMStore) credentials(conn *kcmConn, name string) ([]Credential, [][]byte, error) {
	if !s.noCredList.Load() {
		reply, err := conn.call(kcmOpGetCredList, kcmNameArg(name))
		st := (*kcmStatusError)(nil)
		switch {
		case err == nil:
			creds, err := decodeKCMCredList(reply)
			return creds, nil, err
		case errors.As(err, &st) && st.unsupported():
			s.noCredList.Store(true)
		case errors.As(err, &st) && st.missing():
			return nil, nil, errKCMChanged
		default:
			return nil, nil, err
		}
	}
	ids, err := s.uuids(conn, name)
	if err != nil {
		return nil, nil, err
	}
	creds := make([]Credential, 0, len(ids))
	total := 0
	for _, id := range ids {
		reply, err := conn.call(kcmOpGetCredByUUID, kcmNameArg(name), id)
		// Heimdal answers KRB5_CC_END for a UUID that is gone.
		if st := (*kcmStatusError)(nil); errors.As(err, &st) && (st.missing() || st.Code == kcmCodeCCEnd) {
			return nil, nil, errKCMChanged
		}
		if err != nil {
			return nil, nil, err
		}
		if total += len(reply); total > kcmMaxReply {
			return nil, nil, kcmMalformed(kcmOpGetCredByUUID, "credentials total more than %d bytes", kcmMaxReply)
		}
		c, err := decodeKCMCred(reply)
		if err != nil {
			return nil, nil, err
		}
		creds = append(creds, c)
	}
	return creds, ids, nil
}

func (s *KCMStore) uuids(conn *kcmConn, name string) ([][]byte, error) {
	reply, err := conn.call(kcmOpGetCredUUIDList, kcmNameArg(name))
	if st := (*kcmStatusError)(nil); errors.As(err, &st) && st.missing() {
		return nil, errKCMChanged
	}
	if err != nil {
		return nil, err
	}
	return decodeKCMUUIDs(kcmOpGetCredUUIDList, reply)
}

// offset records a non-zero KDC offset in the header. MIT ignores a
// failed GET_KDC_OFFSET, so only a broken connection is an error here.
func (s *KCMStore) offset(conn *kcmConn, name string, c *Cache) error {
	reply, err := conn.call(kcmOpGetKDCOffset, kcmNameArg(name))
	if st := (*kcmStatusError)(nil); errors.As(err, &st) {
		if st.missing() {
			return errKCMChanged
		}
		return nil
	}
	if err != nil {
		return err
	}
	off, err := decodeKCMOffset(reply)
	if err != nil {
		return err
	}
	if off != 0 {
		c.SetKDCOffset(time.Duration(off) * time.Second)
	}
	return nil
}

func sameUUIDs(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}
