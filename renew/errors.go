package renew

import (
	"errors"
	"fmt"
	"strings"

	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/messages"

	"github.com/krenew/krenew/internal/escape"
)

// Kind names a failure the way a user has to act on it, not the way the
// protocol spells it; the CLI maps each kind to one message and one hint.
type Kind int

const (
	KindOther Kind = iota
	KindWrongPassword
	KindUnknownPrincipal
	KindPasswordExpired
	KindClientRevoked
	KindClockSkew
	KindKDCUnreachable
	KindRealmNotConfigured
	KindNotRenewable
	KindTicketExpired
	KindBadReply
	KindPolicy
	KindWrongKey     // a keytab key the KDC rejects (stale kvno after a rotation)
	KindKeytab       // the keytab cannot be read or has no key for the principal
	KindLifetimeOver // renewed up to its renew-till: only a new ticket helps
)

// Error is every failure of a KDC exchange. Principal and Realm are filled
// so that messages can name them without the caller threading them along.
type Error struct {
	Kind      Kind
	Principal string
	Realm     string
	KDCs      []string // the KDCs tried, for KindKDCUnreachable
	Code      int32    // the KRB-ERROR code, 0 when the failure was not a KDC reply
	// Account says, for KindClientRevoked, what the KDC said is wrong with
	// the account when it said more than "revoked" (AD's NTSTATUS e-data,
	// MIT's KDC_ERR_NAME_EXP): AccountDisabled, AccountExpired, ...
	Account Account
	// Renewing is set for a refused renewal (TGS), clear for a refused new
	// ticket (AS): only the latter was shaped by -l/-r.
	Renewing bool
	// Said is the KDC's own words for a KRB-ERROR: the code's name and
	// the e-text, escaped.
	Said string
	Err  error
}

func (e *Error) Error() string {
	var b strings.Builder
	switch e.Kind {
	case KindKDCUnreachable:
		if len(e.KDCs) == 0 { // no KDC was known to try: Err says why
			b.WriteString(e.Err.Error())
			break
		}
		fmt.Fprintf(&b, "cannot reach any KDC for realm %s (tried %s)", e.Realm, strings.Join(e.KDCs, ", "))
	default:
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf extracts the failure kind of err, KindOther when it is not a
// classified KDC failure.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindOther
}

// kindFromKRBError maps KDC error codes; the mapping differs for AS and
// TGS exchanges because the same code means "your password" in one and
// "your ticket" in the other.
func kindFromKRBError(code int32, renewing bool) Kind {
	switch code {
	case errorcode.KDC_ERR_PREAUTH_FAILED, errorcode.KRB_AP_ERR_BAD_INTEGRITY:
		if renewing {
			return KindBadReply
		}
		return KindWrongPassword
	case errorcode.KDC_ERR_C_PRINCIPAL_UNKNOWN:
		return KindUnknownPrincipal
	case errorcode.KDC_ERR_KEY_EXPIRED:
		return KindPasswordExpired
	case errorcode.KDC_ERR_CLIENT_REVOKED, errorcode.KDC_ERR_NAME_EXP:
		return KindClientRevoked
	case errorcode.KRB_AP_ERR_SKEW:
		return KindClockSkew
	case errorcode.KRB_AP_ERR_TKT_EXPIRED:
		return KindTicketExpired
	case errorcode.KDC_ERR_BADOPTION:
		if renewing {
			return KindNotRenewable
		}
		return KindPolicy
	case errorcode.KDC_ERR_POLICY:
		return KindPolicy
	}
	return KindOther
}

// krbError classifies a KRB-ERROR reply. Its e-text is whatever the KDC,
// or whoever answers in its place, chose to send: it is escaped and cut
// here, where it becomes part of a message, so that a terminal or a log
// never sees its control characters and a long one does not flood either.
func krbError(e messages.KRBError, principal, realm string, renewing bool) *Error {
	text := errorcode.Lookup(e.ErrorCode)
	if e.EText != "" && !strings.Contains(text, e.EText) {
		text += ": " + escape.Field(e.EText)
	}
	kind, account := kindFromKRBError(e.ErrorCode, renewing), accountFromKRBError(e)
	if account == AccountPasswordExpired {
		kind = KindPasswordExpired
	}
	return &Error{
		Kind:      kind,
		Principal: principal,
		Realm:     realm,
		Code:      e.ErrorCode,
		Account:   account,
		Renewing:  renewing,
		Said:      text,
		Err:       fmt.Errorf("KDC refused the request for %s: %s", principal, text),
	}
}
