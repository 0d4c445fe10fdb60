package cli

import (
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/krenew/krenew/ccache"
	"github.com/krenew/krenew/daemon"
	"github.com/krenew/krenew/renew"
)

// runStatus prints what the cache holds; exit 0 only if it holds a TGT
// that is valid now.
func runStatus(s *session, o *options) error {
	cached, principal, err := s.settle(o)
	if err != nil {
		return err
	}
	tgt, err := s.currentTGT(cached, principal)
	if err != nil {
		if cached != nil && cached.DefaultPrincipal.Equal(principal) {
			return serviceTicketStatus(s, cached, principal, time.Now())
		}
		return err
	}
	now := time.Now()
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "principal:\t%s\n", principal)
	fmt.Fprintf(w, "cache:\t%s\n", s.cacheName)
	expiry := fmt.Sprintf("%s (%s)", when(tgt.EndTime), fromNow(tgt.EndTime, now))
	if !tgt.EndTime.After(now) {
		expiry = fmt.Sprintf("%s (expired %s)", when(tgt.EndTime), fromNow(tgt.EndTime, now))
	}
	fmt.Fprintf(w, "expires:\t%s\n", expiry)
	if tgt.RenewTill.IsZero() {
		fmt.Fprintf(w, "renew until:\tnot renewable\n")
	} else {
		fmt.Fprintf(w, "renew until:\t%s (%s)\n", when(tgt.RenewTill), renewableState(tgt, now))
	}
	pid, st, holderErr := daemon.QueryStatus(s.lockKey())
	held := holderErr == nil
	var at time.Time
	ok := false
	if held {
		// The daemon knows its plan, jitter and retries included.
		at, ok = st.NextRenewal, !st.NextRenewal.IsZero()
	} else {
		at, ok = renew.Policy{}.NextRenewal(tgt)
	}
	switch {
	case !ok || !tgt.EndTime.After(now):
		fmt.Fprintf(w, "next renewal:\tnone\n")
	case !held:
		fmt.Fprintf(w, "next renewal:\tnone planned (would be due %s)\n", when(at))
	default:
		if at.Before(now) {
			at = now
		}
		fmt.Fprintf(w, "next renewal:\t%s (%s)\n", when(at), fromNow(at, now))
	}
	switch {
	case held:
		fmt.Fprintf(w, "renewed by:\tkrenew pid %d\n", pid)
	case errors.Is(holderErr, daemon.ErrNotHeld):
		fmt.Fprintf(w, "renewed by:\tno krenew daemon\n")
	default:
		fmt.Fprintf(w, "renewed by:\tunknown (%v)\n", holderErr)
	}
	w.Flush()
	if !tgt.EndTime.After(now) {
		return exitCode(exitFailure)
	}
	return nil
}

// serviceTicketStatus is --status for a cache without a TGT: klist -s
// counts it as valid while any ticket in it is, and so does krenew, though
// nothing in it can be renewed.
func serviceTicketStatus(s *session, cached *ccache.Cache, principal ccache.Principal, now time.Time) error {
	var valid int
	var last time.Time
	for _, cr := range cached.Credentials {
		if cr.IsConfig() || !cr.EndTime.After(now) {
			continue
		}
		valid++
		if cr.EndTime.After(last) {
			last = cr.EndTime
		}
	}
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "principal:\t%s\n", principal)
	fmt.Fprintf(w, "cache:\t%s\n", s.cacheName)
	if valid == 0 {
		fmt.Fprintf(w, "expires:\tno valid ticket\n")
	} else {
		fmt.Fprintf(w, "expires:\t%s (%s; %d service ticket(s), the last one)\n", when(last), fromNow(last, now), valid)
	}
	fmt.Fprintf(w, "renew until:\tnone: no ticket-granting ticket to renew\n")
	fmt.Fprintf(w, "next renewal:\tnone\n")
	w.Flush()
	if valid == 0 {
		return exitCode(exitFailure)
	}
	return nil
}
