package renew

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/krenew/krenew/ccache"
)

// A whole life cycle: renewals at half-life, the last one lands exactly on
// renew-till, then the loop ends by itself.
func TestEngineRenewsUntilRenewTill(t *testing.T) {
	h := newHarness(t, 20*time.Second, 90*time.Second)
	outcome, err := h.run(t)
	if err != nil || outcome != LifetimeOver {
		t.Fatalf("outcome %v, err %v", outcome, err)
	}
	calls := h.kdc.callTimes()
	if len(calls) < 4 {
		t.Fatalf("%d renewals, want at least 4", len(calls))
	}
	// Half-life: the first renewal 10s after start, then every 10s.
	for i, c := range calls {
		if want := t0.Add(time.Duration(i+1) * 10 * time.Second); i < 6 && !c.Equal(want) {
			t.Errorf("renewal %d at %s, want %s", i, c.Sub(t0), want.Sub(t0))
		}
	}
	final := h.store.tgt(t)
	if !final.EndTime.Equal(final.RenewTill) {
		t.Errorf("final ticket ends %s, renew-till %s", final.EndTime.Sub(t0), final.RenewTill.Sub(t0))
	}
	if !strings.Contains(strings.Join(h.log.lines, "\n"), "renewable lifetime of alice@R ends at ") {
		t.Errorf("no end-of-life line in %q", h.log.lines)
	}
}

func TestEngineDefaultLifetimes(t *testing.T) {
	h := newHarness(t, 7*24*time.Hour, 14*24*time.Hour)
	if outcome, err := h.run(t); err != nil || outcome != LifetimeOver {
		t.Fatalf("outcome %v, err %v", outcome, err)
	}
	calls := h.kdc.callTimes()
	if len(calls) == 0 || !calls[0].Equal(t0.Add(84*time.Hour)) {
		t.Fatalf("first renewal at %v, want at 3.5 days", calls)
	}
	if final := h.store.tgt(t); !final.EndTime.Equal(t0.Add(14 * 24 * time.Hour)) {
		t.Errorf("final ticket ends %s", final.EndTime.Sub(t0))
	}
	// Idle, it wakes about once a minute and never sleeps longer.
	for _, d := range h.clock.sleeps {
		if d > time.Minute {
			t.Fatalf("slept %s, longer than a minute", d)
		}
	}
}

func TestEngineMinLifetime(t *testing.T) {
	h := newHarness(t, 10*time.Hour, 100*time.Hour)
	h.cfg.Policy.MinLifetime = 8 * time.Hour
	stopAfterFirstRenewal(h)
	h.run(t)
	if calls := h.kdc.callTimes(); len(calls) == 0 || !calls[0].Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("renewals %v, want the first at 2h (10h - 8h)", calls)
	}
}

// An -H beyond the lifetime must not renew in a tight loop.
func TestEngineMinLifetimeBeyondLifetime(t *testing.T) {
	h := newHarness(t, time.Hour, 10*time.Hour)
	h.cfg.Policy.MinLifetime = 2 * time.Hour
	h.run(t)
	calls := h.kdc.callTimes()
	for i := 1; i < len(calls); i++ {
		if gap := calls[i].Sub(calls[i-1]); gap < 6*time.Minute {
			t.Fatalf("renewals %d and %d only %s apart", i-1, i, gap)
		}
	}
}

func TestEngineAlwaysRenewsEveryInterval(t *testing.T) {
	h := newHarness(t, 10*time.Hour, 100*time.Hour)
	h.cfg.Policy.Always = true
	h.cfg.Policy.Interval = 30 * time.Minute
	stopAt(h, t0.Add(2*time.Hour+time.Second))
	h.run(t)
	calls := h.kdc.callTimes()
	if len(calls) != 4 {
		t.Fatalf("renewals at %v, want 4 in two hours of -a -K 30", calls)
	}
	for i, c := range calls {
		if want := t0.Add(time.Duration(i+1) * 30 * time.Minute); !c.Equal(want) {
			t.Errorf("renewal %d at %s, want %s", i, c.Sub(t0), want.Sub(t0))
		}
	}
}

