package renew

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/messages"

	"github.com/krenew/krenew/ccache"
)

// refusals are the KRB-ERRORs MIT, Heimdal and AD send for an account
// disabled or expired after the daemon started.
func refusals() map[string]*Error {
	return map[string]*Error{
		"revoked":     krbError(messages.KRBError{ErrorCode: errorcode.KDC_ERR_CLIENT_REVOKED}, "alice@R", "R", true),
		"key expired": krbError(messages.KRBError{ErrorCode: errorcode.KDC_ERR_KEY_EXPIRED}, "alice@R", "R", true),
		// Heimdal's disabled or locked principal: retried, it hung the
		// daemon until its ticket ran out.
		"policy": krbError(messages.KRBError{ErrorCode: errorcode.KDC_ERR_POLICY}, "alice@R", "R", true),
	}
}

// A refused account ends the daemon at the first refusal, with the error,
// also with a keytab (no keytab gets a ticket for a disabled account).
func TestEngineAccountRefusedEndsDaemon(t *testing.T) {
	for name, refusal := range refusals() {
		for _, keytab := range []bool{false, true} {
			h := newHarness(t, 10*time.Hour, 100*time.Hour)
			h.kdc.err = refusal
			var acquired int
			if keytab {
				h.cfg.Acquire = func(context.Context) (ccache.Credential, error) {
					acquired++
					return ccache.Credential{}, krbError(messages.KRBError{ErrorCode: refusal.Code}, "alice@R", "R", false)
				}
			}
			stopAt(h, t0.Add(50*time.Hour))
			_, err := h.run(t)
			if !AccountRefused(err) {
				t.Errorf("%s keytab=%v: err %v, want the refusal", name, keytab, err)
			}
			if n := len(h.kdc.callTimes()); n != 1 || acquired != 0 {
				t.Errorf("%s keytab=%v: %d renewals, %d acquisitions after a refusal, want 1 and 0", name, keytab, n, acquired)
			}
		}
	}
}

// A keytab daemon whose account is refused at the AS exchange gives up too.
func TestEngineKeytabAccountRefusedEnds(t *testing.T) {
	h := newHarness(t, 10*time.Hour, 100*time.Hour)
	h.store.set(nil)
	var acquired int
	h.cfg.Acquire = func(context.Context) (ccache.Credential, error) {
		acquired++
		return ccache.Credential{}, krbError(messages.KRBError{ErrorCode: errorcode.KDC_ERR_CLIENT_REVOKED}, "alice@R", "R", false)
	}
	stopAt(h, t0.Add(50*time.Hour))
	_, err := h.run(t)
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindClientRevoked || acquired != 1 {
		t.Fatalf("err %v after %d acquisitions, want the refusal after one", err, acquired)
	}
}

// The last renewal from Heimdal or AD has no renew-till: stored as
// renew-till = end, the daemon exits at the end as with renew-till reached.
func TestEngineLastRenewalWithoutRenewTill(t *testing.T) {
	h := newHarness(t, 10*time.Hour, 100*time.Hour)
	h.kdc.err = nil
	renewed := 0
	h.cfg.KDC = kdcFunc(func(_ context.Context, tgt ccache.Credential) (ccache.Credential, error) {
		renewed++
		now := h.clock.Now()
		n := tgt
		n.StartTime, n.EndTime = now, now.Add(10*time.Hour)
		n.RenewTill = n.EndTime // what credentialFromReply makes of no renew-till
		n.Ticket = []byte("last")
		return n, nil
	})
	outcome, err := h.run(t)
	if err != nil || outcome != LifetimeOver {
		t.Fatalf("outcome %v err %v, want the end of the renewable lifetime", outcome, err)
	}
	if renewed != 1 {
		t.Errorf("%d renewals, want 1: nothing can extend the last", renewed)
	}
	for _, l := range h.log.lines {
		if strings.Contains(l, "0001") {
			t.Errorf("log line with year 1: %s", l)
		}
	}
}

type kdcFunc func(context.Context, ccache.Credential) (ccache.Credential, error)

func (f kdcFunc) Renew(ctx context.Context, tgt ccache.Credential) (ccache.Credential, error) {
	return f(ctx, tgt)
}
