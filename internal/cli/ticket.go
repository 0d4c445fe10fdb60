package cli

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/krenew/krenew/ccache"
	"github.com/krenew/krenew/prompt"
	"github.com/krenew/krenew/renew"
)

// errKeepExisting aborts a cache update without writing anything.
var errKeepExisting = errors.New("existing cache kept")

// acquire gets a new TGT with the password (asked once) and writes it to
// the cache. The password lives only in this function's []byte and is
// zeroed as soon as the AS exchange is over.
func acquire(ctx context.Context, s *session, o *options, principal ccache.Principal) (ccache.Credential, error) {
	name := principal.String()
	if o.keytabMode() {
		return acquireFromKeytab(ctx, s, o, principal)
	}
	if err := prompt.Harden(); err != nil {
		verbosef(o, "cannot disable core dumps: %v", err)
	}
	var password []byte
	var err error
	var probe *renew.Probe
	if o.passwordStdin {
		password, err = prompt.ReadLine(os.Stdin)
	} else {
		// Nobody types a password for a principal the KDC does not know
		// or will not serve, or for a realm nobody can reach (kinit).
		probe, err = s.client.CheckPrincipal(ctx, o.initialRequest(principal))
		if err != nil {
			return ccache.Credential{}, kdcFailure(err, name, s.cacheName.String())
		}
		password, err = prompt.ReadPassword(passwordPrompt(name))
	}
	if err != nil {
		return ccache.Credential{}, passwordFailure(err, name)
	}
	s.heldPassword = true
	requested := time.Now()
	cred, err := s.client.InitialAfter(ctx, probe, o.initialRequest(principal), password)
	prompt.Zero(password)
	if err != nil {
		return ccache.Credential{}, kdcFailure(err, name, s.cacheName.String())
	}

	return storeNewTicket(s, o, principal, cred, requested)
}

// acquireFromKeytab is kinit -k: no prompt, the keytab's newest key.
func acquireFromKeytab(ctx context.Context, s *session, o *options, principal ccache.Principal) (ccache.Credential, error) {
	kt, err := s.keytab(o)
	if err != nil {
		return ccache.Credential{}, err
	}
	if err := prompt.Harden(); err != nil {
		verbosef(o, "cannot disable core dumps: %v", err)
	}
	requested := time.Now()
	cred, err := s.client.InitialFromKeytab(ctx, o.initialRequest(principal), kt)
	if err != nil {
		if renew.KindOf(err) == renew.KindKeytab {
			return ccache.Credential{}, keytabFailure(err, o.principal == "" && !o.keytabPrincipal)
		}
		return ccache.Credential{}, kdcFailure(err, principal.String(), s.cacheName.String())
	}
	return storeNewTicket(s, o, principal, cred, requested)
}

// storeNewTicket writes a new TGT and says what the KDC granted.
func storeNewTicket(s *session, o *options, principal ccache.Principal, cred ccache.Credential, requested time.Time) (ccache.Credential, error) {
	name := principal.String()
	onlyToEnd := renew.RenewableOnlyToEnd(cred)
	// --once asked for one ticket, which a ticket renewable only up to
	// its end is; a daemon would have nothing to do with it.
	usable := renew.Renewable(cred, time.Now()) == nil || onlyToEnd && o.mode == modeOnce
	written := false
	err := s.store.Update(func(old *ccache.Cache) (*ccache.Cache, error) {
		// A ticket that cannot be kept alive is no reason to throw away
		// what the user had; it is only written where there was nothing.
		// A keytab can always get another, so there it is written.
		if !usable && old != nil && !o.keytabMode() {
			return nil, errKeepExisting
		}
		written = true
		return withTGT(old, principal, cred), nil
	})
	if err != nil && !errors.Is(err, errKeepExisting) {
		return ccache.Credential{}, s.cacheFailure("write", err)
	}
	if written {
		s.switchPrimary(o)
	}
	switch {
	case usable, o.keytabMode():
	case onlyToEnd:
		return ccache.Credential{}, noRenewalPastEndFailure(name, s.cacheName.String(), cred, written)
	default:
		return ccache.Credential{}, nonRenewableIssued(name, written, s.cacheName.String())
	}
	if onlyToEnd && o.mode == modeOnce {
		// What a --once user would otherwise learn only from the next
		// --once: this ticket cannot be kept alive past its end.
		noticef("%s", noRenewalPastEnd(name, s.cacheName.String(), cred))
	} else if cred.RenewTill.Before(requested.Add(o.renewable).Add(-time.Minute)) {
		noticef("ticket renewable until %s (KDC limit)", when(cred.RenewTill))
	} else if cred.EndTime.Before(requested.Add(o.lifetime).Add(-time.Minute)) {
		// A lifetime the user or the site asked for is worth a line when
		// cut; the built-in 7d is cut by nearly every realm and renewal
		// makes up for it.
		if o.lifetimeSet || o.lifetimeFromConfig {
			noticef("ticket valid until %s (KDC limit)", when(cred.EndTime))
		} else {
			verbosef(o, "ticket valid until %s (KDC limit)", when(cred.EndTime))
		}
	}
	verbosef(o, "got a ticket for %s in %s, valid until %s, renewable until %s",
		name, s.cacheName, when(cred.EndTime), when(cred.RenewTill))
	// With a command, aklog runs on the command's private cache instead.
	if o.aklog && o.mode != modeCommand {
		if err := runAklog(s.cacheName.String()); err != nil {
			return ccache.Credential{}, err
		}
	}
	return cred, nil
}

// withTGT puts a new TGT into the cache contents. For the same principal,
// service tickets and config entries are kept (as the issue asks: nothing
// is lost); for another principal the cache starts afresh, because tickets
// of two clients in one cache would confuse every tool that reads it.
func withTGT(old *ccache.Cache, principal ccache.Principal, cred ccache.Credential) *ccache.Cache {
	if old == nil || !old.DefaultPrincipal.Equal(principal) {
		c := &ccache.Cache{Version: 4, DefaultPrincipal: principal}
		c.PutCredential(cred)
		return c
	}
	old.PutCredential(cred)
	return old
}

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

// renewableState explains, for --status, whether the TGT can still be
// renewed.
func renewableState(tgt ccache.Credential, now time.Time) string {
	if err := renew.Renewable(tgt, now); err != nil {
		switch {
		case renew.KindOf(err) == renew.KindTicketExpired:
			return "expired"
		case renew.KindOf(err) == renew.KindLifetimeOver:
			return "renewable lifetime used up"
		case renew.RenewableOnlyToEnd(tgt) && renew.NeverRenewed(tgt):
			return "renewable, but the realm allows no renewal past its end"
		case renew.RenewableOnlyToEnd(tgt):
			return "renewable lifetime used up"
		default:
			return "not renewable"
		}
	}
	return "renewable"
}

// initialRequest is the AS request every new ticket is asked with, from a
// password or a keytab, at start-up or on re-acquisition: -l and -r.
func (o *options) initialRequest(principal ccache.Principal) renew.InitialRequest {
	return renew.InitialRequest{Principal: principal, Lifetime: o.lifetime, Renewable: o.renewable}
}