func TestEngineIntervalCapsSleep(t *testing.T) {
	h := newHarness(t, 10*time.Hour, 100*time.Hour)
	h.cfg.MaxSleep = 24 * time.Hour
	h.cfg.Policy.Interval = 10 * time.Minute
	stopAt(h, t0.Add(3*time.Hour))
	h.run(t)
	for _, d := range h.clock.sleeps {
		if d > 10*time.Minute {
			t.Fatalf("slept %s with -K 10", d)
		}
	}
}

// A suspend past the planned time: the renewal comes within a minute of
// the resume.
func TestEngineCatchesUpAfterSuspend(t *testing.T) {
	h := newHarness(t, 10*time.Hour, 100*time.Hour)
	resume := t0.Add(time.Hour + 4*time.Hour + 30*time.Minute)
	h.clock.jumps = []jump{{at: t0.Add(time.Hour), by: 4*time.Hour + 30*time.Minute}}
	stopAfterFirstRenewal(h)
	h.run(t)
	calls := h.kdc.callTimes()
	if len(calls) == 0 {
		t.Fatal("no renewal")
	}
	if late := calls[0].Sub(resume); late < 0 || late > time.Minute {
		t.Fatalf("renewed %s after the resume (planned at 5h, resumed at 5h30m)", late)
	}
}

// A suspend past the ticket's end: say so and fail; no renewal attempt.
func TestEngineExpiredAfterSuspend(t *testing.T) {
	h := newHarness(t, 10*time.Hour, 100*time.Hour)
	h.clock.jumps = []jump{{at: t0.Add(time.Hour), by: 12 * time.Hour}}
	_, err := h.run(t)
	if err == nil || !strings.Contains(err.Error(), "expired at") {
		t.Fatalf("err %v, want an expiry error", err)
	}
	if n := len(h.kdc.callTimes()); n != 0 {
		t.Errorf("%d renewal attempts of an expired ticket", n)
	}
}

// A KDC that answered every renewal with a retryable failure until the
// ticket ended: the error says so, with the KDC's last answer, and does
// not ask about a suspend (Samba AD once drew that question).
func TestEngineExpiredAfterFailedRenewals(t *testing.T) {
	h := newHarness(t, 80*time.Second, time.Hour)
	h.kdc.down = func(now time.Time) bool { return true }
	_, err := h.run(t)
	if err == nil || !strings.Contains(err.Error(), "expired at") || !strings.Contains(err.Error(), "after every renewal since failed, the last with: ") ||
		strings.Contains(err.Error(), "suspended") {
		t.Fatalf("err %v, want the expiry with the last failure", err)
	}
	if n := len(h.kdc.callTimes()); n < 2 {
		t.Errorf("%d renewal attempts, want retries until the end", n)
	}
	suspended := newHarness(t, 10*time.Hour, 100*time.Hour)
	suspended.clock.jumps = []jump{{at: t0.Add(time.Hour), by: 12 * time.Hour}}
	if _, err := suspended.run(t); err == nil || !strings.Contains(err.Error(), "was the system suspended") {
		t.Errorf("after a suspend: err %v, want the question", err)
	}
}

// Backoff doubles from 1s and is capped (by the lifetime here: 80s/8).
func TestEngineBackoffGrowsAndCaps(t *testing.T) {
	h := newHarness(t, 80*time.Second, time.Hour)
	h.kdc.down = func(now time.Time) bool { return true }
	_, err := h.run(t)
	if err == nil {
		t.Fatal("no error although the KDC never answered before expiry")
	}
	calls := h.kdc.callTimes()
	var gaps []time.Duration
	for i := 1; i < len(calls); i++ {
		gaps = append(gaps, calls[i].Sub(calls[i-1]))
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}
	if len(gaps) < len(want) {
		t.Fatalf("gaps %v", gaps)
	}
	for i, w := range want {
		if gaps[i] != w {
			t.Errorf("gap %d = %s, want %s (all: %v)", i, gaps[i], w, gaps)
		}
	}
	// The last attempt is just before the end, not after it.
	last := calls[len(calls)-1]
	if end := t0.Add(80 * time.Second); last.After(end) || end.Sub(last) > 2*time.Second {
		t.Errorf("last attempt at %s, ticket ends at 80s", last.Sub(t0))
	}
}

