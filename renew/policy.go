package renew

import (
	"time"

	"github.com/krenew/krenew/ccache"
)

// Policy decides when a ticket is renewed. The zero Policy is the default
// rule from CLI.md.
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
