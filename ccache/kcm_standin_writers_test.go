package ccache

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/krenew/krenew/internal/testkdc"
)

// Other programs resolve "KCM:" to the stand-in while it is the default
// and may write to it; their write is the newest and must end up in the
// real cache rather than be destroyed with the stand-in.

var kcmBob = Principal{NameType: NameTypePrincipal, Realm: "EXAMPLE.ORG", Components: []string{"bob"}}

// fakeKinit does to cache name what MIT kinit does: INITIALIZE for bob,
// then STORE. The caller holds f.mu.
func (f *fakeKCM) fakeKinit(name string) {
	c := f.caches[name]
	p := kcmBob
	tgt := Credential{Client: kcmBob, Server: tgtSvc, Ticket: []byte("bob's ticket"),
		AuthTime: time.Unix(100, 0), StartTime: time.Unix(100, 0), EndTime: time.Unix(200, 0)}
	c.princ, c.creds = &p, []fakeCred{{newUUID(), tgt}}
}

// standInOf is the cache other than "0" and "theirs", or "".
func (f *fakeKCM) standInOf() string {
	for n := range f.caches {
		if n != "0" && n != "theirs" {
			return n
		}
	}
	return ""
}

func holdsBob(t *testing.T, f *fakeKCM) {
	t.Helper()
	c := kcmMustLoad(t, f.store("0"))
	if !c.DefaultPrincipal.Equal(kcmBob) || len(c.Credentials) != 1 || string(c.Credentials[0].Ticket) != "bob's ticket" {
		t.Errorf("KCM:0 holds %+v, want what the other writer stored", c)
	}
}

// A kinit into the stand-in while krenew writes the real cache (step 3).
func TestKCMStandInWrittenDuringTheWriteIsKept(t *testing.T) {
	f := heimdalFake(t)
	s := seededDefault(t, f)
	done := false
	f.setHook(func(op kcmOp) {
		if op == kcmOpMoveCache && f.lastName == "0" && !done {
			f.fakeKinit(f.defaultName())
			done = true
		}
	})
	if err := s.Update(renewTGT); err != nil {
		t.Fatal(err)
	}
	f.setHook(nil)
	if !done {
		t.Fatal("the real cache was not written behind a stand-in")
	}
	holdsBob(t, f)
	if d := f.defaultName(); d != "0" {
		t.Errorf("default %q, want 0", d)
	}
	if n := f.numCaches(); n != 1 {
		t.Errorf("%d caches, want 1 (stand-in left?)", n)
	}
	if n := hooksOf(s).adopted.Load(); n != 1 {
		t.Errorf("adopted %d stand-ins, want 1", n)
	}
}

