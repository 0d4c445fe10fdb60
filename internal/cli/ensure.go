package cli

import (
	"context"
	"time"

	"github.com/krenew/krenew/ccache"
	"github.com/krenew/krenew/renew"
)

// ensureTicket makes sure the cache holds a renewable TGT of the right
// principal, prompting once when it does not (missing, expired, not
// renewable, another principal than -u) or when --init asks for a new one.
func ensureTicket(ctx context.Context, s *session, o *options) (ccache.Principal, ccache.Credential, error) {
	cached, principal, err := s.settle(o)
	if err != nil {
		return ccache.Principal{}, ccache.Credential{}, err
	}
	if !o.init {
		now := time.Now()
		if tgt, ok := usableTGT(cached, principal, now); ok {
			verbosef(o, "%s already holds a renewable ticket of %s", s.cacheName, principal)
			return principal, tgt, nil
		}
		// A new ticket from the same realm would be just as unrenewable:
		// say so instead of asking for the password to no end.
		if tgt, ok := validTGT(cached, principal, now); ok && !o.keytabMode() && renew.RenewableOnlyToEnd(tgt) && renew.NeverRenewed(tgt) {
			return principal, tgt, noRenewalPastEndFailure(principal.String(), s.cacheName.String(), tgt, false)
		}
	}
	cred, err := acquire(ctx, s, o, principal)
	return principal, cred, err
}

func usableTGT(cached *ccache.Cache, principal ccache.Principal, now time.Time) (ccache.Credential, bool) {
	if cached == nil || !cached.DefaultPrincipal.Equal(principal) {
		return ccache.Credential{}, false
	}
	tgt, ok := cached.FindTGT()
	if !ok || renew.Renewable(*tgt, now) != nil {
		return ccache.Credential{}, false
	}
	return *tgt, true
}

// validTGT is the principal's TGT when it has not expired yet.
func validTGT(cached *ccache.Cache, principal ccache.Principal, now time.Time) (ccache.Credential, bool) {
	if cached == nil || !cached.DefaultPrincipal.Equal(principal) {
		return ccache.Credential{}, false
	}
	tgt, ok := cached.FindTGT()
	if !ok || !tgt.EndTime.After(now) {
		return ccache.Credential{}, false
	}
	return *tgt, true
}
