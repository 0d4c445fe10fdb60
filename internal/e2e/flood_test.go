package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/krenew/krenew/internal/testkdc"
)

// Issue 19: an -H as long as the lifetime made krenew renew hundreds of
// times a minute, because jitter undid the floor of a tenth of the
// lifetime and a renewal in the same second as the last one came back with
// the same end time. The KDC's own log is the witness: it counts what
// reached the KDC, whatever krenew thinks it did.
func TestFloodMinLifetimeAsLongAsLifetime(t *testing.T) {
	longTest(t)
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{MaxLife: time.Minute, MaxRenewLife: 10 * time.Minute})
	cc, _ := cacheIn(t, "cc")
	mitKinit(t, k, cc, "alice", testkdc.AlicePassword, "-l", "60s", "-r", "10m")
	before := tgsRequests(k.Log(), alice)
	b := startBackground(t, append(k.Env(), "LC_ALL=C"), "",
		krenewBin, "--foreground", "-l", "60s", "-r", "10m", "-H", "1", "-k", cc)
	const watch = time.Minute
	select {
	case <-b.done:
		t.Fatalf("krenew exited with %d before the minute was over", b.code)
	case <-time.After(watch):
	}
	n := tgsRequests(k.Log(), alice) - before
	t.Logf("%d TGS requests for %s in %s (krenew logged %d renewals)", n, alice, watch, b.count("renewed "+alice))
	// A tenth of 60s is 6s: at most 10 renewals a minute, plus slack for
	// the first, which is timed from the ticket kinit got just before.
	if n > 12 {
		t.Errorf("%d renewals in %s of a 60s ticket, want at most 12", n, watch)
	}
	// Not so strict that it stops renewing: with -H 1 the ticket is always
	// due, so the floor is what paces it.
	if n < 5 {
		t.Errorf("only %d renewals in %s of a 60s ticket with -H 1", n, watch)
	}
}

// tgsRequests counts the TGS exchanges MIT's KDC logged for principal.
func tgsRequests(log, principal string) int {
	n := 0
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, "TGS_REQ") && strings.Contains(line, principal) {
			n++
		}
	}
	return n
}
