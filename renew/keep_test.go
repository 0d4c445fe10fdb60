package renew_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/krenew/krenew/ccache"
	"github.com/krenew/krenew/internal/testkdc"
	"github.com/krenew/krenew/renew"
)

// Keep, against a real KDC with 4-second tickets renewable for 8 seconds,
// renews the ticket (same authtime, later start) and re-acquires it when
// renewal runs out (new authtime), and the ticket in the cache never
// lapses while it runs.
func TestKeepRenewsAndReacquires(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for 14 seconds of real time; run without -short")
	}
	kdc := testkdc.Start(t, testkdc.Options{MaxLife: 4 * time.Second, MaxRenewLife: 8 * time.Second})
	t.Setenv("KRB5_CONFIG", kdc.Krb5Conf)
	keytab := kdc.AddKeytab(t, "HTTP/keep.krenew.test")
	cache := filepath.Join(t.TempDir(), "keep.ccache")

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var keepErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		keepErr = renew.Keep(ctx, renew.KeepConfig{Principal: "HTTP/keep.krenew.test", Keytab: keytab, Cache: "FILE:" + cache})
	}()

	type seen struct{ auth, start time.Time }
	var tickets []seen
	deadline := time.Now().Add(14 * time.Second)
	for time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		c, err := ccache.FileStore{Path: cache}.Load()
		if err != nil {
			if len(tickets) > 0 {
				t.Errorf("the cache went unreadable while Keep ran: %v", err)
			}
			continue
		}
		tgt, ok := c.FindTGT()
		if !ok {
			t.Fatalf("the cache holds no TGT")
		}
		if now := time.Now(); !tgt.EndTime.After(now) {
			t.Errorf("the ticket in the cache expired at %s, before %s", tgt.EndTime, now)
		}
		if n := len(tickets); n == 0 || !tickets[n-1].start.Equal(tgt.StartTime) {
			tickets = append(tickets, seen{tgt.AuthTime, tgt.StartTime})
		}
	}
	cancel()
	wg.Wait()
	if keepErr != nil {
		t.Errorf("Keep returned %v when its context ended, want nil", keepErr)
	}
	var renewals, acquisitions int
	for i := 1; i < len(tickets); i++ {
		if tickets[i].auth.Equal(tickets[i-1].auth) {
			renewals++
		} else {
			acquisitions++
		}
	}
	if renewals == 0 || acquisitions == 0 {
		t.Errorf("tickets seen %v: %d renewals, %d re-acquisitions; want both", tickets, renewals, acquisitions)
	}
}
