package ccache

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestKCMOldCacheHolds(t *testing.T) {
	base := kcmSample()
	old := newKCMOldCache(base)
	reordered := kcmSample()
	reordered.Credentials[0], reordered.Credentials[1] = reordered.Credentials[1], reordered.Credentials[0]
	for name, c := range map[string]*Cache{"the same cache": kcmSample(), "the same entries reordered": reordered} {
		if !old.holds(c) {
			t.Errorf("%s: not taken for unchanged", name)
		}
	}
	renewed, _ := renewTGT(kcmSample())
	sameTimes := kcmSample()
	sameTimes.Credentials[1].Ticket = []byte("other ticket, same times")
	offset := kcmSample()
	offset.SetKDCOffset(5 * time.Second)
	other := kcmSample()
	other.DefaultPrincipal = Principal{NameType: NameTypePrincipal, Realm: alice.Realm, Components: []string{"bob"}}
	fewer := kcmSample()
	fewer.Credentials = fewer.Credentials[1:]
	more := kcmSample()
	more.Credentials = append(more.Credentials, base.Credentials[1])
	twice := newKCMOldCache(more) // config entry, TGT, TGT
	otherCounts := kcmSample()
	otherCounts.Credentials = append(otherCounts.Credentials, base.Credentials[0])
	for name, c := range map[string]struct {
		old *kcmOldCache
		c   *Cache
	}{
		"a renewed TGT":                         {old, renewed},
		"a new ticket with the old one's times": {old, sameTimes},
		"another KDC offset":                    {old, offset},
		"another principal":                     {old, other},
		"an entry fewer":                        {old, fewer},
		"an entry more":                         {old, more},
		"one of two identical entries dropped":  {twice, kcmSample()},
		"the same entries, other counts":        {twice, otherCounts},
	} {
		if c.old.holds(c.c) {
			t.Errorf("%s: taken for unchanged", name)
		}
	}
}

// An Update that returns what the cache holds sends nothing that
// changes it: no stand-in, no temporary cache, no STORE. A store that
// believes REMOVE_CRED missing does the same.
func TestKCMUnchangedCacheIsNotWritten(t *testing.T) {
	f := heimdalFake(t)
	seededDefault(t, f)
	writes := []kcmOp{kcmOpStore, kcmOpInitialize, kcmOpGenNew, kcmOpMoveCache, kcmOpSetKDCOffset, kcmOpSetDefaultCache, kcmOpRemoveCred, kcmOpDestroy}
	before := map[kcmOp]int{}
	for _, op := range writes {
		before[op] = f.count(op)
	}
	noRemove := f.store("0")
	noRemove.noRemove.Store(true)
	reorder := func(c *Cache) (*Cache, error) {
		c.Credentials[0], c.Credentials[1] = c.Credentials[1], c.Credentials[0]
		return c, nil
	}
	for _, w := range []struct {
		s  *KCMStore
		fn func(*Cache) (*Cache, error)
	}{
		{f.store(""), func(c *Cache) (*Cache, error) { return c, nil }},
		{f.store("0"), func(c *Cache) (*Cache, error) { return c, nil }},
		{f.store("0"), reorder},
		{noRemove, func(c *Cache) (*Cache, error) { return c, nil }},
	} {
		hooksOf(w.s).grace = time.Millisecond
		if err := w.s.Update(w.fn); err != nil {
			t.Fatal(err)
		}
		if got := hooksOf(w.s).lastWrite.Load(); got != kcmWriteNothing {
			t.Errorf("%s: unchanged cache written with %v, want %s", w.s.display(""), got, kcmWriteNothing)
		}
	}
	for _, op := range writes {
		if n := f.count(op) - before[op]; n != 0 {
			t.Errorf("%s sent %d times for unchanged caches", op, n)
		}
	}
	if c := kcmMustLoad(t, f.store("0")); len(c.Credentials) != 2 {
		t.Errorf("%d entries, want 2", len(c.Credentials))
	}
	if d, n := f.defaultName(), f.numCaches(); d != "0" || n != 1 {
		t.Errorf("default %q and %d caches, want 0 and 1", d, n)
	}
}

