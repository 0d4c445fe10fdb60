package ccache

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Every anchor round-trips, and the keys are laid out as MIT lays them out.
func TestKeyringRoundTripLayout(t *testing.T) {
	requireKeyrings(t)
	euid := strconv.Itoa(os.Geteuid())
	for _, tc := range []struct {
		anchor   string
		name     func(coll string) string
		credType string // "" : big_key where the kernel has it, else user
		offsets  bool
	}{
		{anchor: "session", name: func(c string) string { return "KEYRING:session:" + c }, offsets: true},
		{anchor: "user", name: func(c string) string { return "KEYRING:user:" + c }, offsets: true},
		{anchor: "process", name: func(c string) string { return "KEYRING:process:" + c }, offsets: true},
		{anchor: "thread", name: func(c string) string { return "KEYRING:thread:" + c }, offsets: true},
		{anchor: "legacy", name: func(c string) string { return "KEYRING:" + c }, credType: keyTypeUser},
		{anchor: "legacy-sub", name: func(c string) string { return "KEYRING:legacy:" + c + ":sub" }, credType: keyTypeUser, offsets: true},
		{anchor: "subsidiary", name: func(c string) string { return "KEYRING:session:" + c + ":krb_ccache_test" }, offsets: true},
		{anchor: "persistent", name: func(c string) string { return "KEYRING:persistent:" + euid + ":" + c }, offsets: true},
	} {
		t.Run(tc.anchor, func(t *testing.T) {
			s := openKR(t, tc.name(testCollection(t)))
			if _, err := s.Load(); !errors.Is(err, ErrNotFound) || !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("Load before creating: %v, want ErrNotFound", err)
			}
			want := testCache("EXAMPLE.COM")
			mustUpdate(t, s, want)
			got := mustLoad(t, s)
			stored := *want
			if !tc.offsets {
				stored.Header = nil
			}
			if err := sameCache(got, &stored); err != nil {
				t.Fatal(err)
			}
			if got.Version != 4 || len(got.Credentials) != 3 {
				t.Fatalf("Load: version %d, %d credentials", got.Version, len(got.Credentials))
			}
			if _, ok := got.KDCOffset(); ok != tc.offsets {
				t.Errorf("KDC offset stored: %v, want %v", ok, tc.offsets)
			}

			tg, keys := cacheKeys(t, s)
			wantSub := s.name.subsidiary
			if wantSub == "" {
				wantSub = s.name.collection
			}
			if tg.sub != wantSub || !tg.hasPrimary {
				t.Errorf("resolved to cache %q (primary key %v), want %q with a primary key", tg.sub, tg.hasPrimary, wantSub)
			}
			if name, err := s.CacheName(); err != nil || name != s.name.cacheName(wantSub) {
				t.Errorf("CacheName = %q, %v", name, err)
			}
			p, ok := keyByDesc(keys, krPrincipalKey)
			if !ok || p.typ != keyTypeUser || !bytes.Equal(p.payload, MarshalPrincipal(want.DefaultPrincipal)) {
				t.Errorf("principal key %+v", p)
			}
			o, ok := keyByDesc(keys, krOffsetsKey)
			if ok != tc.offsets || ok && (o.typ != keyTypeUser || !bytes.Equal(o.payload, want.Header[0].Value)) {
				t.Errorf("offsets key %+v (present %v)", o, ok)
			}
			for _, cr := range want.Credentials {
				k, ok := keyByDesc(keys, cr.Server.String())
				if !ok {
					t.Errorf("no key %q", cr.Server.String())
					continue
				}
				if !bytes.Equal(k.payload, MarshalCredential(cr)) {
					t.Errorf("key %q holds other bytes", k.desc)
				}
				if tc.credType != "" && k.typ != tc.credType || k.typ != keyTypeUser && k.typ != keyTypeBigKey {
					t.Errorf("key %q has type %s", k.desc, k.typ)
				}
				// Tickets expire with their end time, configuration never.
				exp := keyExpiry(t, k.id)
				if cr.IsConfig() != (exp == "perm") {
					t.Errorf("key %q expires %s", k.desc, exp)
				}
			}
			if len(keys) != 4+map[bool]int{true: 1}[tc.offsets] {
				t.Errorf("cache keyring holds %d keys: %+v", len(keys), keys)
			}
			if exp := keyExpiry(t, tg.cache); exp == "perm" {
				t.Errorf("cache keyring never expires")
			}
			assertLinkedInSession(t, tg.cache, tc.anchor == "legacy")
		})
	}
}

