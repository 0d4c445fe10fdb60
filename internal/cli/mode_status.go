package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/krenew/krenew/ccache"
	"github.com/krenew/krenew/daemon"
	"github.com/krenew/krenew/renew"
)

// statusFacts is what --status found, before it is shown as text or JSON.
type statusFacts struct {
	principal ccache.Principal // zero if it could not be decided
	tgt       *ccache.Credential
	// Without a TGT: the valid service tickets and the last one's end.
	services    int
	servicesEnd time.Time
	valid       bool // klist -s: a ticket valid now
	// The daemon, if one maintains the cache.
	held      bool
	pid       int
	daemon    daemon.Status
	holderErr error
	// next is the next renewal: the daemon's plan, or without a daemon
	// when the schedule would renew (nextDue).
	next    time.Time
	nextDue bool
}

// runStatus prints what the cache holds; exit 0 only if it holds a TGT
// (or, with none, a service ticket) that is valid now.
func runStatus(s *session, o *options) error {
	now := time.Now()
	f, err := statusOf(s, o, now)
	if o.json {
		// A monitoring check gets its object even when there is nothing
		// to report; the error line still goes to stderr.
		if jerr := printStatusJSON(statusJSONOf(s, f, err, now)); jerr != nil {
			return jerr
		}
	} else if err == nil {
		printStatusText(s, f, now)
	}
	switch {
	case err != nil:
		return err
	case !f.valid:
		return exitCode(exitFailure)
	}
	return nil
}

func statusOf(s *session, o *options, now time.Time) (statusFacts, error) {
	var f statusFacts
	cached, principal, err := s.settle(o)
	if err != nil {
		return f, err
	}
	f.principal = principal
	tgt, err := s.currentTGT(cached, principal)
	if err != nil {
		if cached == nil || !cached.DefaultPrincipal.Equal(principal) {
			return f, err
		}
		// klist -s counts a cache without a TGT as valid while any
		// ticket in it is, and so does krenew, though nothing in it can
		// be renewed.
		for _, cr := range cached.Credentials {
			if cr.IsConfig() || !cr.EndTime.After(now) {
				continue
			}
			f.services++
			if cr.EndTime.After(f.servicesEnd) {
				f.servicesEnd = cr.EndTime
			}
		}
		f.valid = f.services > 0
		f.queryHolder(s)
		return f, nil
	}
	f.tgt = &tgt
	f.valid = tgt.EndTime.After(now)
	f.queryHolder(s)
	var ok bool
	if f.held {
		// The daemon knows its plan, jitter and retries included.
		f.next, ok = f.daemon.NextRenewal, !f.daemon.NextRenewal.IsZero()
	} else {
		f.next, ok = renew.Policy{}.NextRenewal(tgt)
		f.nextDue = ok
	}
	if !ok || !f.valid {
		f.next, f.nextDue = time.Time{}, false
	} else if f.held && f.next.Before(now) {
		f.next = now
	}
	return f, nil
}

// queryHolder asks the krenew daemon holding the cache's lock, if any,
// for its status.
func (f *statusFacts) queryHolder(s *session) {
	pid, st, err := daemon.QueryStatus(s.lockKey())
	f.held, f.pid, f.daemon = err == nil, pid, st
	if !errors.Is(err, daemon.ErrNotHeld) {
		f.holderErr = err
	}
}

