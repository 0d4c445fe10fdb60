package ccache

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// requireKeyrings skips where the kernel (or a seccomp filter) refuses
// keyctl, except in CI, where the keyring tests must run.
func requireKeyrings(t *testing.T) {
	t.Helper()
	if _, err := unix.KeyctlGetKeyringID(unix.KEY_SPEC_USER_KEYRING, true); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("kernel keyrings unavailable in CI: %v", err)
		}
		t.Skipf("kernel keyrings unavailable: %v", err)
	}
}

// testCollection returns a collection name no other test uses.
func testCollection(t *testing.T) string {
	t.Helper()
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return "krenewtest_" + hex.EncodeToString(b[:])
}

// openKR opens a KEYRING cache by name and removes its whole collection
// when the test ends.
func openKR(t *testing.T, name string) *KeyringStore {
	t.Helper()
	n, err := ParseName(name)
	if err != nil {
		t.Fatal(err)
	}
	st, err := Open(n, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s := st.(*KeyringStore)
	if uid, _ := persistentUID(s.name.collection); s.name.anchor == anchorPersistent && (uid < 0 || uid == int64(os.Geteuid())) {
		keepOwnPersistent(t, s)
		return s
	}
	t.Cleanup(func() { dropCollection(t, s.name) })
	return s
}

// keepOwnPersistent arranges for a test cache in our own persistent
// keyring, which real caches may share, to be removed without touching
// anything else: only the test's subsidiary cache goes, and the primary
// key if the test created it.
func keepOwnPersistent(t *testing.T, s *KeyringStore) {
	t.Helper()
	if s.name.subsidiary == "" {
		t.Fatalf("a test must not use the primary cache of its own persistent keyring")
	}
	hadPrimary, hadCollection := false, false
	err := keyWriter().do(func() error {
		coll, err := s.name.findCollection(false)
		if err != nil || coll == 0 {
			return err
		}
		hadCollection = true
		_, hadPrimary, err = readPrimaryKey(coll)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Remove(); err != nil && !errors.Is(err, ErrNotFound) {
			t.Errorf("removing %s: %v", s.name.cacheName(s.name.subsidiary), err)
		}
		if hadPrimary {
			return
		}
		err := keyWriter().do(func() error {
			coll, err := s.name.findCollection(false)
			if err != nil || coll == 0 {
				return err
			}
			if id, found, _ := keySearch(coll, keyTypeUser, krPrimaryKey, 0); found {
				if err := keyUnlink(id, coll); err != nil {
					return err
				}
			}
			if hadCollection {
				return nil
			}
			// The test made the collection, and most likely the
			// persistent keyring too: drop both if nothing else is
			// in them.
			anchor, _, err := s.name.anchorFor()
			if err != nil {
				return err
			}
			if ids, err := keyringList(coll); err != nil || len(ids) != 0 {
				return err
			}
			if err := keyUnlink(coll, anchor); err != nil {
				return err
			}
			_ = keyUnlink(coll, unix.KEY_SPEC_PROCESS_KEYRING)
			if ids, err := keyringList(anchor); err == nil && len(ids) == 0 && anchor > 0 {
				_, err = unix.KeyctlInt(unix.KEYCTL_INVALIDATE, anchor, 0, 0, 0)
				return err
			}
			return nil
		})
		if err != nil {
			t.Errorf("removing the primary key the test made: %v", err)
		}
	})
}

// dropCollection clears and unlinks a collection, every cache in it, and
// the legacy link of its legacy cache; a persistent keyring of another uid
// is invalidated, since nothing else would remove it for days.
func dropCollection(t *testing.T, k keyringName) {
	t.Helper()
	err := keyWriter().do(func() error {
		anchor, possess, err := k.anchorFor()
		if err != nil {
			return err
		}
		if k.anchor == anchorLegacy {
			if id, found, _ := keySearch(unix.KEY_SPEC_SESSION_KEYRING, keyTypeKeyring, k.collection, 0); found {
				_ = keyClear(id)
				_ = keyUnlink(id, sessionWriteAnchor())
			}
		}
		coll, found, err := keySearch(anchor, keyTypeKeyring, k.collectionDescription(), 0)
		if err != nil || !found {
			return err
		}
		ids, err := keyringList(coll)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if typ, _, err := keyDescribe(id); err == nil && typ == keyTypeKeyring {
				_ = keyClear(id)
			}
		}
		_ = keyClear(coll)
		if err := keyUnlink(coll, anchor); err != nil {
			return err
		}
		if possess != 0 {
			_ = keyUnlink(coll, possess)
			// The reader thread keeps its own possession link.
			_ = keyReader().do(func() error { return keyUnlink(coll, possess) })
		}
		if uid, _ := persistentUID(k.collection); k.anchor == anchorPersistent && uid >= 0 && uid != int64(os.Geteuid()) {
			_, err := unix.KeyctlInt(unix.KEYCTL_INVALIDATE, anchor, 0, 0, 0)
			return err
		}
		return nil
	})
	if err != nil {
		t.Errorf("cleaning up keyring collection %+v: %v", k, err)
	}
}

