package ccache

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// seededDefault makes the default cache "0" hold kcmSample and returns a
// "KCM:" store with a short grace.
func seededDefault(t *testing.T, f *fakeKCM) *KCMStore {
	t.Helper()
	s := f.store("")
	hooksOf(s).grace = time.Millisecond
	if err := s.Update(func(*Cache) (*Cache, error) { return kcmSample(), nil }); err != nil {
		t.Fatal(err)
	}
	return s
}

// While the real cache is written, "KCM:" names a stand-in holding the
// whole new cache; afterwards the real cache is the default again and the
// stand-in is gone.
func TestKCMStandInServesTheDefaultDuringTheWrite(t *testing.T) {
	f := heimdalFake(t)
	s := seededDefault(t, f)
	var defaults []string
	var standIn *Cache
	f.setHook(func(op kcmOp) {
		if op == kcmOpMoveCache && f.lastName == "0" {
			d := f.defaultName()
			defaults = append(defaults, d)
			if c := f.caches[d]; c != nil && standIn == nil {
				standIn = &Cache{Version: 4, DefaultPrincipal: *c.princ}
				for _, cr := range c.creds {
					standIn.Credentials = append(standIn.Credentials, cr.cred)
				}
			}
		}
	})
	if err := s.Update(renewTGT); err != nil {
		t.Fatal(err)
	}
	f.setHook(nil)
	if got, want := hooksOf(s).lastWrite.Load(), kcmWriteStandIn+kcmWriteMove; got != want {
		t.Errorf("strategy %v, want %s", got, want)
	}
	if len(defaults) == 0 {
		t.Fatal("the real cache was not written")
	}
	for _, d := range defaults {
		if d == "0" {
			t.Errorf("the real cache was the default while it was written")
		}
	}
	now := kcmMustLoad(t, f.store("0"))
	if standIn == nil || !reflect.DeepEqual(standIn.Credentials, now.Credentials) {
		t.Errorf("the stand-in did not hold the new cache:\n stand-in %+v\n new      %+v", standIn, now)
	}
	if d := f.defaultName(); d != "0" {
		t.Errorf("default %q after the update, want 0", d)
	}
	if n := f.numCaches(); n != 1 {
		t.Errorf("%d caches after the update, want 1", n)
	}
	if n := hooksOf(s).adopted.Load(); n != 0 {
		t.Errorf("an untouched stand-in was adopted %d times", n)
	}
}

// A user who switches the default meanwhile (kswitch) keeps the switch.
func TestKCMStandInRespectsAnotherSwitch(t *testing.T) {
	f := heimdalFake(t)
	s := seededDefault(t, f)
	f.setHook(func(op kcmOp) {
		if op == kcmOpMoveCache && f.lastName == "0" {
			f.create("theirs")
			f.def = "theirs"
		}
	})
	if err := s.Update(renewTGT); err != nil {
		t.Fatal(err)
	}
	f.setHook(nil)
	if d := f.defaultName(); d != "theirs" {
		t.Errorf("default %q, want the user's choice", d)
	}
	if n := f.numCaches(); n != 2 {
		t.Errorf("%d caches, want 0 and theirs (stand-in left?)", n)
	}
	if n := hooksOf(s).adopted.Load(); n != 0 {
		t.Errorf("an untouched stand-in was adopted %d times", n)
	}
}

func TestKCMNoStandInWithoutSetDefault(t *testing.T) {
	f := heimdalFake(t, kcmOpSetDefaultCache)
	s := seededDefault(t, f)
	for range 2 {
		if err := s.Update(renewTGT); err != nil {
			t.Fatal(err)
		}
		if got := hooksOf(s).lastWrite.Load(); got != kcmWriteMove {
			t.Errorf("strategy %v, want %s", got, kcmWriteMove)
		}
	}
	if !s.noStandIn.Load() {
		t.Error("a daemon that cannot switch the default is not remembered")
	}
	if n := f.numCaches(); n != 1 {
		t.Errorf("%d caches, want 1", n)
	}
}

// A write of the real cache that fails leaves it as it was, the default,
// and no stand-in.
func TestKCMStandInFailedWrite(t *testing.T) {
	f := heimdalFake(t)
	s := seededDefault(t, f)
	if err := s.Update(renewTGT); err != nil {
		t.Fatal(err)
	}
	before := kcmMustLoad(t, f.store("0"))
	// Once the stand-in is the default, the connection breaks on the
	// next STORE, into the cache that was to be moved over the real one.
	hooksOf(s).standInHook = func(step kcmStandInStep, tmp string) {
		if step == kcmStepStandIn {
			f.mu.Lock()
			f.dropOp, f.dropAt = kcmOpStore, f.calls[kcmOpStore]+1
			f.mu.Unlock()
		}
	}
	err := s.Update(renewTGT)
	hooksOf(s).standInHook = nil
	if !errors.Is(err, ErrKCMUnavailable) || !strings.Contains(err.Error(), "KCM: (KCM:0)") {
		t.Fatalf("Update with the connection lost: %v", err)
	}
	if after := kcmMustLoad(t, f.store("0")); !reflect.DeepEqual(after, before) {
		t.Errorf("cache changed:\n got  %+v\n want %+v", after, before)
	}
	if d := f.defaultName(); d != "0" {
		t.Errorf("default %q, want 0 back", d)
	}
	if n := f.numCaches(); n != 1 {
		t.Errorf("%d caches, want 1 (stand-in left?)", n)
	}
}

// A cache named explicitly, or a new cache, needs no stand-in.
func TestKCMStandInOnlyForAnExistingDefault(t *testing.T) {
	f := heimdalFake(t)
	def := f.store("")
	if err := def.Update(func(*Cache) (*Cache, error) { return kcmSample(), nil }); err != nil {
		t.Fatal(err)
	}
	if got := hooksOf(def).lastWrite.Load(); got != kcmWriteMove {
		t.Errorf("creating the default cache used %v, want %s", got, kcmWriteMove)
	}
	named := f.store("0")
	if err := named.Update(renewTGT); err != nil {
		t.Fatal(err)
	}
	if got := hooksOf(named).lastWrite.Load(); got != kcmWriteMove {
		t.Errorf("renewing KCM:0 used %v, want %s", got, kcmWriteMove)
	}
}
