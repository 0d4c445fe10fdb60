package ccache

import (
	"strings"
	"testing"
	"time"
)

// The cache keyring's timeout is MIT's update_keyring_expiration: its
// last ticket's end, one second once all have ended, none without end
// times (configuration entries only).
func TestCacheTimeout(t *testing.T) {
	const now = 1_000_000
	for _, tc := range []struct {
		name    string
		ends    []uint32
		want    uint32
		wantSet bool
	}{
		{"none", nil, 0, false},
		{"config only", []uint32{0, 0}, 0, false},
		{"last ticket wins", []uint32{now + 40, 0, now + 3600, now + 10}, 3600, true},
		{"all ended", []uint32{now - 5, now}, 1, true},
	} {
		var keys []credKey
		for _, e := range tc.ends {
			keys = append(keys, credKey{end: e})
		}
		got, ok := cacheTimeout(keys, now)
		if got != tc.want || ok != tc.wantSet {
			t.Errorf("%s: timeout %d set %v, want %d %v", tc.name, got, ok, tc.want, tc.wantSet)
		}
	}
}

// After a renewal the service ticket kept from before ends long before the
// renewed TGT; its key must not expire before the cache keyring, or MIT's
// cursor stops at it and klist finds no cache. Configuration keys keep
// never expiring.
func TestKeyringKeptKeyExpiresWithCache(t *testing.T) {
	requireKeyrings(t)
	s := openKR(t, "KEYRING:session:"+testCollection(t))
	c := testCache("EXAMPLE.COM")
	c.Credentials[0].EndTime = time.Now().Add(90 * time.Second)
	c.Credentials[1].EndTime = time.Now().Add(30 * time.Second)
	mustUpdate(t, s, c)
	_, before := cacheKeys(t, s)
	svcBefore, _ := keyByDesc(before, "host/svc.example@EXAMPLE.COM")
	err := s.Update(func(old *Cache) (*Cache, error) {
		tg, _ := old.FindTGT()
		tg.EndTime = time.Now().Add(3 * time.Hour)
		tg.Ticket = []byte("tgt-2")
		return old, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tg, keys := cacheKeys(t, s)
	svc, ok := keyByDesc(keys, "host/svc.example@EXAMPLE.COM")
	if !ok || svc.id != svcBefore.id {
		t.Fatalf("service ticket key %d found %v, was %d: not kept as it was", svc.id, ok, svcBefore.id)
	}
	cacheExp := keyExpiry(t, tg.cache)
	if cacheExp != "2h" && cacheExp != "3h" {
		t.Errorf("cache keyring expires in %s, want about 3h", cacheExp)
	}
	for _, k := range keys {
		exp := keyExpiry(t, k.id)
		switch {
		case k.desc == krPrincipalKey || k.desc == krOffsetsKey || strings.HasSuffix(k.desc, "@"+ConfigRealm):
			if exp != "perm" {
				t.Errorf("key %q expires in %s, want never", k.desc, exp)
			}
		case exp != cacheExp:
			t.Errorf("key %q expires in %s, the cache keyring in %s", k.desc, exp, cacheExp)
		}
	}
}
