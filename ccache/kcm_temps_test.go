package ccache

import (
	"encoding/binary"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/krenew/krenew/internal/testkdc"
)

func TestKCMTempMarkerRoundTripAndGarbage(t *testing.T) {
	at := time.Unix(1700000000, 0)
	m := kcmTempMarker(alice, "1000:krenew", at)
	label, created, ok := decodeKCMTempMarker(&m)
	if !ok || label != "1000:krenew" || !created.Equal(at) {
		t.Fatalf("decoded %q %v %v", label, created, ok)
	}
	again, err := UnmarshalCredential(MarshalCredential(m))
	if err != nil || !isKCMTempMarker(&again) {
		t.Fatalf("marker does not survive the encoding: %v", err)
	}
	notMarkers := []Credential{
		kcmSample().Credentials[0], // pa_type
		kcmSample().Credentials[1], // a TGT
		NewConfig(alice, kcmTempKey, nil, []byte("short")),
		NewConfig(alice, kcmTempKey, &alice, m.Ticket),
	}
	for i := range notMarkers {
		if isKCMTempMarker(&notMarkers[i]) {
			t.Errorf("entry %d taken for a marker", i)
		}
	}
	huge := NewConfig(alice, kcmTempKey, nil, binary.BigEndian.AppendUint64(nil, 1<<63))
	if _, _, ok := decodeKCMTempMarker(&huge); !ok {
		t.Error("a marker with an absurd time must still be recognised")
	}
	c := kcmSample()
	c.Credentials = append(c.Credentials, m)
	if got := withoutMarkers(c); len(got.Credentials) != 2 || len(c.Credentials) != 3 {
		t.Errorf("withoutMarkers kept %d of 3 (and left the original with %d)", len(got.Credentials), len(c.Credentials))
	}
}

// plantCache puts a cache into the fake daemon as a killed writer would
// have left it.
func (f *fakeKCM) plantCache(name string, creds ...Credential) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.create(name)
	p := alice
	c.princ = &p
	for _, cr := range creds {
		c.creds = append(c.creds, fakeCred{newUUID(), cr})
	}
}

