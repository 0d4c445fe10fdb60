package renew_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/krenew/krenew/ccache"
	"github.com/krenew/krenew/internal/testkdc"
	"github.com/krenew/krenew/renew"
)

// A service keeps its own identity authenticated while it runs, the way
// krbticket's updater thread does in Python. Here a throwaway MIT KDC with
// 4-second tickets, renewable for 8 seconds, stands in for the site's: in
// 12 seconds Keep gets, renews and re-acquires the ticket. It prints
//
//	Keep returned: <nil>
//	HTTP/web.krenew.test@KRENEW.TEST valid: true
//
// The example is compiled, not run, so that go test -short stays quick:
// TestKeepRenewsAndReacquires runs the same thing and checks more.
func ExampleKeep() {
	kdc, tb, stop, err := testkdc.StartStandalone(testkdc.Options{MaxLife: 4 * time.Second, MaxRenewLife: 8 * time.Second})
	if err != nil {
		fmt.Println("no KDC:", err)
		return
	}
	defer stop()
	os.Setenv("KRB5_CONFIG", kdc.Krb5Conf)
	keytab := kdc.AddKeytab(tb, "HTTP/web.krenew.test")
	cache := filepath.Join(kdc.Dir, "web.ccache")

	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Second)
	defer cancel()
	err = renew.Keep(ctx, renew.KeepConfig{
		Principal: "HTTP/web.krenew.test",
		Keytab:    keytab,
		Cache:     "FILE:" + cache,
	})
	fmt.Println("Keep returned:", err)

	c, _ := ccache.FileStore{Path: cache}.Load()
	tgt, _ := c.FindTGT()
	fmt.Println(tgt.Client, "valid:", tgt.EndTime.After(time.Now()))
}
