package renew

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/krenew/krenew/ccache"
)

// keytabHarness adds a fake Acquire that hands out a fresh ticket like a
// KDC would from a keytab; failUntil makes it fail before that time.
func keytabHarness(t *testing.T, life, renewable time.Duration) (*harness, *[]time.Time, *time.Time) {
	h := newHarness(t, life, renewable)
	var acquired []time.Time
	failUntil := time.Time{}
	h.cfg.Acquire = func(context.Context) (ccache.Credential, error) {
		now := h.clock.Now()
		if now.Before(failUntil) {
			return ccache.Credential{}, &Error{Kind: KindWrongKey, Err: errors.New("the KDC rejected the keytab key (kvno 1)")}
		}
		acquired = append(acquired, now)
		c := newTGT(now, life, renewable)
		c.Ticket = []byte("acquired@" + now.String())
		return c, nil
	}
	return h, &acquired, &failUntil
}

// Never ends by itself: renews, re-acquires before the ticket would lapse,
// again and again.
func TestEngineKeytabReacquiresForever(t *testing.T) {
	h, acquired, _ := keytabHarness(t, 20*time.Second, 45*time.Second)
	stopAt(h, t0.Add(200*time.Second))
	outcome, err := h.run(t)
	if err != nil || outcome != Stopped {
		t.Fatalf("outcome %v err %v", outcome, err)
	}
	if len(*acquired) < 3 {
		t.Fatalf("acquisitions at %v, want at least 3 in four renewable lifetimes", *acquired)
	}
	if len(h.kdc.callTimes()) < 3 {
		t.Errorf("no renewals between acquisitions")
	}
	// Each acquisition comes before the ticket it replaces ends.
	prevEnd := t0.Add(45 * time.Second)
	for _, at := range *acquired {
		if at.After(prevEnd) {
			t.Errorf("acquired at %s, after the previous ticket ended at %s", at.Sub(t0), prevEnd.Sub(t0))
		}
		prevEnd = at.Add(45 * time.Second)
	}
}

func TestEngineKeytabRecreatesDestroyedCacheAndExpiredTicket(t *testing.T) {
	h, acquired, _ := keytabHarness(t, 10*time.Hour, 100*time.Hour)
	h.clock.hooks = []hook{{at: t0.Add(time.Hour), fn: func() { h.store.set(nil) }}}
	h.clock.jumps = []jump{{at: t0.Add(2 * time.Hour), by: 20 * time.Hour}}
	stopAt(h, t0.Add(23*time.Hour))
	if _, err := h.run(t); err != nil {
		t.Fatal(err)
	}
	if len(*acquired) != 2 {
		t.Fatalf("acquisitions at %v, want one after the kdestroy and one after the suspend", *acquired)
	}
	if d := (*acquired)[0].Sub(t0.Add(time.Hour)); d < 0 || d > time.Minute {
		t.Errorf("cache re-created %s after it was removed", d)
	}
	if d := (*acquired)[1].Sub(t0.Add(22 * time.Hour)); d < 0 || d > time.Minute {
		t.Errorf("expired ticket replaced %s after the resume", d)
	}
}

// A stale keytab is retried with backoff (never given up on), so a fixed
// keytab is picked up without a restart.
func TestEngineKeytabRetriesRejectedKey(t *testing.T) {
	h, acquired, failUntil := keytabHarness(t, 10*time.Hour, 100*time.Hour)
	h.store.set(nil)
	*failUntil = t0.Add(2 * time.Minute)
	h.cfg.BackoffMax = 30 * time.Second
	stopAfterFirstRenewal(h)
	if _, err := h.run(t); err != nil {
		t.Fatal(err)
	}
	if len(*acquired) == 0 || (*acquired)[0].Sub(*failUntil) > 30*time.Second {
		t.Fatalf("acquired at %v, keytab fixed at 2m, backoff cap 30s", *acquired)
	}
	if n := len(h.log.lines); n < 5 {
		t.Errorf("only %d log lines for two minutes of rejected keys", n)
	}
}
