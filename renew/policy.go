package renew

import (
	"time"

	"github.com/krenew/krenew/ccache"
)

// Policy decides when a ticket is renewed. The zero Policy is the default
// rule from CLI.md.
//
// This file is the whole "when" of the engine: the renewal point and its
// floor, the jitter, the -a tick, how long to sleep, the backoff after a
// failure, whether a failure can be retried and whether it ends the loop.
// Everything here is a pure function of times, counts, errors and (for the
// random draws) the Rand it is given; the engine in engine.go keeps the
// state and does the I/O.
type Policy struct {
	// MinLifetime (-H): renew early enough that at least this much
	// lifetime is left.
	MinLifetime time.Duration
	// Interval (-K) caps the time between two looks at the cache.
	Interval time.Duration
	// Always (-a) renews at every -K wake-up, whatever the ticket's times.
	Always bool
}

// NextRenewal is when tgt should be renewed: once half of its lifetime
// has passed (the FreeIPA rule now > start + (end-start)/2), earlier if
// that would leave less than MinLifetime, but never before the floor of
// notBefore. ok is false when no renewal can extend the ticket any more
// (it already ends at its renew-till).
func (p Policy) NextRenewal(tgt ccache.Credential) (at time.Time, ok bool) {
	if !tgt.RenewTill.After(tgt.EndTime) || tgt.Flags&ccache.FlagRenewable == 0 {
		return time.Time{}, false
	}
	return maxTime(p.refreshPoint(tgt), p.notBefore(tgt, time.Time{})), true
}

// refreshPoint is when the ticket should be replaced, by a renewal or (in
// keytab mode) a new one, before the floor.
func (p Policy) refreshPoint(tgt ccache.Credential) (at time.Time) {
	start := startOf(tgt)
	at = start.Add(tgt.EndTime.Sub(start) / 2)
	if p.MinLifetime > 0 {
		if early := tgt.EndTime.Add(-p.MinLifetime); early.Before(at) {
			at = early
		}
	}
	return at
}

// notBefore is the floor under every renewal of tgt: a tenth of its
// lifetime after the last renewal (zero: none by this process) or its
// start, whichever is later. A renewal cannot give more lifetime than the
// ticket had, so a plan earlier than this (an -H beyond the lifetime, the
// jitter, a KDC clock behind) gains little or nothing and would renew in
// a tight loop. Only the cadence -a asks for may be faster; and never two
// renewals in one second, since KerberosTime has whole seconds and the
// second would come back with the same end time.
func (p Policy) notBefore(tgt ccache.Credential, last time.Time) time.Time {
	gap := max(tgt.EndTime.Sub(startOf(tgt))/10, time.Second)
	if p.Always && p.Interval > 0 {
		gap = min(gap, max(p.Interval, time.Second))
	}
	return maxTime(startOf(tgt), last).Add(gap)
}

