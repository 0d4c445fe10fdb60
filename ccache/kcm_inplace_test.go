package ccache

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"testing"
	"time"
)

// heimdalProfile is a fake daemon with Heimdal 7.8's gaps.
func heimdalFake(t *testing.T, missing ...kcmOp) *fakeKCM {
	return startFakeKCM(t, kcmCodeFCCInternal, append(missing, kcmOpReplace, kcmOpGetCredList)...)
}

// seeded makes cache "0" hold kcmSample and returns a store for it that
// has already found out what the daemon supports.
func seeded(t *testing.T, f *fakeKCM) *KCMStore {
	t.Helper()
	s := f.store("0")
	if err := s.Update(func(*Cache) (*Cache, error) { return kcmSample(), nil }); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestKCMRemoveArgsAreHeimdalsTaggedCredential(t *testing.T) {
	c := kcmSample().Credentials[1]
	b := kcmRemoveArgs(&c)
	u32 := func(off int) uint32 { return binary.BigEndian.Uint32(b[off:]) }
	if u32(0) != 1<<26 {
		t.Errorf("whichfields %#x, want Heimdal's KRB5_TC_MATCH_TIMES_EXACT 1<<26", u32(0))
	}
	if u32(4) != 0x3 {
		t.Errorf("tag header %#x, want client|server", u32(4))
	}
	rest := b[8:]
	client, rest, err := DecodePrincipalPrefix(rest)
	if err != nil || !client.Equal(c.Client) {
		t.Fatalf("client %v %v", client, err)
	}
	server, rest, err := DecodePrincipalPrefix(rest)
	if err != nil || !server.Equal(c.Server) {
		t.Fatalf("server %v %v", server, err)
	}
	// Four times, is_skey, flags, and nothing else: no key, no ticket.
	if len(rest) != 4*4+1+4 {
		t.Fatalf("%d bytes after the principals, want 21", len(rest))
	}
	for i, tm := range []time.Time{c.AuthTime, c.StartTime, c.EndTime, c.RenewTill} {
		if got := binary.BigEndian.Uint32(rest[4*i:]); int64(got) != tm.Unix() {
			t.Errorf("time %d: %d, want %d", i, got, tm.Unix())
		}
	}
	if binary.BigEndian.Uint32(rest[17:]) != c.Flags {
		t.Errorf("flags %#x, want %#x", binary.BigEndian.Uint32(rest[17:]), c.Flags)
	}
}

func TestKCMPlanInPlace(t *testing.T) {
	base := kcmSample()
	ids := [][]byte{{1}, {2}}
	old := newKCMOldCache(base, ids)
	renewed := func() *Cache {
		c := kcmSample()
		c.Credentials[1].StartTime = c.Credentials[1].StartTime.Add(time.Minute)
		c.Credentials[1].EndTime = c.Credentials[1].EndTime.Add(time.Hour)
		c.Credentials[1].Ticket = []byte("renewed")
		return c
	}
	p, ok := planInPlace(old, renewed())
	if !ok || len(p.store) != 1 || len(p.remove) != 1 || p.want != 2 || !reflect.DeepEqual(p.kept, [][]byte{{1}}) || p.setOffset {
		t.Fatalf("renewal plan %+v %v, want one store, one removal, the config entry kept", p, ok)
	}
	if !bytes.Equal(p.store[0].Ticket, []byte("renewed")) || !bytes.Equal(MarshalCredential(p.remove[0]), MarshalCredential(base.Credentials[1])) {
		t.Errorf("plan stores %q and removes %q", p.store[0].Ticket, p.remove[0].Ticket)
	}
	if p, ok := planInPlace(old, kcmSample()); !ok || !p.noop() {
		t.Errorf("unchanged cache: plan %+v %v, want a no-op", p, ok)
	}
	off := kcmSample()
	off.SetKDCOffset(5 * time.Second)
	if p, ok := planInPlace(old, off); !ok || p.noop() || !p.setOffset || p.offset != 5 || len(p.store)+len(p.remove) != 0 {
		t.Errorf("offset change: plan %+v %v", p, ok)
	}
	// Cases REMOVE_CRED cannot express without taking along an entry
	// that must stay, or that need INITIALIZE.
	sameTimes := kcmSample()
	sameTimes.Credentials[1].Ticket = []byte("other ticket, same times")
	nulServer := renewed()
	nulServer.Credentials = append(nulServer.Credentials, base.Credentials[1])
	nulServer.Credentials[2].Server.Components = append([]string(nil), base.Credentials[1].Server.Components...)
	nulServer.Credentials[2].Server.Components[0] += "\x00suffix"
	nameType := renewed()
	nameType.Credentials = append(nameType.Credentials, base.Credentials[1])
	nameType.Credentials[2].Server.NameType = 10
	other := kcmSample()
	other.DefaultPrincipal = Principal{NameType: NameTypePrincipal, Realm: alice.Realm, Components: []string{"bob"}}
	dup := newKCMOldCache(&Cache{Version: 4, DefaultPrincipal: alice, Credentials: []Credential{base.Credentials[1], base.Credentials[1]}}, ids)
	cases := map[string]struct {
		old *kcmOldCache
		c   *Cache
	}{
		"new ticket with the old one's times":         {old, sameTimes},
		"kept entry equal to a removed one up to NUL": {old, nulServer},
		"kept entry differing only in the name type":  {old, nameType},
		"another principal":                           {old, other},
		"no old cache":                                {nil, renewed()},
		"one of two identical entries removed":        {dup, &Cache{Version: 4, DefaultPrincipal: alice, Credentials: base.Credentials[1:]}},
		"UUIDs missing (daemon with GET_CRED_LIST)":   {newKCMOldCache(base, nil), renewed()},
	}
	for name, c := range cases {
		if p, ok := planInPlace(c.old, c.c); ok {
			t.Errorf("%s: planned in place: %+v", name, p)
		}
	}
}

// fn may change the cache it is given; the plan must be made from what
// the daemon held, not from what fn left of it.
func TestKCMInPlaceSurvivesFnMutatingOld(t *testing.T) {
	f := heimdalFake(t)
	s := seeded(t, f)
	if err := s.Update(renewTGT); err != nil { // PutCredential overwrites old's TGT
		t.Fatal(err)
	}
	if got := hooksOf(s).lastWrite.Load(); got != kcmWriteInPlace {
		t.Fatalf("renewal used %v", got)
	}
	c := kcmMustLoad(t, s)
	if len(c.Credentials) != 2 {
		t.Fatalf("%d entries after the renewal, want 2: the old TGT must be gone", len(c.Credentials))
	}
	want := kcmSample().Credentials[1].EndTime.Add(time.Second)
	if tgt, _ := c.FindTGT(); !tgt.EndTime.Equal(want) {
		t.Errorf("TGT ends %v, want %v", tgt.EndTime, want)
	}
}

func TestKCMInPlaceFallsBackWithoutRemoveCred(t *testing.T) {
	for _, code := range []int32{kcmCodeFCCInternal, kcmCodeCCNoSupp, kcmCodeCCIO} {
		f := startFakeKCM(t, code, kcmOpReplace, kcmOpGetCredList, kcmOpRemoveCred)
		s := seeded(t, f)
		for range 2 {
			if err := s.Update(renewTGT); err != nil {
				t.Fatal(err)
			}
			if got := hooksOf(s).lastWrite.Load(); got != kcmWriteMove {
				t.Errorf("code %d: renewal used %v, want %s", code, got, kcmWriteMove)
			}
		}
		if n := f.count(kcmOpRemoveCred); n != 1 {
			t.Errorf("code %d: REMOVE_CRED sent %d times, want once", code, n)
		}
		if !s.noRemove.Load() {
			t.Errorf("code %d: missing REMOVE_CRED not remembered", code)
		}
		if c := kcmMustLoad(t, s); len(c.Credentials) != 2 {
			t.Errorf("code %d: %d entries", code, len(c.Credentials))
		}
	}
}

// A REMOVE_CRED that says yes and removes nothing is caught by the check
// afterwards; the cache is rewritten whole and in-place writing dropped.
func TestKCMInPlaceCheckRepairsALyingDaemon(t *testing.T) {
	f := heimdalFake(t)
	s := seeded(t, f)
	f.mu.Lock()
	f.removeNoop = true
	f.mu.Unlock()
	if err := s.Update(renewTGT); err != nil {
		t.Fatal(err)
	}
	if got := hooksOf(s).lastWrite.Load(); got != kcmWriteMove || !s.noRemove.Load() {
		t.Errorf("strategy %v, noRemove %v; want a whole rewrite and REMOVE_CRED given up", got, s.noRemove.Load())
	}
	if c := kcmMustLoad(t, s); len(c.Credentials) != 2 {
		t.Errorf("%d entries after the repair, want 2", len(c.Credentials))
	}
	if n := f.numCaches(); n != 1 {
		t.Errorf("%d caches", n)
	}
}

// Losing the connection while storing takes the new entries back out:
// the cache is as it was, down to its UUIDs.
func TestKCMInPlaceLostWhileStoring(t *testing.T) {
	f := heimdalFake(t)
	s := seeded(t, f)
	before := kcmMustLoad(t, s)
	f.mu.Lock()
	f.dropOp, f.dropAt = kcmOpStore, f.calls[kcmOpStore]+1
	idsBefore := append([]fakeCred(nil), f.caches["0"].creds...)
	f.mu.Unlock()
	err := s.Update(renewTGT)
	if !errors.Is(err, ErrKCMUnavailable) {
		t.Fatalf("Update with the connection lost: %v", err)
	}
	if after := kcmMustLoad(t, s); !reflect.DeepEqual(after, before) {
		t.Errorf("cache changed:\n got  %+v\n want %+v", after, before)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !reflect.DeepEqual(f.caches["0"].creds, idsBefore) {
		t.Errorf("entries or UUIDs changed after the rollback")
	}
}

// Losing it while removing: the new entries are in, so the update is
// finished by a whole rewrite on a fresh connection.
func TestKCMInPlaceLostWhileRemoving(t *testing.T) {
	f := heimdalFake(t)
	s := seeded(t, f)
	if err := s.Update(renewTGT); err != nil { // probes REMOVE_CRED
		t.Fatal(err)
	}
	f.mu.Lock()
	f.dropOp, f.dropAt = kcmOpRemoveCred, f.calls[kcmOpRemoveCred]+1
	f.mu.Unlock()
	if err := s.Update(renewTGT); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if got := hooksOf(s).lastWrite.Load(); got != kcmWriteMove {
		t.Errorf("strategy %v, want the repair's %s", got, kcmWriteMove)
	}
	c := kcmMustLoad(t, s)
	want := kcmSample().Credentials[1].EndTime.Add(2 * time.Second)
	if tgt, _ := c.FindTGT(); len(c.Credentials) != 2 || !tgt.EndTime.Equal(want) {
		t.Errorf("after the repair: %d entries, TGT ends %v, want 2 and %v", len(c.Credentials), tgt.EndTime, want)
	}
	if n := f.numCaches(); n != 1 {
		t.Errorf("%d caches", n)
	}
}

// A renewal REMOVE_CRED cannot express (the new TGT has the old one's
// times) is written whole.
func TestKCMAmbiguousRenewalIsWrittenWhole(t *testing.T) {
	f := heimdalFake(t)
	s := seeded(t, f)
	if err := s.Update(func(c *Cache) (*Cache, error) {
		c.Credentials[1].Ticket = []byte("same times")
		return c, nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := hooksOf(s).lastWrite.Load(); got != kcmWriteMove {
		t.Errorf("strategy %v, want %s", got, kcmWriteMove)
	}
	c := kcmMustLoad(t, s)
	if len(c.Credentials) != 2 || string(c.Credentials[1].Ticket) != "same times" {
		t.Errorf("cache after the update: %+v", c.Credentials)
	}
}
