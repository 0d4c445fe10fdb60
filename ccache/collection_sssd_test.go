package ccache

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/krenew/krenew/internal/testkcm"
	"github.com/krenew/krenew/internal/testkdc"
)

// sssdHarness runs sssd-kcm, the RHEL/Fedora default KCM, standalone on a
// private socket (testkcm.StartSSSD: under CI=true a missing or failing
// one fails the test; elsewhere it skips).
func sssdHarness(t *testing.T) *collHarness {
	t.Helper()
	socket := testkcm.StartSSSD(t).Socket
	k := testkdc.Start(t, testkdc.Options{})
	base, err := os.ReadFile(k.Krb5Conf)
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(k.Dir, "krb5-sssd.conf")
	if err := os.WriteFile(conf, []byte(testkcm.WithSocket(string(base), socket)), 0o600); err != nil {
		t.Fatal(err)
	}
	k.Krb5Conf = conf
	return newCollHarness(t, k, "KCM:", OpenOptions{KCMSocket: socket})
}

func TestCollectionSSSDKCMKrenewBesideMIT(t *testing.T) {
	testKrenewBesideMIT(t, sssdHarness(t))
}

func TestCollectionSSSDKCMFindsMITCache(t *testing.T) {
	testFindsMITCache(t, sssdHarness(t), func(mit, ours string) bool {
		return len(mit) > len("KCM:") && len(ours) > len("KCM:") && mit != ours
	})
}

func TestCollectionSSSDKCMEmpty(t *testing.T) {
	testEmptyCollection(t, sssdHarness(t))
}

func TestCollectionSSSDKCMRenewKeepsPrimary(t *testing.T) {
	testRenewKeepsPrimary(t, sssdHarness(t))
}
