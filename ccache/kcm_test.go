package ccache

import (
	"errors"
	"io/fs"
	"net"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseKCMName(t *testing.T) {
	for raw, residual := range map[string]string{"KCM:": "", "KCM:0": "0", "KCM:1000:3": "1000:3", "KCM:a b": "a b"} {
		n, err := ParseName(raw)
		if err != nil {
			t.Errorf("ParseName(%q): %v", raw, err)
			continue
		}
		want := Name{Type: "KCM", Residual: residual}
		if n != want {
			t.Errorf("ParseName(%q) = %+v, want %+v", raw, n, want)
		}
		if n.String() != raw {
			t.Errorf("ParseName(%q).String() = %q", raw, n.String())
		}
	}
	for _, raw := range []string{"KCM:a\x00b", "KCM:a\nb"} {
		if _, err := ParseName(raw); err == nil {
			t.Errorf("ParseName(%q) accepted a NUL or newline", raw)
		}
	}
}

func TestOpenKCMSocketChoice(t *testing.T) {
	n := Name{Type: "KCM", Residual: "x"}
	socketOf := func(o OpenOptions) string {
		s, err := Open(n, o)
		if err != nil {
			t.Fatal(err)
		}
		return s.(*KCMStore).Socket
	}
	t.Setenv("KRB5_KCM_SOCKET", "")
	if got := socketOf(OpenOptions{}); got != DefaultKCMSocket {
		t.Errorf("default socket %q, want %q", got, DefaultKCMSocket)
	}
	t.Setenv("KRB5_KCM_SOCKET", "/env/sock")
	if got := socketOf(OpenOptions{}); got != "/env/sock" {
		t.Errorf("socket %q, want the one from KRB5_KCM_SOCKET", got)
	}
	if got := socketOf(OpenOptions{KCMSocket: "/conf/sock"}); got != "/conf/sock" {
		t.Errorf("socket %q, want krb5.conf's kcm_socket", got)
	}
}

func TestKCMUnavailableNamesSocketAndCache(t *testing.T) {
	dir := shortSocketDir(t)
	refused := filepath.Join(dir, "refused.sock")
	ln, err := net.Listen("unix", refused)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	for _, sock := range []string{filepath.Join(dir, "absent.sock"), refused, "-"} {
		s := &KCMStore{Name: "mine", Socket: sock}
		_, err := s.Load()
		if !errors.Is(err, ErrKCMUnavailable) {
			t.Fatalf("Load via %s: %v, want ErrKCMUnavailable", sock, err)
		}
		if errors.Is(err, ErrNotFound) {
			t.Errorf("an unreachable daemon must not look like a missing cache: %v", err)
		}
		if msg := err.Error(); !strings.Contains(msg, sock) || !strings.Contains(msg, "KCM:mine") {
			t.Errorf("error %q does not name the socket and the cache", msg)
		}
		if err := s.Update(func(*Cache) (*Cache, error) { return kcmSample(), nil }); !errors.Is(err, ErrKCMUnavailable) {
			t.Errorf("Update via %s: %v", sock, err)
		}
		if err := s.Remove(); !errors.Is(err, ErrKCMUnavailable) {
			t.Errorf("Remove via %s: %v", sock, err)
		}
	}
}

// Each daemon profile forces one write path and one read path; all of
// them must store and return the same cache.
func TestKCMWriteAndReadPaths(t *testing.T) {
	profiles := []struct {
		name      string
		code      int32
		missing   []kcmOp
		strategy  string
		probeOnce []kcmOp // tried once, then remembered as missing
	}{
		{"sssd", 0, nil, kcmWriteReplace, nil},
		{"heimdal", kcmCodeFCCInternal, []kcmOp{kcmOpReplace, kcmOpGetCredList}, kcmWriteMove, []kcmOp{kcmOpReplace, kcmOpGetCredList}},
		{"heimdal without REMOVE_CRED", kcmCodeFCCInternal, []kcmOp{kcmOpReplace, kcmOpGetCredList, kcmOpRemoveCred}, kcmWriteMove, []kcmOp{kcmOpReplace, kcmOpGetCredList, kcmOpRemoveCred}},
		{"old sssd", kcmCodeCCNoSupp, []kcmOp{kcmOpReplace, kcmOpGetCredList, kcmOpMoveCache, kcmOpRemoveCred}, kcmWriteInitialize, []kcmOp{kcmOpReplace, kcmOpGetCredList, kcmOpMoveCache, kcmOpRemoveCred}},
		{"unknown ops as I/O errors", kcmCodeCCIO, []kcmOp{kcmOpReplace, kcmOpGenNew, kcmOpRemoveCred}, kcmWriteInitialize, []kcmOp{kcmOpReplace, kcmOpGenNew}},
		// GET_CRED_LIST, yet no REPLACE: MOVE_CACHE all the same.
		{"cred list, no REPLACE", kcmCodeFCCInternal, []kcmOp{kcmOpReplace}, kcmWriteMove, []kcmOp{kcmOpReplace}},
	}
	for _, p := range profiles {
		t.Run(p.name, func(t *testing.T) {
			f := startFakeKCM(t, p.code, p.missing...)
			s := f.store("0")
			want := kcmSample()
			if _, err := s.Load(); !errors.Is(err, ErrNotFound) || !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("Load of a missing cache: %v, want ErrNotFound", err)
			}
			var got *Cache
			if err := s.Update(func(old *Cache) (*Cache, error) { got = old; return want, nil }); err != nil {
				t.Fatalf("Update creating the cache: %v", err)
			}
			if got != nil {
				t.Fatalf("fn got %+v for a missing cache, want nil", got)
			}
			loaded, err := s.Load()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(loaded, want) {
				t.Fatalf("Load after Update:\n got  %+v\n want %+v", loaded, want)
			}
			// A renewal: a later end time, config entries kept.
			err = s.Update(func(old *Cache) (*Cache, error) {
				tgt, ok := old.FindTGT()
				if !ok {
					t.Fatal("no TGT in the loaded cache")
				}
				tgt.EndTime = tgt.EndTime.Add(time.Hour)
				return old, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			loaded, err = s.Load()
			if err != nil {
				t.Fatal(err)
			}
			tgt, _ := loaded.FindTGT()
			if wantEnd := want.Credentials[1].EndTime.Add(time.Hour); !tgt.EndTime.Equal(wantEnd) {
				t.Errorf("end time %v after renewal, want %v", tgt.EndTime, wantEnd)
			}
			if v, ok := loaded.Config("pa_type", &tgtSvc); !ok || string(v) != "2" {
				t.Errorf("config entry lost: %q %v", v, ok)
			}
			if off, _ := loaded.KDCOffset(); off != -2*time.Second {
				t.Errorf("KDC offset %v, want -2s", off)
			}
			if got := hooksOf(s).lastWrite.Load(); got != p.strategy {
				t.Errorf("wrote with %v, want %s", got, p.strategy)
			}
			for _, op := range p.probeOnce {
				if n := f.count(op); n != 1 {
					t.Errorf("%s sent %d times; a missing operation must be remembered", op, n)
				}
			}
			if n := f.numCaches(); n != 1 {
				t.Errorf("daemon holds %d caches, want only the target (temporary caches leaked?)", n)
			}
		})
	}
}

func TestKCMUpdateLeavesCacheAloneOnErrorOrNil(t *testing.T) {
	f := startFakeKCM(t, kcmCodeFCCInternal, kcmOpReplace, kcmOpGetCredList)
	s := f.store("0")
	if err := s.Update(func(*Cache) (*Cache, error) { return kcmSample(), nil }); err != nil {
		t.Fatal(err)
	}
	before, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	writes := func() int {
		return f.count(kcmOpInitialize) + f.count(kcmOpStore) + f.count(kcmOpGenNew) + f.count(kcmOpDestroy)
	}
	n := writes()
	err = s.Update(func(old *Cache) (*Cache, error) {
		old.Credentials = nil
		return old, errSentinelForTest
	})
	if err != errSentinelForTest {
		t.Errorf("Update returned %v, want fn's error as is", err)
	}
	if err := s.Update(func(*Cache) (*Cache, error) { return nil, nil }); err != nil {
		t.Errorf("Update with (nil, nil): %v", err)
	}
	if writes() != n {
		t.Errorf("Update wrote although fn failed or returned nil")
	}
	after, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(after, before) {
		t.Errorf("cache changed:\n got  %+v\n want %+v", after, before)
	}
}

// Heimdal's default cache, unless set, is the newest cache; no cache may
// be the default while it is being filled, whether it is a temporary
// cache or a stand-in.
func TestKCMMovePinsTheDefaultCache(t *testing.T) {
	for _, missing := range [][]kcmOp{{kcmOpRemoveCred}, nil} {
		f := startFakeKCM(t, kcmCodeFCCInternal, append(missing, kcmOpReplace, kcmOpGetCredList)...)
		s := f.store("")
		hooksOf(s).grace = time.Millisecond
		if err := s.Update(func(*Cache) (*Cache, error) { return kcmSample(), nil }); err != nil {
			t.Fatal(err)
		}
		var seen, filled []string
		f.setHook(func(op kcmOp) {
			if op == kcmOpStore || op == kcmOpRemoveCred {
				seen = append(seen, f.defaultName())
				filled = append(filled, f.lastName)
			}
		})
		if err := s.Update(renewTGT); err != nil {
			t.Fatal(err)
		}
		f.setHook(nil)
		if len(seen) == 0 {
			t.Fatal("no STORE seen")
		}
		for i := range seen {
			if seen[i] == filled[i] {
				t.Errorf("missing %v: cache %q was the default while it was written", missing, seen[i])
			}
		}
		if c, err := f.store("0").Load(); err != nil || !c.DefaultPrincipal.Equal(alice) {
			t.Errorf("cache 0 after the update: %v", err)
		}
		if d := f.defaultName(); d != "0" {
			t.Errorf("default cache %q after the update, want 0 back", d)
		}
		if n := f.numCaches(); n != 1 {
			t.Errorf("daemon holds %d caches, want 1 (stand-in or temporary cache left?)", n)
		}
	}
}

func TestKCMDefaultNameResolvedEachTime(t *testing.T) {
	f := startFakeKCM(t, 0)
	def := f.store("")
	if err := def.Update(func(*Cache) (*Cache, error) { return kcmSample(), nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store("0").Load(); err != nil {
		t.Fatalf("KCM: did not write the daemon's default cache 0: %v", err)
	}
	f.mu.Lock()
	f.def = "elsewhere"
	f.mu.Unlock()
	_, err := def.Load()
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("Load of KCM: after the default moved: %v", err)
	}
	if !strings.Contains(err.Error(), "KCM: (KCM:elsewhere)") {
		t.Errorf("error %q does not show the resolved name", err)
	}
}

func TestKCMRemove(t *testing.T) {
	f := startFakeKCM(t, 0)
	s := f.store("0")
	if err := s.Update(func(*Cache) (*Cache, error) { return kcmSample(), nil }); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(); !errors.Is(err, ErrNotFound) {
		t.Errorf("Load after Remove: %v", err)
	}
	if err := s.Remove(); !errors.Is(err, ErrNotFound) {
		t.Errorf("Remove of a missing cache: %v, want ErrNotFound", err)
	}
}

func TestKCMUninitializedCacheIsNotFound(t *testing.T) {
	// Heimdal 7 answers KRB5_CC_NOTFOUND, older ones status 0 and no
	// principal.
	for _, reply := range [][]byte{frame(kcmCodeCCNotFound, nil), frame(0, nil), frame(kcmCodeFCCNoFile, nil)} {
		s := &KCMStore{Name: "x", Socket: rawKCM(t, reply, false)}
		if _, err := s.Load(); !errors.Is(err, ErrNotFound) {
			t.Errorf("reply %x: %v, want ErrNotFound", reply, err)
		}
	}
}

// A writer replacing the cache between the UUID list and the fetches
// makes the reader start over and return the new cache whole.
func TestKCMLoadRetriesWhenCacheIsReplaced(t *testing.T) {
	f := startFakeKCM(t, kcmCodeFCCInternal, kcmOpReplace, kcmOpGetCredList)
	s := f.store("0")
	if err := s.Update(func(*Cache) (*Cache, error) { return kcmSample(), nil }); err != nil {
		t.Fatal(err)
	}
	newer := kcmSample()
	newer.Credentials[1].Ticket = []byte("newer")
	swaps := 0
	f.setHook(func(op kcmOp) {
		if op == kcmOpGetCredByUUID && swaps < 3 {
			swaps++
			c := f.caches["0"]
			c.creds = nil
			for _, cr := range newer.Credentials {
				c.creds = append(c.creds, fakeCred{newUUID(), cr})
			}
		}
	})
	got, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	f.setHook(nil)
	if !reflect.DeepEqual(got, newer) {
		t.Errorf("Load returned a mixed or old cache:\n got  %+v\n want %+v", got, newer)
	}
	if swaps != 3 {
		t.Errorf("%d swaps, want 3", swaps)
	}
}

func TestKCMLoadGivesUpOnEndlessChurn(t *testing.T) {
	f := startFakeKCM(t, kcmCodeFCCInternal, kcmOpReplace, kcmOpGetCredList)
	s := f.store("0")
	if err := s.Update(func(*Cache) (*Cache, error) { return kcmSample(), nil }); err != nil {
		t.Fatal(err)
	}
	f.setHook(func(op kcmOp) {
		if op == kcmOpGetCredUUIDList {
			for i := range f.caches["0"].creds {
				f.caches["0"].creds[i].uuid = newUUID()
			}
		}
	})
	if _, err := s.Load(); err == nil || !strings.Contains(err.Error(), "kept changing") {
		t.Errorf("Load under endless churn: %v", err)
	}
}

func TestKCMStatusErrorsNameCacheAndOperation(t *testing.T) {
	s := &KCMStore{Name: "c", Socket: rawKCM(t, frame(kcmCodeFCCPerm, nil), false)}
	_, err := s.Load()
	var st *kcmStatusError
	if !errors.As(err, &st) || st.Code != kcmCodeFCCPerm {
		t.Fatalf("Load: %v, want the daemon's status", err)
	}
	for _, want := range []string{"KCM:c", "GET_PRINCIPAL", "KRB5_FCC_PERM"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

// A connection lost in the middle of filling the temporary cache leaves
// the target as it was and no temporary cache behind.
func TestKCMLostConnectionMidUpdate(t *testing.T) {
	f := startFakeKCM(t, kcmCodeFCCInternal, kcmOpReplace, kcmOpGetCredList)
	s := f.store("0")
	if err := s.Update(func(*Cache) (*Cache, error) { return kcmSample(), nil }); err != nil {
		t.Fatal(err)
	}
	before := kcmMustLoad(t, s)
	f.mu.Lock()
	f.dropOp, f.dropAt = kcmOpStore, f.calls[kcmOpStore]+2
	f.mu.Unlock()
	err := s.Update(func(c *Cache) (*Cache, error) {
		c.Credentials[1].Ticket = []byte("never stored")
		return c, nil
	})
	if !errors.Is(err, ErrKCMUnavailable) || !strings.Contains(err.Error(), "KCM:0") {
		t.Fatalf("Update with the connection lost: %v", err)
	}
	if n := f.numCaches(); n != 1 {
		t.Errorf("daemon holds %d caches after the failed update, want 1 (temporary cache left behind)", n)
	}
	if after := kcmMustLoad(t, s); !reflect.DeepEqual(after, before) {
		t.Errorf("target changed:\n got  %+v\n want %+v", after, before)
	}
}
