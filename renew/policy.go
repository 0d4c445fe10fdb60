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
}

// NextRenewal is when tgt should be renewed: once half of its lifetime
// has passed (the FreeIPA rule now > start + (end-start)/2), earlier if
// that would leave less than MinLifetime. ok is false when no renewal can
// extend the ticket any more (it already ends at its renew-till).
func (p Policy) NextRenewal(tgt ccache.Credential) (at time.Time, ok bool) {
	if !tgt.RenewTill.After(tgt.EndTime) || tgt.Flags&ccache.FlagRenewable == 0 {
		return time.Time{}, false
	}
	start := tgt.StartTime
	if start.IsZero() {
		start = tgt.AuthTime
	}
	at = start.Add(tgt.EndTime.Sub(start) / 2)
	if p.MinLifetime > 0 {
		if early := tgt.EndTime.Add(-p.MinLifetime); early.Before(at) {
			at = early
		}
	}
	return at, true
}