// MIT's primary key: written when a collection gets its first cache, and
// then followed by the collection name.
func TestKeyringPrimaryKey(t *testing.T) {
	requireKeyrings(t)
	coll := testCollection(t)
	sub := openKR(t, "KEYRING:session:"+coll+":krb_ccache_first")
	mustUpdate(t, sub, testCache("EXAMPLE.COM"))
	var primary []byte
	err := keyWriter().do(func() error {
		c, err := sub.name.findCollection(false)
		if err != nil {
			return err
		}
		id, _, err := keySearch(c, keyTypeUser, krPrimaryKey, 0)
		if err != nil {
			return err
		}
		primary, err = keyRead(id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(primary, encodePrimary("krb_ccache_first")) {
		t.Fatalf("primary key %q", primary)
	}
	// The collection name now leads to that cache.
	coll2 := openKR(t, "KEYRING:session:"+coll)
	if name, err := coll2.CacheName(); err != nil || name != "KEYRING:session:"+coll+":krb_ccache_first" {
		t.Fatalf("collection resolves to %q, %v", name, err)
	}
	mustLoad(t, coll2)
	// A second cache leaves the primary alone.
	other := openKR(t, "KEYRING:session:"+coll+":krb_ccache_second")
	mustUpdate(t, other, testCache("OTHER.ORG"))
	if name, _ := coll2.CacheName(); name != "KEYRING:session:"+coll+":krb_ccache_first" {
		t.Fatalf("primary moved to %q", name)
	}
}

// Update writes only what fn changed, in place: unchanged keys keep their
// serial numbers and payloads, a changed credential keeps its serial, a
// dropped one is unlinked, a new one added.
func TestKeyringUpdateInPlace(t *testing.T) {
	requireKeyrings(t)
	s := openKR(t, "KEYRING:session:"+testCollection(t))
	mustUpdate(t, s, testCache("EXAMPLE.COM"))
	before, keysBefore := cacheKeys(t, s)

	err := s.Update(func(old *Cache) (*Cache, error) {
		tgt, ok := old.FindTGT()
		if !ok {
			t.Fatal("no TGT")
		}
		tgt.EndTime = tgt.EndTime.Add(time.Hour)
		tgt.Ticket = []byte("tgt-2")
		kept := old.Credentials[:0]
		for _, cr := range old.Credentials {
			if cr.Server.Components[0] != "host" {
				kept = append(kept, cr)
			}
		}
		old.Credentials = kept
		old.SetConfig("refresh_time", nil, []byte("12345"))
		return old, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	after, keysAfter := cacheKeys(t, s)
	if after.cache != before.cache {
		t.Fatalf("cache keyring replaced: %d -> %d", before.cache, after.cache)
	}
	byDesc := func(keys []keyInfo) map[string]keyInfo {
		m := map[string]keyInfo{}
		for _, k := range keys {
			m[k.desc] = k
		}
		return m
	}
	b, a := byDesc(keysBefore), byDesc(keysAfter)
	tgt := "krbtgt/EXAMPLE.COM@EXAMPLE.COM"
	if a[tgt].id != b[tgt].id || bytes.Equal(a[tgt].payload, b[tgt].payload) {
		t.Errorf("TGT key: serial %d -> %d, payload changed %v", b[tgt].id, a[tgt].id, !bytes.Equal(a[tgt].payload, b[tgt].payload))
	}
	for _, d := range []string{krPrincipalKey, krOffsetsKey, "krb5_ccache_conf_data/fast_avail/krbtgt\\/EXAMPLE.COM\\@EXAMPLE.COM@X-CACHECONF:"} {
		if a[d].id == 0 || a[d].id != b[d].id || !bytes.Equal(a[d].payload, b[d].payload) {
			t.Errorf("key %q changed: %+v -> %+v", d, b[d], a[d])
		}
	}
	if _, ok := a["host/svc.example@EXAMPLE.COM"]; ok {
		t.Error("dropped service ticket still in the keyring")
	}
	if _, ok := a["krb5_ccache_conf_data/refresh_time@X-CACHECONF:"]; !ok {
		t.Errorf("new config entry missing: %+v", keysAfter)
	}
	got := mustLoad(t, s)
	if tg, _ := got.FindTGT(); string(tg.Ticket) != "tgt-2" {
		t.Errorf("Load sees TGT %q", tg.Ticket)
	}
	if v, ok := got.Config("refresh_time", nil); !ok || string(v) != "12345" {
		t.Errorf("refresh_time = %q, %v", v, ok)
	}
}

// A failing fn, or one that returns nothing, leaves every key as it was.
func TestKeyringUpdateFailureLeavesCache(t *testing.T) {
	requireKeyrings(t)
	s := openKR(t, "KEYRING:session:"+testCollection(t))
	mustUpdate(t, s, testCache("EXAMPLE.COM"))
	_, before := cacheKeys(t, s)
	err := s.Update(func(old *Cache) (*Cache, error) {
		old.Credentials = nil
		old.DefaultPrincipal.Realm = "CHANGED"
		return old, errTestFn
	})
	if !errors.Is(err, errTestFn) {
		t.Fatalf("Update returned %v, want fn's error", err)
	}
	if err := s.Update(func(*Cache) (*Cache, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	_, after := cacheKeys(t, s)
	if len(after) != len(before) {
		t.Fatalf("%d keys before, %d after", len(before), len(after))
	}
	for i := range before {
		if before[i].id != after[i].id || before[i].desc != after[i].desc || !bytes.Equal(before[i].payload, after[i].payload) {
			t.Errorf("key changed: %+v -> %+v", before[i], after[i])
		}
	}

	// On a missing cache fn gets nil, and (nil, nil) creates nothing.
	missing := openKR(t, "KEYRING:session:"+testCollection(t))
	called := false
	err = missing.Update(func(old *Cache) (*Cache, error) {
		called = true
		if old != nil {
			t.Errorf("fn got %+v for a missing cache", old)
		}
		return nil, nil
	})
	if err != nil || !called {
		t.Fatalf("Update on a missing cache: %v, fn called %v", err, called)
	}
	if err := missing.Update(func(*Cache) (*Cache, error) { return nil, errTestFn }); !errors.Is(err, errTestFn) {
		t.Fatalf("Update: %v", err)
	}
	err = keyWriter().do(func() error {
		coll, err := missing.name.findCollection(false)
		if err == nil && coll != 0 {
			t.Errorf("collection keyring %d created without a write", coll)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Credentials for one server share one key, as in MIT, where each store
// replaces the key of that description: the last one wins.
func TestKeyringDuplicateDescriptions(t *testing.T) {
	requireKeyrings(t)
	s := openKR(t, "KEYRING:session:"+testCollection(t))
	c := testCache("EXAMPLE.COM")
	dup := c.Credentials[0]
	dup.Ticket = []byte("tgt-later")
	c.Credentials = append(c.Credentials, dup)
	mustUpdate(t, s, c)
	got := mustLoad(t, s)
	if len(got.Credentials) != 3 {
		t.Fatalf("%d credentials, want 3", len(got.Credentials))
	}
	if tgt, _ := got.FindTGT(); string(tgt.Ticket) != "tgt-later" {
		t.Errorf("TGT %q, want the later duplicate", tgt.Ticket)
	}
}

// Remove is kdestroy: the cache goes, the collection and primary key stay.
func TestKeyringRemove(t *testing.T) {
	requireKeyrings(t)
	s := openKR(t, "KEYRING:session:"+testCollection(t))
	if err := s.Remove(); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Remove of a missing cache: %v", err)
	}
	mustUpdate(t, s, testCache("EXAMPLE.COM"))
	tg, _ := cacheKeys(t, s)
	if err := s.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Load after Remove: %v", err)
	}
	after, _ := cacheKeys(t, s)
	if after.cache != 0 || after.collection != tg.collection || !after.hasPrimary {
		t.Errorf("after Remove: %+v (before %+v)", after, tg)
	}
	// The removed keyring was cleared, as MIT's krcc_destroy does, so a
	// reader still holding its serial finds nothing.
	err := keyWriter().do(func() error {
		ids, err := keyringList(tg.cache)
		if err == nil && len(ids) != 0 {
			t.Errorf("removed cache keyring still holds %d keys", len(ids))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Update creates it again, with fn(nil).
	mustUpdate(t, s, testCache("EXAMPLE.COM"))
	mustLoad(t, s)
}

// A keyring without a principal key is an uninitialized cache: not found
// for Load, filled in place by Update.
func TestKeyringUninitializedCache(t *testing.T) {
	requireKeyrings(t)
	s := openKR(t, "KEYRING:session:"+testCollection(t))
	var cache int
	err := keyWriter().do(func() error {
		coll, err := s.name.findCollection(true)
		if err != nil {
			return err
		}
		cache, err = keyAdd(keyTypeKeyring, s.name.collection, nil, coll)
		if err != nil {
			return err
		}
		_, err = keyAdd(keyTypeUser, "stale@EXAMPLE.COM", MarshalCredential(testCache("EXAMPLE.COM").Credentials[1]), cache)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Load of an uninitialized cache: %v", err)
	}
	err = s.Update(func(old *Cache) (*Cache, error) {
		if old != nil {
			t.Errorf("fn got %+v", old)
		}
		return testCache("EXAMPLE.COM"), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tg, keys := cacheKeys(t, s)
	if tg.cache != cache {
		t.Errorf("cache keyring replaced")
	}
	if _, ok := keyByDesc(keys, "stale@EXAMPLE.COM"); ok {
		t.Errorf("stale key kept")
	}
	if err := sameCache(mustLoad(t, s), testCache("EXAMPLE.COM")); err != nil {
		t.Error(err)
	}
}

// process: and thread: caches are the same for every goroutine of the
// process, whatever OS thread it runs on.
func TestKeyringProcessAndThreadAnchorsInProcess(t *testing.T) {
	requireKeyrings(t)
	for _, anchor := range []string{"process", "thread"} {
		s := openKR(t, "KEYRING:"+anchor+":"+testCollection(t))
		mustUpdate(t, s, testCache("EXAMPLE.COM"))
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// A locked goroutine runs on a thread of its own.
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				if _, err := s.Load(); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("%s: %v", anchor, err)
		}
	}
}

// The special keyrings the tests rely on are what MIT writes to.
func TestKeyringSessionWriteAnchor(t *testing.T) {
	requireKeyrings(t)
	var anchor int
	var s, u int
	err := keyWriter().do(func() error {
		anchor = sessionWriteAnchor()
		s, _ = unix.KeyctlGetKeyringID(unix.KEY_SPEC_SESSION_KEYRING, false)
		u, _ = unix.KeyctlGetKeyringID(unix.KEY_SPEC_USER_SESSION_KEYRING, false)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if (s == u) != (anchor == unix.KEY_SPEC_USER_SESSION_KEYRING) {
		t.Errorf("session %d, user session %d, anchor %d", s, u, anchor)
	}
}

// Using another uid's persistent keyring without CAP_SETUID fails, and
// says why. The check runs on a thread whose credentials are changed by a
// raw setresuid (syscall.Setresuid would change every thread) and which
// then exits with them.
func TestKeyringPersistentOfAnotherUserNeedsPrivilege(t *testing.T) {
	requireKeyrings(t)
	target := strconv.Itoa(os.Geteuid() + 1)
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with its changed credentials
		if os.Geteuid() == 0 {
			target = "0"
			if _, _, e := unix.RawSyscall(unix.SYS_SETRESUID, 65534, 65534, 65534); e != 0 {
				errc <- e
				return
			}
		}
		k, err := splitKeyringResidual("persistent:" + target)
		if err == nil {
			_, err = k.findCollection(false)
		}
		errc <- err
	}()
	err := <-errc
	if err == nil || !strings.Contains(err.Error(), "needs root (CAP_SETUID)") ||
		!strings.Contains(err.Error(), "uid "+target) || !errors.Is(err, unix.EPERM) {
		t.Fatalf("opening uid %s's persistent keyring unprivileged: %v", target, err)
	}
}

// A cache that pre-1.12 libkrb5 left straight in the session keyring is
// read through the legacy name and, on the first write, adopted into the
// collection as MIT adopts it.
func TestKeyringLegacyCacheFromOldLibkrb5(t *testing.T) {
	requireKeyrings(t)
	coll := testCollection(t)
	s := openKR(t, "KEYRING:"+coll)
	old := testCache("EXAMPLE.COM")
	old.Header = nil
	var cache int
	err := keyWriter().do(func() error {
		var err error
		if cache, err = keyAdd(keyTypeKeyring, coll, nil, sessionWriteAnchor()); err != nil {
			return err
		}
		if _, err = keyAdd(keyTypeUser, krPrincipalKey, MarshalPrincipal(old.DefaultPrincipal), cache); err != nil {
			return err
		}
		for _, cr := range old.Credentials {
			if _, err = keyAdd(keyTypeUser, cr.Server.String(), MarshalCredential(cr), cache); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := sameCache(mustLoad(t, s), old); err != nil {
		t.Fatal(err)
	}
	err = s.Update(func(c *Cache) (*Cache, error) {
		c.SetConfig("krenew_test", nil, []byte("adopted"))
		return c, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tg, _ := cacheKeys(t, s)
	if tg.cache != cache || tg.legacyLink || !tg.hasPrimary || tg.sub != coll {
		t.Fatalf("after the update: %+v, want cache %d adopted into its collection", tg, cache)
	}
	if v, ok := mustLoad(t, s).Config("krenew_test", nil); !ok || string(v) != "adopted" {
		t.Errorf("config %q %v", v, ok)
	}
	assertLinkedInSession(t, cache, true)
	if err := s.Remove(); err != nil {
		t.Fatal(err)
	}
	assertLinkedInSession(t, cache, false)
}

// assertLinkedInSession checks the extra link MIT keeps for a legacy cache
// in the session keyring itself.
func assertLinkedInSession(t *testing.T, cache int, want bool) {
	t.Helper()
	var ids []int
	err := keyWriter().do(func() error {
		var err error
		ids, err = keyringList(sessionWriteAnchor())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := slices.Contains(ids, cache); got != want {
		t.Errorf("cache keyring %d linked in the session keyring: %v, want %v", cache, got, want)
	}
}

// The kernel keeps an expired credential key listed for a while after its
// ticket ends; it is not part of the cache, and the next write drops it.
func TestKeyringExpiredCredentialKey(t *testing.T) {
	requireKeyrings(t)
	s := openKR(t, "KEYRING:session:"+testCollection(t))
	mustUpdate(t, s, testCache("EXAMPLE.COM"))
	tg, keys := cacheKeys(t, s)
	svc, ok := keyByDesc(keys, "host/svc.example@EXAMPLE.COM")
	if !ok {
		t.Fatal("no service ticket key")
	}
	err := keyWriter().do(func() error { return keySetTimeout(svc.id, 1) })
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		var rerr error
		_ = keyWriter().do(func() error { _, rerr = keyRead(svc.id); return nil })
		if errors.Is(rerr, unix.EKEYEXPIRED) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("key did not expire: %v", rerr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	c := mustLoad(t, s)
	if len(c.Credentials) != 2 || hasServer(c, "host/svc.example@EXAMPLE.COM") {
		t.Fatalf("Load with an expired key: %d credentials", len(c.Credentials))
	}
	if err := s.Update(func(c *Cache) (*Cache, error) { return c, nil }); err != nil {
		t.Fatal(err)
	}
	err = keyWriter().do(func() error {
		ids, err := keyringList(tg.cache)
		if slices.Contains(ids, svc.id) {
			t.Errorf("expired key still linked after an update")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A primary key of a version MIT does not know is an error, not a
// missing cache.
func TestKeyringUnknownPrimaryVersion(t *testing.T) {
	requireKeyrings(t)
	s := openKR(t, "KEYRING:session:"+testCollection(t))
	err := keyWriter().do(func() error {
		coll, err := s.name.findCollection(true)
		if err != nil {
			return err
		}
		_, err = keyAdd(keyTypeUser, krPrimaryKey, append([]byte{0, 0, 0, 2, 0, 0, 0, 1}, 'x'), coll)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Load()
	if err == nil || errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "unknown version 2") ||
		!strings.Contains(err.Error(), "KEYRING:session:"+s.name.collection) {
		t.Fatalf("Load: %v", err)
	}
	if err := s.Update(func(*Cache) (*Cache, error) { t.Error("fn called"); return nil, nil }); err == nil {
		t.Fatal("Update succeeded")
	}
}

// Kernels before 5.1 have no KEYCTL_MOVE: a new cache is linked instead.
func TestKeyringCreateWithoutMove(t *testing.T) {
	requireKeyrings(t)
	defer func(f func(int, int, int) error) { keyMove = f }(keyMove)
	keyMove = func(int, int, int) error { return errMoveUnsupported }
	s := openKR(t, "KEYRING:session:"+testCollection(t))
	mustUpdate(t, s, testCache("EXAMPLE.COM"))
	if err := sameCache(mustLoad(t, s), testCache("EXAMPLE.COM")); err != nil {
		t.Fatal(err)
	}
	if _, keys := cacheKeys(t, s); len(keys) != 5 {
		t.Errorf("%d keys", len(keys))
	}
	assertStagingEmpty(t)
}

// If another program creates the cache while Update builds it, Update
// does not replace that cache: it starts over and updates it in place.
func TestKeyringCreateRace(t *testing.T) {
	requireKeyrings(t)
	s := openKR(t, "KEYRING:session:"+testCollection(t))
	real := keyMove
	defer func() { keyMove = real }()
	var rival int
	keyMove = func(id, from, to int) error {
		keyMove = real
		var err error
		// What MIT's kinit does first: reserve the name.
		if rival, err = keyAdd(keyTypeKeyring, s.name.collection, nil, to); err != nil {
			return err
		}
		return real(id, from, to)
	}
	calls := 0
	err := s.Update(func(old *Cache) (*Cache, error) {
		calls++
		if old != nil {
			t.Errorf("call %d got a cache", calls)
		}
		return testCache("EXAMPLE.COM"), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tg, _ := cacheKeys(t, s)
	if calls != 2 || tg.cache != rival {
		t.Errorf("fn called %d times; cache %d, rival's keyring %d", calls, tg.cache, rival)
	}
	mustLoad(t, s)
	assertStagingEmpty(t)
}

func assertStagingEmpty(t *testing.T) {
	t.Helper()
	err := keyWriter().do(func() error {
		id, found, err := keySearch(unix.KEY_SPEC_PROCESS_KEYRING, keyTypeKeyring, stagingKeyring, 0)
		if err != nil || !found {
			return err
		}
		ids, err := keyringList(id)
		if len(ids) != 0 {
			t.Errorf("staging keyring holds %d keys", len(ids))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
