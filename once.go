package main

import (
	"context"
	"errors"
	"time"

	"github.com/krenew/krenew/ccache"
	"github.com/krenew/krenew/renew"
)

// runOnce is kinit -R (and with --init, kinit -l -r first).
func runOnce(ctx context.Context, s *session, o *options) error {
	cached, err := s.loadCache()
	if err != nil {
		return err
	}
	principal, err := s.runPrincipal(o, cached)
	if err != nil {
		return err
	}
	if o.init {
		if _, err := acquire(ctx, s, o, principal); err != nil {
			return err
		}
		if cached, err = s.loadCache(); err != nil {
			return err
		}
	}
	tgt, err := s.currentTGT(cached, principal)
	if err != nil {
		return err
	}
	if o.minLifetime > 0 {
		// kstart's krenew -H without -K: renew only when less than that
		// much lifetime is left.
		if left := time.Until(tgt.EndTime); left >= o.minLifetime {
			verbosef(o, "the ticket of %s has %s left, more than -H; not renewing", principal, formatKrbDuration(left.Round(time.Second)))
			return nil
		}
	}
	renewed, err := s.client.Renew(ctx, tgt)
	if err != nil {
		return kdcFailure(err, principal.String(), s.cacheName.String())
	}
	if err := s.storeRenewed(tgt, renewed); err != nil {
		return err
	}
	verbosef(o, "renewed the ticket of %s in %s: valid until %s, renewable until %s",
		principal, s.cacheName, when(renewed.EndTime), when(renewed.RenewTill))
	if o.aklog {
		return runAklog(s.cacheName.String())
	}
	return nil
}

// currentTGT finds the TGT of principal in the cache, or says why there is
// none in the words the user needs.
func (s *session) currentTGT(cached *ccache.Cache, principal ccache.Principal) (ccache.Credential, error) {
	name := s.cacheName.String()
	if cached == nil {
		return ccache.Credential{}, noCacheFailure(name)
	}
	if !cached.DefaultPrincipal.Equal(principal) {
		return ccache.Credential{}, otherPrincipalFailure(principal.String(), cached.DefaultPrincipal.String(), name)
	}
	tgt, ok := cached.FindTGT()
	if !ok {
		return ccache.Credential{}, noTGTFailure(principal.String(), name)
	}
	return *tgt, nil
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

// renewableState explains, for --status, whether the TGT can still be
// renewed.
func renewableState(tgt ccache.Credential, now time.Time) string {
	if err := renew.Renewable(tgt, now); err != nil {
		switch {
		case renew.KindOf(err) == renew.KindTicketExpired:
			return "expired"
		case tgt.Flags&ccache.FlagRenewable != 0 && !tgt.RenewTill.After(tgt.EndTime) && tgt.RenewTill.After(tgt.StartTime):
			return "renewable lifetime used up"
		default:
			return "not renewable"
		}
	}
	return "renewable"
}
