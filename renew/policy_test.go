package renew

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/krenew/krenew/ccache"
)

// The "when" of the engine, with fake times and no KDC.

var policyT0 = time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC)

func policyTGT(life time.Duration) ccache.Credential {
	return ccache.Credential{
		AuthTime:  policyT0,
		StartTime: policyT0,
		EndTime:   policyT0.Add(life),
		RenewTill: policyT0.Add(7 * 24 * time.Hour),
		Flags:     ccache.FlagRenewable,
	}
}

func TestPolicyTick(t *testing.T) {
	p := Policy{Always: true, Interval: time.Minute}
	next, due := p.tick(policyT0, time.Time{})
	if due || !next.Equal(policyT0.Add(time.Minute)) {
		t.Fatalf("first tick = %v, %v; want none due, next at +1m", next, due)
	}
	if n, due := p.tick(policyT0.Add(30*time.Second), next); due || !n.Equal(next) {
		t.Errorf("before the tick = %v, %v; want unchanged, not due", n, due)
	}
	at := policyT0.Add(time.Minute + 5*time.Second)
	if n, due := p.tick(at, next); !due || !n.Equal(at.Add(time.Minute)) {
		t.Errorf("at the tick = %v, %v; want due, next an interval later", n, due)
	}
	for _, q := range []Policy{{Interval: time.Minute}, {Always: true}} {
		if n, due := q.tick(at, next); due || !n.Equal(next) {
			t.Errorf("%+v: tick = %v, %v; want no -a ticks", q, n, due)
		}
	}
}

func TestPolicyJitter(t *testing.T) {
	var p Policy
	if got := p.jitterBound(policyTGT(10 * time.Hour)); got != 5*time.Minute {
		t.Errorf("bound for 10h = %s, want 5m", got)
	}
	if got := p.jitterBound(policyTGT(10 * time.Minute)); got != time.Minute {
		t.Errorf("bound for 10m = %s, want 1m", got)
	}
	tgt := policyTGT(10 * time.Hour)
	at := policyT0.Add(5 * time.Hour)
	if got := p.jittered(tgt, at, 3*time.Minute); !got.Equal(at.Add(-3 * time.Minute)) {
		t.Errorf("jittered = %v, want 3m earlier", got)
	}
	if got := p.jittered(tgt, policyT0.Add(time.Minute), 3*time.Minute); !got.Equal(policyT0) {
		t.Errorf("jittered before the start = %v, want the start", got)
	}
}

func TestPolicyGiveUp(t *testing.T) {
	var p Policy
	for _, c := range []struct {
		mode      ErrorMode
		permanent bool
		want      bool
	}{
		{RetryWhileValid, false, false},
		{RetryWhileValid, true, true},
		{ExitOnError, false, true},
		{ExitOnError, true, true},
		{IgnoreErrors, false, false},
		{IgnoreErrors, true, false},
	} {
		if got := p.giveUp(c.mode, c.permanent); got != c.want {
			t.Errorf("giveUp(%v, permanent %v) = %v, want %v", c.mode, c.permanent, got, c.want)
		}
	}
}

func TestPolicyBackoff(t *testing.T) {
	var p Policy
	noJitter := func(time.Duration) time.Duration { return 0 }
	tgt := policyTGT(10 * time.Hour)
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}
	for i, w := range want {
		if got := p.backoff(tgt, i+1, time.Second, 5*time.Minute, noJitter); got != w {
			t.Errorf("failure %d: backoff %s, want %s", i+1, got, w)
		}
	}
	if got := p.backoff(tgt, 30, time.Second, 5*time.Minute, noJitter); got != 5*time.Minute {
		t.Errorf("many failures: backoff %s, want the 5m cap", got)
	}
	// A short ticket shrinks the cap to an eighth of its lifetime.
	if got := p.backoff(policyTGT(8*time.Minute), 30, time.Second, 5*time.Minute, noJitter); got != time.Minute {
		t.Errorf("8m ticket: backoff %s, want 1m", got)
	}
	// The jitter draw is up to half the delay, added on top.
	var asked time.Duration
	half := func(d time.Duration) time.Duration { asked = d; return d }
	if got := p.backoff(tgt, 3, time.Second, 5*time.Minute, half); got != 6*time.Second || asked != 2*time.Second {
		t.Errorf("jittered backoff %s (drew up to %s), want 6s (up to 2s)", got, asked)
	}
}