func TestEngineBackoffJitterAndLongCap(t *testing.T) {
	h := newHarness(t, 10*time.Hour, 100*time.Hour)
	h.cfg.BackoffMax = 30 * time.Second
	h.cfg.Rand = func(max time.Duration) time.Duration { return max - 1 }
	h.kdc.down = func(now time.Time) bool { return now.Before(t0.Add(6 * time.Hour)) }
	stopAt(h, t0.Add(5*time.Hour+10*time.Minute))
	h.run(t)
	calls := h.kdc.callTimes()
	for i := 1; i < len(calls); i++ {
		if gap := calls[i].Sub(calls[i-1]); gap >= 45*time.Second {
			t.Fatalf("gap %s beyond the 30s cap plus 50%% jitter", gap)
		}
	}
	if len(calls) < 10 {
		t.Fatalf("only %d attempts in ten minutes of outage", len(calls))
	}
}

// KDC back after an outage: renewed within one backoff step.
func TestEngineRecoversAfterOutage(t *testing.T) {
	h := newHarness(t, 20*time.Second, 200*time.Second)
	up := t0.Add(16 * time.Second)
	h.kdc.down = func(now time.Time) bool { return now.Before(up) }
	stopAfterFirstRenewal(h)
	if _, err := h.run(t); err != nil {
		t.Fatal(err)
	}
	var ok time.Time
	for _, c := range h.kdc.callTimes() {
		if !c.Before(up) {
			ok = c
			break
		}
	}
	if ok.IsZero() || ok.Sub(up) > 3*time.Second {
		t.Fatalf("renewed at %s, KDC back at 16s, backoff cap 2.5s", ok.Sub(t0))
	}
}

func TestEngineKdestroyEndsLoop(t *testing.T) {
	h := newHarness(t, 10*time.Hour, 100*time.Hour)
	h.clock.hooks = []hook{{at: t0.Add(time.Hour), fn: func() { h.store.set(nil) }}}
	outcome, err := h.run(t)
	if err != nil || outcome != CacheDestroyed {
		t.Fatalf("outcome %v err %v", outcome, err)
	}
	if h.store.cache != nil {
		t.Error("the engine recreated the destroyed cache")
	}
	if now := h.clock.Now(); now.Sub(t0.Add(time.Hour)) > time.Minute {
		t.Errorf("noticed the kdestroy %s late", now.Sub(t0.Add(time.Hour)))
	}
}

// With -i the loop waits for the cache to come back, then renews it.
func TestEngineIgnoreErrorsWaitsForCache(t *testing.T) {
	h := newHarness(t, 10*time.Hour, 100*time.Hour)
	h.cfg.Errors = IgnoreErrors
	h.clock.hooks = []hook{
		{at: t0.Add(time.Hour), fn: func() { h.store.set(nil) }},
		{at: t0.Add(20 * time.Hour), fn: func() { h.store.set(cacheWith(newTGT(t0.Add(20*time.Hour), 10*time.Hour, 100*time.Hour))) }},
	}
	stopAfterFirstRenewal(h)
	if _, err := h.run(t); err != nil {
		t.Fatal(err)
	}
	calls := h.kdc.callTimes()
	if len(calls) == 0 || !calls[0].Equal(t0.Add(25*time.Hour)) {
		t.Fatalf("renewals %v, want the first at 25h (half-life of the ticket put back at 20h)", calls)
	}
}

func TestEngineOtherPrincipalEndsLoop(t *testing.T) {
	h := newHarness(t, 10*time.Hour, 100*time.Hour)
	h.clock.hooks = []hook{{at: t0.Add(time.Hour), fn: func() {
		bob := newTGT(t0.Add(time.Hour), 10*time.Hour, 100*time.Hour)
		bob.Client.Components = []string{"bob"}
		h.store.set(cacheWith(bob))
	}}}
	outcome, err := h.run(t)
	if err != nil || outcome != OtherPrincipal {
		t.Fatalf("outcome %v err %v", outcome, err)
	}
	if c, _ := h.store.Load(); c.DefaultPrincipal.Components[0] != "bob" {
		t.Error("bob's cache was clobbered")
	}
}