func printStatusText(s *session, f statusFacts, now time.Time) {
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	defer w.Flush()
	fmt.Fprintf(w, "principal:\t%s\n", shown(f.principal))
	fmt.Fprintf(w, "cache:\t%s\n", shown(s.cacheName))
	if f.tgt == nil {
		if f.services == 0 {
			fmt.Fprintf(w, "expires:\tno valid ticket\n")
		} else {
			fmt.Fprintf(w, "expires:\t%s (%s; %d service ticket(s), the last one)\n", when(f.servicesEnd), fromNow(f.servicesEnd, now), f.services)
		}
		fmt.Fprintf(w, "renew until:\tnone: no ticket-granting ticket to renew\n")
		fmt.Fprintf(w, "next renewal:\tnone\n")
		return
	}
	tgt := *f.tgt
	expiry := fmt.Sprintf("%s (%s)", when(tgt.EndTime), fromNow(tgt.EndTime, now))
	if !f.valid {
		expiry = fmt.Sprintf("%s (expired %s)", when(tgt.EndTime), fromNow(tgt.EndTime, now))
	}
	fmt.Fprintf(w, "expires:\t%s\n", expiry)
	if tgt.RenewTill.IsZero() {
		fmt.Fprintf(w, "renew until:\tnot renewable\n")
	} else {
		fmt.Fprintf(w, "renew until:\t%s (%s)\n", when(tgt.RenewTill), renewableState(tgt, now))
	}
	switch {
	case f.next.IsZero():
		fmt.Fprintf(w, "next renewal:\tnone\n")
	case f.nextDue:
		fmt.Fprintf(w, "next renewal:\tnone planned (would be due %s)\n", when(f.next))
	default:
		fmt.Fprintf(w, "next renewal:\t%s (%s)\n", when(f.next), fromNow(f.next, now))
	}
	switch {
	case f.held:
		fmt.Fprintf(w, "renewed by:\tkrenew pid %d\n", f.pid)
	case f.holderErr == nil:
		fmt.Fprintf(w, "renewed by:\tno krenew daemon\n")
	default:
		fmt.Fprintf(w, "renewed by:\tunknown (%s)\n", shown(f.holderErr))
	}
}

// statusJSON is --status --json, documented in krenew(1) (MONITORING):
// every key is always there, null where there is nothing to say,
// so that a check can test a key without testing for it first. Its
// strings are escaped as the text is (shown): jq -r prints them raw.
type statusJSON struct {
	Principal   *string `json:"principal"`
	Cache       *string `json:"cache"`
	Type        *string `json:"type"`
	Valid       bool    `json:"valid"`
	TGT         bool    `json:"tgt"`
	Expires     *string `json:"expires"`
	RenewTill   *string `json:"renew_till"`
	Renewable   bool    `json:"renewable"`
	NextRenewal *string `json:"next_renewal"`
	RenewedBy   *int    `json:"renewed_by"`
	LastError   *string `json:"last_error"`
	Error       *string `json:"error"`
}

// statusJSONOf fills the object from what was found; s may be nil when
// not even the cache could be named, and err is why there is no ticket
// to describe.
func statusJSONOf(s *session, f statusFacts, err error, now time.Time) statusJSON {
	var j statusJSON
	if s != nil {
		j.Cache, j.Type = jsonString(shown(s.cacheName)), jsonString(s.cacheName.Type)
	}
	if len(f.principal.Components) > 0 {
		j.Principal = jsonString(shown(f.principal))
	}
	j.Valid = f.valid
	if err != nil {
		j.Error = jsonString(shown(asFailure(err).msg))
		return j
	}
	if f.tgt == nil {
		j.Expires = jsonTime(f.servicesEnd)
	} else {
		j.TGT = true
		j.Expires = jsonTime(f.tgt.EndTime)
		j.RenewTill = jsonTime(f.tgt.RenewTill)
		j.Renewable = renew.Renewable(*f.tgt, now) == nil
		if !f.nextDue {
			j.NextRenewal = jsonTime(f.next)
		}
	}
	switch {
	case f.held:
		j.RenewedBy = &f.pid
		if f.daemon.LastError != "" {
			j.LastError = jsonString(shown(f.daemon.LastError))
		}
	case f.holderErr != nil && s != nil:
		j.LastError = jsonString(shown(holderQueryFailure(s.cacheName.String(), f.holderErr).msg))
	}
	return j
}

// statusJSONFailure is --status --json when krenew could not even open
// the cache (krb5.conf, the cache's name): the object says why.
func statusJSONFailure(err error) error {
	return printStatusJSON(statusJSONOf(nil, statusFacts{}, err, time.Now()))
}

func printStatusJSON(j statusJSON) error {
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	return enc.Encode(j)
}

func jsonString(s string) *string { return &s }

// jsonTime is RFC 3339 in UTC to the second, which jq's fromdate reads;
// the zero time (none) is null.
func jsonTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	return jsonString(t.UTC().Format(time.RFC3339))
}