func startOf(tgt ccache.Credential) time.Time {
	if tgt.StartTime.IsZero() {
		return tgt.AuthTime
	}
	return tgt.StartTime
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// ---- -a ----

// tick is the -a rule: with Always and an Interval, every Interval a
// wake-up is due, which renews as soon as the floor allows. next is when
// the coming tick falls (zero: no tick planned yet, so the first is one
// Interval from now); tick returns the tick after that and whether one is
// due at now. Without -a it returns next unchanged and never a due tick.
func (p Policy) tick(now, next time.Time) (time.Time, bool) {
	if !p.Always || p.Interval <= 0 {
		return next, false
	}
	if next.IsZero() {
		return now.Add(p.Interval), false
	}
	if !now.Before(next) {
		return now.Add(p.Interval), true
	}
	return next, false
}

// ---- jitter ----

// jitterBound is the most the planned renewal of tgt moves earlier: a
// tenth of its lifetime and at most five minutes, so that a thousand
// users who logged in at 9:00 do not all renew in the same second.
func (p Policy) jitterBound(tgt ccache.Credential) time.Duration {
	life := tgt.EndTime.Sub(tgt.StartTime)
	return min(life/10, 5*time.Minute)
}

// jittered moves at earlier by jitter (a draw up to jitterBound), but not
// before the ticket's start.
func (p Policy) jittered(tgt ccache.Credential, at time.Time, jitter time.Duration) time.Time {
	at = at.Add(-jitter)
	if at.Before(tgt.StartTime) {
		at = tgt.StartTime
	}
	return at
}

// ---- sleeping ----

// sleepFor is how long the engine sleeps at now: until plan, but never
// longer than maxSleep or the -K Interval, nor past the next -a tick
// (zero: none), so that a resume from suspend or a clock jump is noticed
// in time; never negative.
func (p Policy) sleepFor(now, plan, nextTick time.Time, maxSleep time.Duration) time.Duration {
	d := min(plan.Sub(now), maxSleep)
	if p.Interval > 0 {
		d = min(d, p.Interval)
	}
	if !nextTick.IsZero() {
		d = min(d, nextTick.Sub(now))
	}
	return max(d, 0)
}

// ---- after a failure ----

// retryable: failures a later attempt can fix. An expired or
// non-renewable ticket, or a KDC that says no to this client (its account
// disabled, locked, expired or its password expired), cannot.
func retryable(err error) bool {
	if AccountRefused(err) {
		return false
	}
	switch KindOf(err) {
	case KindTicketExpired, KindNotRenewable, KindLifetimeOver, KindUnknownPrincipal, KindClientRevoked, KindPasswordExpired, KindRealmNotConfigured:
		return false
	}
	return true
}

// giveUp is the error mode's decision on a failed renewal: -x gives up on
// the first failure, the default on a permanent one (the KDC refused, the
// ticket expired), -i never; otherwise the renewal is retried.
func (p Policy) giveUp(mode ErrorMode, permanent bool) bool {
	switch {
	case mode == ExitOnError:
		return true
	case permanent && mode != IgnoreErrors:
		return true
	}
	return false
}

// backoff is capped exponential backoff with jitter after the given
// number of consecutive failures (1 for the first): initial doubles up to
// limit, plus a draw of up to half. The cap shrinks with short tickets, so
// that a KDC back from an outage is noticed while tgt is still valid.
func (p Policy) backoff(tgt ccache.Credential, failures int, initial, limit time.Duration, rand func(time.Duration) time.Duration) time.Duration {
	if life := tgt.EndTime.Sub(tgt.StartTime); life > 0 {
		limit = min(limit, max(life/8, time.Second))
	}
	d := initial
	for i := 1; i < failures && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	return d + rand(d/2)
}

// retryDelay adjusts a backoff delay so that the retry never sleeps past
// tgt's end (one last try a second before it beats that), and so that it
// says when the retry really comes: not before floor (zero: no floor, as
// when there is no ticket to renew).
func (p Policy) retryDelay(now time.Time, delay time.Duration, tgt ccache.Credential, floor time.Time) time.Duration {
	if !tgt.EndTime.IsZero() {
		if last := tgt.EndTime.Add(-time.Second); now.Add(delay).After(last) && last.After(now) {
			delay = last.Sub(now)
		}
	}
	if now.Add(delay).Before(floor) {
		delay = floor.Sub(now)
	}
	return delay
}

// ---- after an odd reply ----

// Odd replies (see oddity) put the next unforced request for the cache
// at least oddBackoffInitial away, doubling with each odd reply in a row
// up to oddBackoffMax: a few requests a minute at most, whatever the KDC
// answers. Only SIGALRM asks sooner.
const (
	oddBackoffInitial = 30 * time.Second
	oddBackoffMax     = 10 * time.Minute
	// oddLeast is the least wait after an odd reply, even for the last
	// try before the ticket in hand ends.
	oddLeast = 10 * time.Second
)

// oddDelay is how long after the n-th odd reply in a row (1 for the
// first) the next unforced request may go out. After the first, it is
// brought back so that the ticket in hand, tgt, gets one more try a second
// before it ends, but never below oddLeast: a KDC that misbehaved once
// (a max_life lowered meanwhile) costs no ticket. Only once: a KDC whose
// every reply is odd, and extends the ticket a little, would otherwise
// get that last try again and again.
func (p Policy) oddDelay(now time.Time, tgt ccache.Credential, n int) time.Duration {
	d := oddBackoffInitial
	for i := 1; i < n && d < oddBackoffMax; i++ {
		d *= 2
	}
	d = min(d, oddBackoffMax)
	if last := tgt.EndTime.Add(-time.Second).Sub(now); n == 1 && last < d {
		d = last
	}
	return max(d, oddLeast)
}
