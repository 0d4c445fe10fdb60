package renew

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/krenew/krenew/internal/testkdc"
)

// The Acquire it installs runs a real AS exchange from the keytab, reading
// the keytab at each call (a rotated keytab needs no restart), and a
// keytab identity retries at most every 30 seconds unless told otherwise.
func TestReacquireFromKeytabAgainstMITKDC(t *testing.T) {
	k := testkdc.Start(t, testkdc.Options{})
	c := clientFor(t, k)
	path := k.AddKeytab(t, "svc/reacquire")
	p, err := ParsePrincipal("svc/reacquire", c.Conf.DefaultRealm)
	if err != nil {
		t.Fatal(err)
	}
	var cfg Config
	cfg.ReacquireFromKeytab(c, InitialRequest{Principal: p, Lifetime: time.Hour, Renewable: 2 * time.Hour}, Keytab{Path: path})
	if cfg.BackoffMax != 30*time.Second {
		t.Errorf("BackoffMax %s, want 30s for a keytab identity", cfg.BackoffMax)
	}
	cred, err := cfg.Acquire(context.Background())
	if err != nil {
		t.Fatalf("acquire: %v", err)
	}
	if !cred.Client.Equal(p) || time.Until(cred.EndTime) > time.Hour+time.Minute || cred.RenewTill.IsZero() {
		t.Errorf("acquired %+v, want %s for an hour, renewable", cred, p)
	}

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.Acquire(context.Background()); KindOf(err) != KindKeytab {
		t.Errorf("after the keytab went: %v (kind %v), want a keytab error", err, KindOf(err))
	}
	k.AddKeytab(t, "svc/reacquire")
	if _, err := cfg.Acquire(context.Background()); err != nil {
		t.Errorf("after the keytab came back: %v", err)
	}

	kept := Config{BackoffMax: time.Minute}
	kept.ReacquireFromKeytab(c, InitialRequest{Principal: p}, Keytab{Path: path})
	if kept.BackoffMax != time.Minute {
		t.Errorf("BackoffMax %s, want the minute it was given", kept.BackoffMax)
	}
}
