package renew

import (
	"fmt"
	"time"

	"github.com/krenew/krenew/ccache"
)

// oddity is one way a renewal reply differs from what the request asked
// for and what MIT's, Heimdal's and Active Directory's KDCs give: the same
// lifetime again from now, capped at the same renew-till, with the same
// flags. A KDC that does otherwise is misconfigured, broken or hostile,
// and renewing again at once would only repeat it: one such reply drove
// krenew to thousands of requests a minute, each reply shortening the
// ticket and so the floor between renewals (issue 16).
type oddity int

const (
	oddNoLater      oddity = iota // ends no later than the ticket it renews
	oddShorter                    // valid for less time than the ticket it renews
	oddNotRenewable               // lost the RENEWABLE flag
	oddRenewTill                  // another renew-till
	oddRejected                   // refused by Client.renew (another client, bad times, undecryptable)
	oddCount
)

// oddities lists what is odd about renewed, the KDC's renewal of old, each
// with its phrase for the log. forced is SIGALRM: a renewal in the second
// the ticket was issued in ends no later, and the user asked for it.
func oddities(old, renewed ccache.Credential, forced bool) (kinds []oddity, phrases []string) {
	add := func(k oddity, format string, a ...any) {
		kinds = append(kinds, k)
		phrases = append(phrases, fmt.Sprintf(format, a...))
	}
	oldLife, newLife := old.EndTime.Sub(startOf(old)), renewed.EndTime.Sub(startOf(renewed))
	// The last renewal ends at renew-till, sooner than a full lifetime.
	capped := !renewed.EndTime.Before(old.RenewTill) || !renewed.EndTime.Before(renewed.RenewTill)
	switch {
	case renewed.EndTime.Before(old.EndTime) || !forced && !renewed.EndTime.After(old.EndTime):
		add(oddNoLater, "ends at %s, no later than the ticket it renews", stamp(renewed.EndTime))
	case newLife < oldLife && !capped:
		// No tolerance: KDCs give the old lifetime to the second, and a
		// KDC allowed to shave off a second per renewal could shrink the
		// ticket, and so the floor between renewals, to nothing.
		add(oddShorter, "is valid for %s, the ticket it renews for %s", newLife.Round(time.Second), oldLife.Round(time.Second))
	}
	// Heimdal and AD clear the flag on the renewal that reaches renew-till:
	// nothing is lost, it could not be renewed again anyway.
	last := !renewed.EndTime.Before(old.RenewTill)
	if old.Flags&ccache.FlagRenewable != 0 && renewed.Flags&ccache.FlagRenewable == 0 && !last {
		add(oddNotRenewable, "is no longer renewable")
	}
	if !renewed.RenewTill.Equal(old.RenewTill) {
		add(oddRenewTill, "is renewable until %s, not %s", stamp(renewed.RenewTill), stamp(old.RenewTill))
	}
	return kinds, phrases
}