// keyInfo is one key as the kernel describes it.
type keyInfo struct {
	id        int
	typ, desc string
	payload   []byte
}

// cacheKeys lists the keys of the cache keyring s resolves to.
func cacheKeys(t *testing.T, s *KeyringStore) (keyTarget, []keyInfo) {
	t.Helper()
	var tg keyTarget
	var keys []keyInfo
	err := threadFor(s.name, false).do(func() error {
		var err error
		if tg, err = s.name.resolve(false); err != nil || tg.cache == 0 {
			return err
		}
		ids, err := keyringList(tg.cache)
		if err != nil {
			return err
		}
		for _, id := range ids {
			typ, desc, err := keyDescribe(id)
			if err != nil {
				return err
			}
			b, err := keyRead(id)
			if err != nil {
				return err
			}
			keys = append(keys, keyInfo{id, typ, desc, b})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].desc < keys[j].desc })
	return tg, keys
}

func keyByDesc(keys []keyInfo, desc string) (keyInfo, bool) {
	for _, k := range keys {
		if k.desc == desc {
			return k, true
		}
	}
	return keyInfo{}, false
}

// keyExpiry returns the expiry column of /proc/keys for a key: "perm" or
// a remaining time such as "23h" or "1d".
func keyExpiry(t *testing.T, id int) string {
	t.Helper()
	b, err := os.ReadFile("/proc/keys")
	if err != nil {
		t.Fatal(err)
	}
	prefix := fmt.Sprintf("%08x ", id)
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, prefix) {
			f := strings.Fields(line)
			return f[3]
		}
	}
	t.Fatalf("key %d is not in /proc/keys", id)
	return ""
}

// testCache is a cache for alice with a renewable TGT valid from now on,
// a service ticket and a configuration entry.
func testCache(realm string) *Cache {
	now := time.Now().Truncate(time.Second).UTC()
	alice := Principal{NameType: NameTypePrincipal, Realm: realm, Components: []string{"alice"}}
	tgs := Principal{NameType: NameTypeSrvInst, Realm: realm, Components: []string{"krbtgt", realm}}
	svc := Principal{NameType: NameTypeSrvHost, Realm: realm, Components: []string{"host", "svc.example"}}
	cred := func(server Principal, life time.Duration, ticket string) Credential {
		return Credential{
			Client: alice, Server: server,
			Key:      KeyBlock{EType: 18, Value: bytes.Repeat([]byte{7}, 32)},
			AuthTime: now, StartTime: now, EndTime: now.Add(life), RenewTill: now.Add(7 * 24 * time.Hour),
			Flags:  FlagRenewable | FlagInitial | FlagForwardable,
			Ticket: []byte(ticket),
		}
	}
	c := &Cache{Version: 4, DefaultPrincipal: alice, Credentials: []Credential{
		cred(tgs, 10*time.Hour, "tgt-1"),
		cred(svc, 5*time.Hour, "svc-1"),
	}}
	c.SetConfig("fast_avail", &tgs, []byte("yes"))
	c.SetKDCOffset(-3*time.Second - 250*time.Microsecond)
	return c
}

// sameCache compares caches as sets of credentials: a keyring's order is
// the kernel's, not the order of writing.
func sameCache(a, b *Cache) error {
	if !a.DefaultPrincipal.Equal(b.DefaultPrincipal) || a.DefaultPrincipal.NameType != b.DefaultPrincipal.NameType {
		return fmt.Errorf("principal %v, want %v", a.DefaultPrincipal, b.DefaultPrincipal)
	}
	ao, aok := a.KDCOffset()
	bo, bok := b.KDCOffset()
	if ao != bo || aok != bok {
		return fmt.Errorf("KDC offset %v %v, want %v %v", ao, aok, bo, bok)
	}
	enc := func(c *Cache) []string {
		var s []string
		for _, cr := range c.Credentials {
			s = append(s, string(MarshalCredential(cr)))
		}
		sort.Strings(s)
		return s
	}
	as, bs := enc(a), enc(b)
	if strings.Join(as, "\x00|") != strings.Join(bs, "\x00|") {
		return fmt.Errorf("credentials differ: %d vs %d", len(as), len(bs))
	}
	return nil
}

func mustUpdate(t *testing.T, s Store, c *Cache) {
	t.Helper()
	if err := s.Update(func(*Cache) (*Cache, error) { return c, nil }); err != nil {
		t.Fatal(err)
	}
}

func mustLoad(t *testing.T, s Store) *Cache {
	t.Helper()
	c, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var errTestFn = errors.New("fn failed on purpose")