// A write into the stand-in after the switch back (by a program that
// resolved "KCM:" before it) is kept too, and a kswitch to yet another
// cache meanwhile stands.
func TestKCMStandInWrittenAfterTheSwitchBackIsKept(t *testing.T) {
	f := heimdalFake(t)
	s := seededDefault(t, f)
	hooksOf(s).standInHook = func(step kcmStandInStep, tmp string) {
		if step != kcmStepBack {
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		f.fakeKinit(tmp)
		f.create("theirs")
		f.def = "theirs"
	}
	if err := s.Update(renewTGT); err != nil {
		t.Fatal(err)
	}
	holdsBob(t, f)
	if d := f.defaultName(); d != "theirs" {
		t.Errorf("default %q, want the user's choice", d)
	}
	if n, tmp := f.numCaches(), f.standInOf(); n != 2 || tmp != "" {
		t.Errorf("%d caches, want 0 and theirs (stand-in %q left)", n, tmp)
	}
	if n := hooksOf(s).adopted.Load(); n != 1 {
		t.Errorf("adopted %d stand-ins, want 1", n)
	}
}

// A stand-in made the default again after the switch back (kswitch -p
// finding it by its principal) is not destroyed under the default, which
// would leave "KCM:" to whichever cache the daemon finds (here "theirs",
// the newest): the real cache, holding the same, becomes the default.
func TestKCMStandInSwitchedToAgain(t *testing.T) {
	f := heimdalFake(t)
	s := seededDefault(t, f)
	hooksOf(s).standInHook = func(step kcmStandInStep, tmp string) {
		if step == kcmStepBack {
			f.mu.Lock()
			f.create("theirs")
			f.def = tmp
			f.mu.Unlock()
		}
	}
	if err := s.Update(renewTGT); err != nil {
		t.Fatal(err)
	}
	if d := f.defaultName(); d != "0" {
		t.Errorf("default %q, want 0", d)
	}
	if n, tmp := f.numCaches(), f.standInOf(); n != 2 || tmp != "" {
		t.Errorf("%d caches, want 0 and theirs (stand-in %q left)", n, tmp)
	}
	if n := hooksOf(s).adopted.Load(); n != 1 {
		t.Errorf("adopted %d stand-ins, want 1", n)
	}
	want, _ := renewTGT(kcmSample())
	wantTGT, _ := want.FindTGT()
	c := kcmMustLoad(t, f.store("0"))
	if tgt, ok := c.FindTGT(); !ok || !tgt.EndTime.Equal(wantTGT.EndTime) || len(c.Credentials) != len(want.Credentials) {
		t.Errorf("KCM:0 holds %+v, want the renewed cache", c)
	}
}

// A stand-in destroyed meanwhile (kdestroy of "KCM:") has nothing to
// keep: the update succeeds and the real cache is the default.
func TestKCMStandInDestroyedMeanwhile(t *testing.T) {
	f := heimdalFake(t)
	s := seededDefault(t, f)
	hooksOf(s).standInHook = func(step kcmStandInStep, tmp string) {
		if step == kcmStepStandIn {
			f.mu.Lock()
			delete(f.caches, tmp)
			f.def = ""
			f.mu.Unlock()
		}
	}
	if err := s.Update(renewTGT); err != nil {
		t.Fatal(err)
	}
	if d, n := f.defaultName(), f.numCaches(); d != "0" || n != 1 {
		t.Errorf("default %q and %d caches, want 0 and 1", d, n)
	}
	if n := hooksOf(s).adopted.Load(); n != 0 {
		t.Errorf("adopted %d stand-ins, want 0", n)
	}
}

// With Heimdal and MIT's tools: kinit run while the stand-in is the
// default writes to it; after the update "KCM:" is the real cache, by
// name, and holds the kinit's ticket, and no stand-in is left.
func TestKCMStandInKeepsMITKinit(t *testing.T) {
	e := startKCMEnv(t)
	e.kinitAlice(t, "KCM:")
	realName := e.resolved(t)
	coll := []string{"KRB5CCNAME=KCM:"}
	s := e.open(t, "KCM:")
	hooksOf(s).grace = 20 * time.Millisecond
	shorten := func(c *Cache) (*Cache, error) {
		tgt, _ := c.FindTGT()
		tgt.EndTime = tgt.EndTime.Add(-time.Minute)
		return c, nil
	}
	aliceName, bobName := e.kdc.Principal(testkdc.Alice), e.kdc.Principal(testkdc.Bob)
	for _, c := range []struct {
		name      string
		step      kcmStandInStep
		byName    bool // kinit -c KCM:<stand-in>, having resolved "KCM:" earlier
		pw, princ string
		life      time.Duration
	}{
		{"other principal while the stand-in is the default", kcmStepStandIn, false, testkdc.BobPassword, bobName, 2 * time.Hour},
		{"other lifetime while the real cache is written", kcmStepWritten, false, testkdc.AlicePassword, aliceName, 3 * time.Hour},
		{"after the switch back", kcmStepBack, true, testkdc.AlicePassword, aliceName, 4 * time.Hour},
	} {
		ran := false
		hooksOf(s).standInHook = func(step kcmStandInStep, tmp string) {
			if step != c.step {
				return
			}
			cache := "KCM:"
			if c.byName {
				cache += tmp
			} else if got := e.resolved(t); got != tmp {
				t.Errorf("%s: KCM: is %s, want the stand-in %s", c.name, got, tmp)
			}
			e.mitOK(t, nil, c.pw+"\n", "kinit", "-l", fmt.Sprintf("%ds", int(c.life.Seconds())), "-c", cache, c.princ)
			ran = true
		}
		before := hooksOf(s).adopted.Load()
		if err := s.Update(shorten); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !ran {
			t.Fatalf("%s: no stand-in (strategy %v)", c.name, hooksOf(s).lastWrite.Load())
		}
		tk := testkdc.Klist(t, e.kdc, "KCM:")
		if tk.Principal != c.princ || tk.Lifetime() != c.life {
			t.Errorf("%s: klist -c KCM: shows %s for %v, want the kinit's %s for %v", c.name, tk.Principal, tk.Lifetime(), c.princ, c.life)
		}
		if got := e.resolved(t); got != realName {
			t.Errorf("%s: KCM: is %s, want the real cache %s", c.name, got, realName)
		}
		if list := e.mitOK(t, coll, "", "klist", "-l"); strings.Count(list, "KCM:") != 1 {
			t.Errorf("%s: klist -l lists more than the real cache:\n%s", c.name, list)
		}
		if n := hooksOf(s).adopted.Load() - before; n != 1 {
			t.Errorf("%s: adopted %d stand-ins, want 1", c.name, n)
		}
	}
	// A kinit of another principal in the collection makes its own
	// cache and switches to it; that choice stands, and the unchanged
	// stand-in goes.
	hooksOf(s).standInHook = func(step kcmStandInStep, tmp string) {
		if step == kcmStepStandIn {
			e.mitOK(t, coll, testkdc.BobPassword+"\n", "kinit", "-l", "1h", bobName)
		}
	}
	before := hooksOf(s).adopted.Load()
	if err := s.Update(shorten); err != nil {
		t.Fatal(err)
	}
	if tk := testkdc.Klist(t, e.kdc, "KCM:"); tk.Principal != bobName {
		t.Errorf("KCM: holds %s after kinit switched to bob's new cache", tk.Principal)
	}
	if tk := testkdc.Klist(t, e.kdc, "KCM:"+realName); tk.Principal != aliceName {
		t.Errorf("KCM:%s holds %s, want alice's renewed cache", realName, tk.Principal)
	}
	if got := e.resolved(t); got == realName {
		t.Errorf("the default went back to %s over the user's switch", realName)
	}
	if list := e.mitOK(t, coll, "", "klist", "-l"); strings.Count(list, "KCM:") != 2 {
		t.Errorf("klist -l should list alice's and kcmBob's caches only:\n%s", list)
	}
	if n := hooksOf(s).adopted.Load() - before; n != 0 {
		t.Errorf("adopted %d stand-ins, want 0", n)
	}
}
