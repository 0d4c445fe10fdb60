package cli

import (
	"errors"
	"strings"
	"testing"

	"github.com/krenew/krenew/renew"
)

// A refused account is named with what the KDC said is wrong with it, and
// the -l/-r hint appears only where -l/-r shaped the request (a new
// ticket), never for a refused renewal (--once, the daemon).
func TestKDCFailureAccountAndPolicyHints(t *testing.T) {
	cases := []struct {
		err       *renew.Error
		msg, hint string
		noHint    string
	}{
		{&renew.Error{Kind: renew.KindClientRevoked, Account: renew.AccountDisabled, Renewing: true},
			"the account alice@R is disabled", "enable it", "-l/-r"},
		{&renew.Error{Kind: renew.KindClientRevoked, Account: renew.AccountExpired},
			"the account alice@R has expired", "extend it", "-l/-r"},
		{&renew.Error{Kind: renew.KindClientRevoked, Account: renew.AccountLockedOut},
			"the account alice@R is locked out", "unlock it", "-l/-r"},
		{&renew.Error{Kind: renew.KindClientRevoked},
			"the account alice@R is disabled, locked or expired", "administrator", "-l/-r"},
		// KDC_ERR_POLICY is all Heimdal says of a disabled principal.
		{&renew.Error{Kind: renew.KindPolicy, Code: 12, Said: "(12) KDC_ERR_POLICY KDC policy rejects request", Renewing: true},
			"the KDC refused to renew the ticket of alice@R: (12) KDC_ERR_POLICY KDC policy rejects request; the account may be disabled or locked",
			"whether alice@R is disabled, locked", "-l/-r"},
		{&renew.Error{Kind: renew.KindPolicy, Code: 12, Said: "(12) KDC_ERR_POLICY KDC policy rejects request"},
			"the KDC refused a ticket for alice@R: (12) KDC_ERR_POLICY KDC policy rejects request; the account may be disabled or locked",
			"whether alice@R is disabled, locked", "-l/-r"},
		{&renew.Error{Kind: renew.KindLifetimeOver, Renewing: true},
			"the ticket of alice@R in FILE:/tmp/c cannot be renewed again: its renewable lifetime is used up", "krenew --init", "maxrenewlife"},
		{&renew.Error{Kind: renew.KindPolicy, Renewing: true, Err: errors.New("KDC policy rejects request")},
			"refused to renew the ticket of alice@R", "administrator", "-l/-r"},
		{&renew.Error{Kind: renew.KindPolicy, Code: 13, Err: errors.New("KDC cannot accommodate requested option")},
			"refused a ticket for alice@R", "try a shorter -l/-r", ""},
	}
	for _, c := range cases {
		f := kdcFailure(c.err, "alice@R", "FILE:/tmp/c")
		if !strings.Contains(f.msg, c.msg) || !strings.Contains(f.hint, c.hint) {
			t.Errorf("kind %d: %q / hint %q, want %q / %q", c.err.Kind, f.msg, f.hint, c.msg, c.hint)
		}
		if c.noHint != "" && strings.Contains(f.hint, c.noHint) {
			t.Errorf("kind %d renewing=%v: hint %q mentions %s", c.err.Kind, c.err.Renewing, f.hint, c.noHint)
		}
	}
}