func TestEngineAdoptsNewerTicket(t *testing.T) {
	h := newHarness(t, 10*time.Hour, 100*time.Hour)
	h.clock.hooks = []hook{{at: t0.Add(4 * time.Hour), fn: func() {
		fromKinit := newTGT(t0.Add(4*time.Hour), 10*time.Hour, 200*time.Hour)
		fromKinit.Ticket = []byte("from kinit")
		h.store.set(cacheWith(fromKinit))
	}}}
	stopAfterFirstRenewal(h)
	h.run(t)
	if calls := h.kdc.callTimes(); len(calls) == 0 || !calls[0].Equal(t0.Add(9*time.Hour)) {
		t.Fatalf("renewals %v, want the first at 9h (half-life of the adopted ticket)", calls)
	}
	if got := h.store.tgt(t); !got.RenewTill.Equal(t0.Add(204 * time.Hour)) {
		t.Errorf("renewed the old ticket instead of the adopted one")
	}
	if !strings.Contains(strings.Join(h.log.lines, "\n"), "adopted a newer ticket of alice@R") {
		t.Errorf("adoption not logged: %q", h.log.lines)
	}
}

func TestEngineExitOnError(t *testing.T) {
	h := newHarness(t, 10*time.Hour, 100*time.Hour)
	h.cfg.Errors = ExitOnError
	h.kdc.down = func(time.Time) bool { return true }
	if _, err := h.run(t); KindOf(err) != KindKDCUnreachable {
		t.Fatalf("err %v", err)
	}
	if n := len(h.kdc.callTimes()); n != 1 {
		t.Errorf("%d attempts with -x", n)
	}
}

func TestEngineGivesUpOnPermanentErrors(t *testing.T) {
	h := newHarness(t, 10*time.Hour, 100*time.Hour)
	h.kdc.err = &Error{Kind: KindNotRenewable, Err: errors.New("not renewable")}
	if _, err := h.run(t); KindOf(err) != KindNotRenewable {
		t.Fatalf("err %v", err)
	}
	if n := len(h.kdc.callTimes()); n != 1 {
		t.Errorf("%d attempts of a permanent failure", n)
	}
}

func TestEngineJitterIsEarlierAndBounded(t *testing.T) {
	h := newHarness(t, 10*time.Hour, 100*time.Hour)
	h.cfg.Rand = func(max time.Duration) time.Duration {
		if max != 5*time.Minute {
			t.Errorf("jitter range %s, want 5m for a 10h ticket", max)
		}
		return max - 1
	}
	stopAfterFirstRenewal(h)
	h.run(t)
	calls := h.kdc.callTimes()
	if len(calls) == 0 {
		t.Fatal("no renewal")
	}
	if early := t0.Add(5 * time.Hour).Sub(calls[0]); early <= 4*time.Minute || early > 5*time.Minute {
		t.Errorf("renewed %s before half-life, want just under 5m", early)
	}
}

