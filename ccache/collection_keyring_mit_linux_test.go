package ccache

import (
	"testing"

	"github.com/krenew/krenew/internal/testkdc"
)

// keyringHarness uses a fresh collection in the session keyring, removed
// with all its caches when the test ends.
func keyringHarness(t *testing.T) *collHarness {
	t.Helper()
	k := requireMIT(t)
	coll := "KEYRING:session:" + testCollection(t)
	kr, err := splitKeyringResidual(coll[len("KEYRING:"):])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dropCollection(t, kr) })
	return newCollHarness(t, k, coll, OpenOptions{})
}

func TestCollectionKeyringKrenewBesideMIT(t *testing.T) {
	testKrenewBesideMIT(t, keyringHarness(t))
}

func TestCollectionKeyringFindsMITCache(t *testing.T) {
	testFindsMITCache(t, keyringHarness(t), sameSuffixShape(":krb_ccache_"))
}

func TestCollectionKeyringRenewKeepsPrimary(t *testing.T) {
	testRenewKeepsPrimary(t, keyringHarness(t))
}

func TestCollectionKeyringEmpty(t *testing.T) {
	testEmptyCollection(t, keyringHarness(t))
}

// A collection without a primary key whose default cache holds alice (a
// collection MIT made before it wrote the key, or one krenew's own
// subsidiary write left so): the new cache for carol must not become the
// primary by being the first write to set the key.
func TestCollectionKeyringNewCacheKeepsImplicitPrimary(t *testing.T) {
	h := keyringHarness(t)
	n := h.name(t)
	alice := h.ticketOf(t, testkdc.Alice, testkdc.AlicePassword)
	k, _ := splitKeyringResidual(n.Residual)
	k.subsidiary = k.defaultPrimary()
	primary := &KeyringStore{name: k}
	mustUpdate(t, primary, alice)
	err := keyWriter().do(func() error {
		coll, err := k.findCollection(false)
		if err != nil {
			return err
		}
		id, found, err := keySearch(coll, keyTypeUser, krPrimaryKey, 0)
		if err != nil || !found {
			return err
		}
		return keyUnlink(id, coll)
	})
	if err != nil {
		t.Fatal(err)
	}
	// Not klist: MIT's resolve would write the missing key.
	aliceName := k.cacheName(k.subsidiary)
	sel := mustSelect(t, n, h.opts, h.principal(carol))
	if sel.Existing || sel.MakePrimary == nil {
		t.Fatalf("carol: %s existing %v switch %v", sel.Name, sel.Existing, sel.MakePrimary != nil)
	}
	carolCache := h.ticketOf(t, carol, carolPassword)
	if err := sel.Store.Update(func(*Cache) (*Cache, error) { return carolCache, nil }); err != nil {
		t.Fatal(err)
	}
	if got := h.primaryName(t); got != aliceName {
		t.Errorf("the primary is %s after writing carol's new cache, want alice's %s", got, aliceName)
	}
}
