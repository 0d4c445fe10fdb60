package e2e

import (
	"testing"

	"github.com/krenew/krenew/internal/testkcm"
	"github.com/krenew/krenew/internal/testkdc"
)

// kcmCache starts a private Heimdal kcm and points the realm's krb5.conf
// (read by MIT's tools and krenew alike) at its socket; "KCM:" is then
// the daemon's default cache for this user, as on a Fedora desktop.
func kcmCache(t *testing.T, k *testkdc.KDC) string {
	d := testkcm.Start(t, testkcm.Options{})
	k.Krb5Conf = d.Krb5Conf(t, k.Krb5Conf)
	return "KCM:"
}