// Signals, with a clock that only moves when told: ALRM renews at once,
// TERM stops.
func TestEngineSignals(t *testing.T) {
	h := newHarness(t, 10*time.Hour, 100*time.Hour)
	h.cfg.Clock = stoppedClock{now: t0}
	h.kdc.clock = h.cfg.Clock
	sigs := make(chan os.Signal)
	h.cfg.Signals = sigs
	done := make(chan error, 1)
	go func() {
		_, err := Run(context.Background(), h.cfg)
		done <- err
	}()
	sigs <- syscall.SIGUSR1
	sigs <- syscall.SIGALRM
	sigs <- syscall.SIGTERM // delivered only once the loop is back asleep
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := len(h.kdc.callTimes()); n != 1 {
		t.Fatalf("%d renewals after one SIGALRM", n)
	}
	log := strings.Join(h.log.lines, "\n")
	for _, want := range []string{"alice@R in FILE:/tmp/test: valid until", "SIGTERM: exiting"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
}

type stoppedClock struct{ now time.Time }

func (c stoppedClock) Now() time.Time                     { return c.now }
func (stoppedClock) After(time.Duration) <-chan time.Time { return nil }

func stopAt(h *harness, at time.Time) {
	ctx, cancel := context.WithCancel(context.Background())
	h.clock.hooks = append(h.clock.hooks, hook{at: at, fn: cancel})
	h.cfg.Signals = nil
	h.ctx = ctx
}

func stopAfterFirstRenewal(h *harness) {
	ctx, cancel := context.WithCancel(context.Background())
	h.cfg.OnRenewed = func(ccache.Credential) error { cancel(); return nil }
	h.ctx = ctx
}

// stillClock never lets a sleep end by itself: only Changed, a signal or
// the context can wake the loop.
type stillClock struct{ now time.Time }

func (c stillClock) Now() time.Time { return c.now }
func (c stillClock) After(d time.Duration) <-chan time.Time {
	if d > 0 {
		return nil
	}
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

// A watcher's Changed wakes a loop that would otherwise sleep for hours,
// so a kdestroy is noticed at once rather than at the next renewal.
func TestEngineChangedWakesLoop(t *testing.T) {
	h := newHarness(t, 10*time.Hour, 100*time.Hour)
	h.cfg.Clock = stillClock{now: t0.Add(time.Hour)}
	h.cfg.MaxSleep = 24 * time.Hour
	changed := make(chan struct{}, 1)
	h.cfg.Changed = changed
	type result struct {
		o   Outcome
		err error
	}
	done := make(chan result, 1)
	go func() {
		o, err := h.run(t)
		done <- result{o, err}
	}()
	select {
	case r := <-done:
		t.Fatalf("loop ended before anything changed: %v %v", r.o, r.err)
	case <-time.After(200 * time.Millisecond):
	}
	h.store.set(nil)
	changed <- struct{}{}
	select {
	case r := <-done:
		if r.err != nil || r.o != CacheDestroyed {
			t.Fatalf("outcome %v err %v, want CacheDestroyed", r.o, r.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Changed did not wake the loop")
	}
}

// flakyStore fails every Load while down is set, as a KCM daemon that is
// restarting does.
type flakyStore struct {
	*memStore
	down atomic.Bool
}

func (s *flakyStore) Load() (*ccache.Cache, error) {
	if s.down.Load() {
		return nil, fmt.Errorf("restarting: %w", ccache.ErrKCMUnavailable)
	}
	return s.memStore.Load()
}

// A KCM daemon that cannot be reached is retried while the ticket is
// valid, and renewal resumes when it answers again.
func TestEngineUnreachableKCMIsRetried(t *testing.T) {
	h := newHarness(t, 10*time.Hour, 100*time.Hour)
	fs := &flakyStore{memStore: h.store}
	h.cfg.Store = fs
	h.clock.hooks = []hook{
		{at: t0.Add(time.Hour), fn: func() { fs.down.Store(true) }},
		{at: t0.Add(3 * time.Hour), fn: func() { fs.down.Store(false) }},
	}
	stopAfterFirstRenewal(h)
	if _, err := h.run(t); err != nil {
		t.Fatalf("the loop gave up on a KCM daemon away for two hours of a ten-hour ticket: %v", err)
	}
	if calls := h.kdc.callTimes(); len(calls) == 0 || calls[0].After(t0.Add(6*time.Hour)) {
		t.Errorf("renewals %v, want one at about 5h once the cache was readable", calls)
	}
}

// Once the last ticket seen has expired, an unreachable KCM daemon ends
// the loop: nothing is left to renew.
func TestEngineUnreachableKCMAfterExpiryEndsLoop(t *testing.T) {
	h := newHarness(t, 10*time.Hour, 100*time.Hour)
	fs := &flakyStore{memStore: h.store}
	h.cfg.Store = fs
	h.clock.hooks = []hook{{at: t0.Add(time.Hour), fn: func() { fs.down.Store(true) }}}
	_, err := h.run(t)
	if err == nil || !strings.Contains(err.Error(), "cannot read credential cache") {
		t.Fatalf("error %v, want the unreadable cache reported", err)
	}
	if now := h.clock.Now(); now.Before(t0.Add(10 * time.Hour)) {
		t.Errorf("gave up at %s, before the ticket expired", now.Sub(t0))
	}
}

// brokenStore's cache cannot be read for a reason only the user can fix
// (a symlink planted at the path, a garbage file).
type brokenStore struct{ *memStore }

func (brokenStore) Load() (*ccache.Cache, error) {
	return nil, errors.New("credential cache is a symbolic link, not following it")
}

func TestEngineBrokenCacheEndsLoopAtOnce(t *testing.T) {
	h := newHarness(t, 10*time.Hour, 100*time.Hour)
	h.cfg.Store = brokenStore{h.store}
	_, err := h.run(t)
	if err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("error %v, want the broken cache reported", err)
	}
	if now := h.clock.Now(); now.After(t0) {
		t.Errorf("gave up only after %s", now.Sub(t0))
	}
}
