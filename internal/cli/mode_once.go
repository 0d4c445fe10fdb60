package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/krenew/krenew/ccache"
	"github.com/krenew/krenew/renew"
)

// runOnce is kinit -R (and with --init, kinit -l -r instead); with -H it is
// kstart's one-shot check, and with a keytab k5start's: a new ticket
// from the keytab where renewal cannot give the ticket asked for.
func runOnce(ctx context.Context, s *session, o *options) error {
	cached, principal, err := s.settle(o)
	if err != nil {
		return err
	}
	switch {
	case o.init:
		// As kinit: the new ticket is stored and that is all. Renewing a
		// ticket issued a moment ago would cost a TGS exchange and a
		// second cache write and gain nothing (issue 14).
		tgt, err := acquire(ctx, s, o, principal)
		if err == nil && o.minLifetime > 0 && time.Until(tgt.EndTime) < o.minLifetime && time.Until(tgt.RenewTill) < o.minLifetime {
			return notLongEnoughFailure(principal.String(), s.cacheName.String(), tgt, o.minLifetime)
		}
		return err
	case o.keytabMode() && keytabNeedsNewTicket(cached, principal, o.minLifetime, time.Now()):
		_, err := acquire(ctx, s, o, principal)
		return err
	}
	tgt, err := s.currentTGT(cached, principal)
	if err != nil {
		return err
	}
	if o.minLifetime > 0 {
		// kstart's krenew -H without -K: renew only when less than that
		// much lifetime is left, and fail when a renewal could not give it.
		if left := time.Until(tgt.EndTime); left >= o.minLifetime {
			verbosef(o, "the ticket of %s has %s left, more than -H; not renewing", principal, formatKrbDuration(left.Round(time.Second)))
			return nil
		}
		if time.Until(tgt.RenewTill) < o.minLifetime {
			return notLongEnoughFailure(principal.String(), s.cacheName.String(), tgt, o.minLifetime)
		}
	}
	renewed, err := s.client.RenewAsKinit(ctx, tgt)
	if err != nil {
		return kdcFailure(err, principal.String(), s.cacheName.String())
	}
	if err := s.storeRenewed(tgt, renewed); err != nil {
		return err
	}
	s.switchPrimary(o) // kinit -R carol makes carol's cache the primary
	verbosef(o, "renewed the ticket of %s in %s: valid until %s, renewable until %s",
		principal, s.cacheName, when(renewed.EndTime), when(renewed.RenewTill))
	if !renewed.RenewTill.After(renewed.EndTime) {
		noticef("%s", renewedToTheEnd(principal.String(), s.cacheName.String(), tgt, renewed))
	}
	if o.aklog {
		return runAklog(s.cacheName.String())
	}
	return nil
}

// renewedToTheEnd tells a --once user that this renewal was the last one
// possible, and why: the realm's limits, or a renewable lifetime used up.
func renewedToTheEnd(principal, cache string, before, renewed ccache.Credential) string {
	if renew.RenewableOnlyToEnd(before) && renew.NeverRenewed(before) {
		return fmt.Sprintf("renewed the ticket of %s in %s, but the realm allows no renewal past its end (valid until %s, renewable until %s)",
			principal, cache, when(renewed.EndTime), when(renewed.RenewTill))
	}
	return fmt.Sprintf("renewed the ticket of %s in %s up to the end of its renewable lifetime: it cannot be renewed again and expires at %s",
		principal, cache, when(renewed.EndTime))
}

// keytabNeedsNewTicket: with a keytab, a ticket is renewed while renewal
// can still give what is asked for, and replaced from the keytab when it
// cannot (missing, another principal's, expired, not renewable, or with
// -H not renewable for that long).
func keytabNeedsNewTicket(cached *ccache.Cache, principal ccache.Principal, minLifetime time.Duration, now time.Time) bool {
	tgt, ok := usableTGT(cached, principal, now)
	if !ok {
		return true
	}
	return minLifetime > 0 && tgt.EndTime.Sub(now) < minLifetime && tgt.RenewTill.Sub(now) < minLifetime
}

// storeRenewed writes the renewed TGT unless someone else put a newer
// ticket in the cache while krenew talked to the KDC (kinit in another
// window): that one wins, and so does another principal's.
func (s *session) storeRenewed(old, renewed ccache.Credential) error {
	err := s.store.Update(func(c *ccache.Cache) (*ccache.Cache, error) {
		if c == nil {
			return nil, noCacheFailure(s.cacheName.String())
		}
		if !c.DefaultPrincipal.Equal(renewed.Client) {
			return nil, otherPrincipalFailure(renewed.Client.String(), c.DefaultPrincipal.String(), s.cacheName.String())
		}
		if cur, ok := c.FindTGT(); ok && cur.EndTime.After(renewed.EndTime) {
			return nil, errKeepExisting
		}
		c.PutCredential(renewed)
		return c, nil
	})
	switch {
	case err == nil, errors.Is(err, errKeepExisting):
		return nil
	case isFailure(err):
		return err
	}
	return s.cacheFailure("write", err)
}

func isFailure(err error) bool {
	var f *failure
	return errors.As(err, &f)
}