func TestPolicyRetryDelay(t *testing.T) {
	var p Policy
	tgt := policyTGT(time.Hour)
	now := policyT0.Add(30 * time.Minute)
	if got := p.retryDelay(now, time.Minute, tgt, time.Time{}); got != time.Minute {
		t.Errorf("plain delay = %s, want 1m", got)
	}
	// Never past the end: one try a second before it.
	if got := p.retryDelay(now, time.Hour, tgt, time.Time{}); got != 30*time.Minute-time.Second {
		t.Errorf("delay past the end = %s, want 29m59s", got)
	}
	// Already past the end: the delay stands.
	late := policyT0.Add(2 * time.Hour)
	if got := p.retryDelay(late, time.Minute, tgt, time.Time{}); got != time.Minute {
		t.Errorf("delay after the end = %s, want 1m", got)
	}
	// Not before the floor.
	if got := p.retryDelay(now, time.Minute, tgt, now.Add(5*time.Minute)); got != 5*time.Minute {
		t.Errorf("delay under the floor = %s, want 5m", got)
	}
	// No ticket: no end to respect.
	if got := p.retryDelay(now, time.Hour, ccache.Credential{}, time.Time{}); got != time.Hour {
		t.Errorf("delay without a ticket = %s, want 1h", got)
	}
}

func TestPolicySleepFor(t *testing.T) {
	now := policyT0
	plan := now.Add(time.Hour)
	var p Policy
	if got := p.sleepFor(now, plan, time.Time{}, time.Minute); got != time.Minute {
		t.Errorf("capped by MaxSleep = %s, want 1m", got)
	}
	if got := p.sleepFor(now, now.Add(20*time.Second), time.Time{}, time.Minute); got != 20*time.Second {
		t.Errorf("until the plan = %s, want 20s", got)
	}
	if got := p.sleepFor(now, now.Add(-time.Minute), time.Time{}, time.Minute); got != 0 {
		t.Errorf("plan in the past = %s, want 0", got)
	}
	k := Policy{Interval: 30 * time.Second}
	if got := k.sleepFor(now, plan, time.Time{}, time.Hour); got != 30*time.Second {
		t.Errorf("capped by -K = %s, want 30s", got)
	}
	if got := k.sleepFor(now, plan, now.Add(10*time.Second), time.Hour); got != 10*time.Second {
		t.Errorf("until the -a tick = %s, want 10s", got)
	}
	if got := k.sleepFor(now, plan, now.Add(-time.Second), time.Hour); got != 0 {
		t.Errorf("-a tick overdue = %s, want 0", got)
	}
}

func TestRetryable(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{errors.New("unclassified"), true},
		{&Error{Kind: KindKDCUnreachable, Err: errors.New("x")}, true},
		{&Error{Kind: KindClockSkew, Err: errors.New("x")}, true},
		{&Error{Kind: KindTicketExpired, Err: errors.New("x")}, false},
		{&Error{Kind: KindNotRenewable, Err: errors.New("x")}, false},
		{&Error{Kind: KindUnknownPrincipal, Err: errors.New("x")}, false},
		{&Error{Kind: KindClientRevoked, Err: errors.New("x")}, false},
		{fmt.Errorf("wrapped: %w", &Error{Kind: KindRealmNotConfigured, Err: errors.New("x")}), false},
	} {
		if got := retryable(c.err); got != c.want {
			t.Errorf("retryable(%v, kind %d) = %v, want %v", c.err, KindOf(c.err), got, c.want)
		}
	}
}