// fn may change the cache it is given; whether anything changed must be
// judged from what the daemon held, not from what fn left of it.
func TestKCMUnchangedSurvivesFnMutatingOld(t *testing.T) {
	f := heimdalFake(t)
	s := f.store("0")
	if err := s.Update(func(*Cache) (*Cache, error) { return kcmSample(), nil }); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(renewTGT); err != nil { // PutCredential overwrites old's TGT
		t.Fatal(err)
	}
	if got := hooksOf(s).lastWrite.Load(); got != kcmWriteMove {
		t.Fatalf("renewal used %v, want %s", got, kcmWriteMove)
	}
	c := kcmMustLoad(t, s)
	if len(c.Credentials) != 2 {
		t.Fatalf("%d entries after the renewal, want 2", len(c.Credentials))
	}
	want := kcmSample().Credentials[1].EndTime.Add(time.Second)
	if tgt, _ := c.FindTGT(); !tgt.EndTime.Equal(want) {
		t.Errorf("TGT ends %v, want %v", tgt.EndTime, want)
	}
}

// sssd-kcm 2.8 (Debian 12) has neither REPLACE nor MOVE_CACHE, so caches
// are rewritten with INITIALIZE, which there can lose the default when it
// reinitializes the default cache. Renewing carol's primary, by its name
// or as "KCM:", must leave it the primary, not switch the user to the
// uid's own cache, alice's. (That INITIALIZE of another cache makes it
// the default is kcmMemberStore's business.)
func TestKCMInitializeKeepsTheDefault(t *testing.T) {
	f := startFakeKCM(t, kcmCodeFCCInternal, kcmOpReplace, kcmOpMoveCache, kcmOpRemoveCred)
	f.sssdInitialize = true
	alice, carol := kcmSample(), kcmSample()
	carol.DefaultPrincipal = Principal{NameType: NameTypePrincipal, Realm: alice.DefaultPrincipal.Realm, Components: []string{"carol"}}
	n := 0
	write := func(s *KCMStore, c *Cache) { // a new config value: never unchanged
		t.Helper()
		n++
		c.SetConfig("krenew_test", nil, []byte(fmt.Sprint(n)))
		if err := s.Update(func(*Cache) (*Cache, error) { return c, nil }); err != nil {
			t.Fatal(err)
		}
	}
	write(f.store("0"), alice)
	write(f.store("0:9"), carol)
	if err := f.store("0:9").setDefault("0:9"); err != nil {
		t.Fatal(err)
	}
	defaultIs := func(what, want string) {
		t.Helper()
		f.mu.Lock()
		got := f.defaultName()
		f.mu.Unlock()
		if got != want {
			t.Errorf("after %s the default is %q, want %q", what, got, want)
		}
	}
	for _, name := range []string{"0:9", ""} {
		s := f.store(name)
		hooksOf(s).grace = time.Millisecond
		for i := 0; i < 2; i++ { // the second time with what the store learnt
			write(s, carol)
			defaultIs(fmt.Sprintf("renewal %d of the primary as %q", i+1, "KCM:"+name), "0:9")
		}
		if got, _ := hooksOf(s).lastWrite.Load().(string); !strings.HasSuffix(got, kcmWriteInitialize) {
			t.Errorf("the last write was %q, want %s", got, kcmWriteInitialize)
		}
	}
}

// Written in place (sssd-kcm), the cache is empty from INITIALIZE until
// the first STORE, so nothing else goes in between: the KDC offset is set
// after the credentials, and still kept.
func TestKCMInitializeStoresRightAway(t *testing.T) {
	f := startFakeKCM(t, kcmCodeFCCInternal, kcmOpReplace, kcmOpMoveCache, kcmOpRemoveCred)
	s := f.store("0")
	mustUpdateAny(t, s, kcmSample())
	var ops []kcmOp
	f.setHook(func(op kcmOp) { ops = append(ops, op) })
	c := kcmSample()
	c.SetConfig("krenew_test", nil, []byte("again"))
	mustUpdateAny(t, s, c)
	f.setHook(nil)
	if got, _ := hooksOf(s).lastWrite.Load().(string); got != kcmWriteInitialize {
		t.Fatalf("the write was %q, want %s", got, kcmWriteInitialize)
	}
	i := slices.Index(ops, kcmOpInitialize)
	if i < 0 || i+1 >= len(ops) || ops[i+1] != kcmOpStore || !slices.Contains(ops[i:], kcmOpSetKDCOffset) {
		t.Errorf("requests %v, want INITIALIZE directly followed by STORE, SET_KDC_OFFSET later", ops)
	}
	got, _ := kcmMustLoad(t, s).KDCOffset()
	if want, _ := c.KDCOffset(); got != want || got == 0 {
		t.Errorf("KDC offset %v after the write, want %v", got, want)
	}
}
