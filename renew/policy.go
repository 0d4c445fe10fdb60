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
// that would leave less than MinLifetime. ok is false when no renewal can
// extend the ticket any more (it already ends at its renew-till).
func (p Policy) NextRenewal(tgt ccache.Credential) (at time.Time, ok bool) {
	if !tgt.RenewTill.After(tgt.EndTime) || tgt.Flags&ccache.FlagRenewable == 0 {
		return time.Time{}, false
	}
	return p.refreshPoint(tgt), true
}

// refreshPoint is when the ticket should be replaced, by a renewal or (in
// keytab mode) a new one.
func (p Policy) refreshPoint(tgt ccache.Credential) (at time.Time) {
	start := tgt.StartTime
	if start.IsZero() {
		start = tgt.AuthTime
	}
	life := tgt.EndTime.Sub(start)
	at = start.Add(life / 2)
	if p.MinLifetime > 0 {
		if early := tgt.EndTime.Add(-p.MinLifetime); early.Before(at) {
			at = early
		}
		// A renewal cannot give more lifetime than the ticket had, so an
		// -H beyond it would renew in a tight loop: let at least a tenth
		// of the lifetime pass between renewals.
		at = maxTime(at, start.Add(max(life/10, time.Second)))
	}
	return at
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