func (f *fakeKCM) names() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var n []string
	for k := range f.caches {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

func TestKCMSweepDestroysOnlyStaleMarkedTemps(t *testing.T) {
	f := heimdalFake(t)
	tgt := kcmSample().Credentials[1]
	old := time.Now().Add(-kcmStaleTempAge - time.Minute)
	f.plantCache("0")
	f.plantCache("0:stale", kcmTempMarker(alice, "0", old), tgt)
	f.plantCache("0:young", kcmTempMarker(alice, "0", time.Now()), tgt)
	f.plantCache("0:future", kcmTempMarker(alice, "0", time.Now().Add(2*kcmStaleTempAge)), tgt)
	f.plantCache("0:other", kcmTempMarker(alice, "1", old), tgt)
	f.plantCache("0:default-store", kcmTempMarker(alice, "", old), tgt)
	f.plantCache("0:marker-not-first", tgt, kcmTempMarker(alice, "0", old))
	f.plantCache("0:user", tgt)
	s := f.store("0")
	if err := s.Update(func(*Cache) (*Cache, error) { return kcmSample(), nil }); err != nil {
		t.Fatal(err)
	}
	want := "0 0:default-store 0:marker-not-first 0:other 0:user 0:young"
	if got := strings.Join(f.names(), " "); got != want {
		t.Errorf("caches after the sweep: %s\nwant %s", got, want)
	}
	if s.swept.Load() {
		t.Error("a young temporary cache was seen, yet the store will not look again")
	}
	// Once it is stale, the next write takes it, and stops looking.
	f.mu.Lock()
	f.caches["0:young"].creds[0].cred = kcmTempMarker(alice, "0", old)
	f.mu.Unlock()
	if err := s.Update(renewTGT); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(f.names(), " "); strings.Contains(got, "0:young") {
		t.Errorf("stale cache survived the second sweep: %s", got)
	}
	if !s.swept.Load() {
		t.Error("sweep did not finish")
	}
	n := f.count(kcmOpGetCacheUUIDs)
	if err := s.Update(renewTGT); err != nil {
		t.Fatal(err)
	}
	if f.count(kcmOpGetCacheUUIDs) != n {
		t.Error("a finished sweep ran again")
	}
	// The default store sweeps its own.
	if err := f.store("").Update(renewTGT); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(f.names(), " "); strings.Contains(got, "0:default-store") {
		t.Errorf("the default store left its stale temporary cache: %s", got)
	}
}

// With Heimdal: a krenew killed while filling a temporary cache leaves it
// marked; the next krenew's first write destroys it, and MIT's klist -l
// no longer lists it. A temporary cache too young to judge stays.
func TestKCMKilledWriterTempIsDestroyedByTheNextWrite(t *testing.T) {
	e := startKCMEnv(t)
	e.kinitAlice(t, "KCM:")
	src := kcmMustLoad(t, e.open(t, "KCM:"))
	leave := func(created time.Time) string {
		conn, err := dialKCM(e.kcm.Socket, "KCM:", kcmIOTimeout)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		reply, err := conn.call(kcmOpGenNew)
		if err != nil {
			t.Fatal(err)
		}
		tmp, err := decodeKCMName(kcmOpGenNew, reply)
		if err != nil {
			t.Fatal(err)
		}
		s := &KCMStore{Socket: e.kcm.Socket}
		if err := s.initialize(conn, tmp, src, 0); err != nil {
			t.Fatal(err)
		}
		m := kcmTempMarker(src.DefaultPrincipal, "", created)
		c := *src
		c.Credentials = append([]Credential{m}, src.Credentials...)
		if err := s.storeAll(conn, tmp, &c); err != nil {
			t.Fatal(err)
		}
		return tmp
	}
	stale := leave(time.Now().Add(-kcmStaleTempAge - time.Second))
	young := leave(time.Now())
	coll := []string{"KRB5CCNAME=KCM:"}
	if list := e.mitOK(t, coll, "", "klist", "-l"); !strings.Contains(list, stale) || !strings.Contains(list, young) {
		t.Fatalf("the left-over caches are not listed:\n%s", list)
	}
	s := e.open(t, "KCM:")
	hooksOf(s).grace = time.Millisecond
	if err := s.Update(renewTGT); err != nil {
		t.Fatal(err)
	}
	list := e.mitOK(t, coll, "", "klist", "-l")
	if strings.Contains(list, stale) || !strings.Contains(list, young) {
		t.Errorf("after the write, want %s gone and %s kept:\n%s", stale, young, list)
	}
	if tk := testkdc.Klist(t, e.kdc, "KCM:"); tk.Principal != src.DefaultPrincipal.String() {
		t.Errorf("klist of KCM: after the sweep: %+v", tk)
	}
}

// The marker is taken out of a temporary cache with REMOVE_CRED, which
// must match it the way Heimdal matches.
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

// Without REMOVE_CRED, temporary caches go unmarked: the daemon is asked
// once, whatever status it answers for a missing operation, and writes
// go on through MOVE_CACHE.
func TestKCMTempsWithoutRemoveCred(t *testing.T) {
	for _, code := range []int32{kcmCodeFCCInternal, kcmCodeCCNoSupp, kcmCodeCCIO} {
		f := startFakeKCM(t, code, kcmOpReplace, kcmOpGetCredList, kcmOpRemoveCred)
		s := f.store("0")
		if err := s.Update(func(*Cache) (*Cache, error) { return kcmSample(), nil }); err != nil {
			t.Fatal(err)
		}
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
		c := kcmMustLoad(t, s)
		if len(c.Credentials) != 2 {
			t.Errorf("code %d: %d entries", code, len(c.Credentials))
		}
		want := kcmSample().Credentials[1].EndTime.Add(2 * time.Second)
		if tgt, _ := c.FindTGT(); !tgt.EndTime.Equal(want) {
			t.Errorf("code %d: TGT ends %v, want %v", code, tgt.EndTime, want)
		}
	}
}
