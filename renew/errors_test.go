package renew

import (
	"strings"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/krenew/krenew/renew/krb5conf"
)

// The same code means "your password" in an AS exchange and "your
// ticket" in a renewal; the kinds must say which.
func TestKindFromKRBError(t *testing.T) {
	cases := []struct {
		code     int32
		renewing bool
		want     Kind
	}{
		{errorcode.KDC_ERR_PREAUTH_FAILED, false, KindWrongPassword},
		{errorcode.KRB_AP_ERR_BAD_INTEGRITY, false, KindWrongPassword},
		{errorcode.KRB_AP_ERR_BAD_INTEGRITY, true, KindBadReply},
		{errorcode.KDC_ERR_C_PRINCIPAL_UNKNOWN, false, KindUnknownPrincipal},
		{errorcode.KDC_ERR_KEY_EXPIRED, false, KindPasswordExpired},
		{errorcode.KDC_ERR_CLIENT_REVOKED, false, KindClientRevoked},
		{errorcode.KRB_AP_ERR_SKEW, false, KindClockSkew},
		{errorcode.KRB_AP_ERR_SKEW, true, KindClockSkew},
		{errorcode.KRB_AP_ERR_TKT_EXPIRED, true, KindTicketExpired},
		{errorcode.KDC_ERR_BADOPTION, true, KindNotRenewable},
		{errorcode.KDC_ERR_BADOPTION, false, KindPolicy},
		{errorcode.KDC_ERR_POLICY, false, KindPolicy},
		{errorcode.KDC_ERR_ETYPE_NOSUPP, false, KindOther},
	}
	for _, c := range cases {
		if got := kindFromKRBError(c.code, c.renewing); got != c.want {
			t.Errorf("code %d renewing=%v: kind %d, want %d", c.code, c.renewing, got, c.want)
		}
	}
	e := krbError(messages.KRBError{ErrorCode: errorcode.KDC_ERR_POLICY, EText: "too long"}, "alice@R", "R", false)
	if e.Kind != KindPolicy || e.Principal != "alice@R" || e.Code != errorcode.KDC_ERR_POLICY {
		t.Errorf("krbError: %+v", e)
	}
}

// A reply whose authtime is far from the local clock is a clock-skew
// failure, not a success: the real KDC cannot be made to lie, so this is
// checked on a crafted reply.
func TestVerifyASDetectsClockSkew(t *testing.T) {
	c := &Client{Conf: &krb5conf.Conf{}}
	p, _ := ParsePrincipal("alice@R", "R")
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	req, err := c.newASReq(InitialRequest{Principal: p, Lifetime: time.Hour, Renewable: 2 * time.Hour}, now, passwordEtypes)
	if err != nil {
		t.Fatal(err)
	}
	rep := messages.ASRep{KDCRepFields: messages.KDCRepFields{CName: req.ReqBody.CName, CRealm: "R"}}
	enc := messages.EncKDCRepPart{Nonce: req.ReqBody.Nonce, SName: req.ReqBody.SName, SRealm: "R"}
	for _, tc := range []struct {
		skew time.Duration
		want Kind
	}{{0, -1}, {4 * time.Minute, -1}, {6 * time.Minute, KindClockSkew}, {-6 * time.Minute, KindClockSkew}} {
		enc.AuthTime = now.Add(tc.skew)
		err := c.verifyAS(req, rep, enc, now)
		switch {
		case tc.want == -1 && err != nil:
			t.Errorf("skew %s: %v", tc.skew, err)
		case tc.want != -1 && (err == nil || err.Kind != tc.want):
			t.Errorf("skew %s: %v, want kind %d", tc.skew, err, tc.want)
		}
	}
	enc.AuthTime = now
	enc.Nonce++
	if err := c.verifyAS(req, rep, enc, now); err == nil || err.Kind != KindBadReply {
		t.Errorf("wrong nonce accepted: %v", err)
	}
	enc.Nonce--
	enc.SName = types.PrincipalName{NameType: 2, NameString: []string{"host", "evil"}}
	if err := c.verifyAS(req, rep, enc, now); err == nil || err.Kind != KindBadReply {
		t.Errorf("reply for another service accepted: %v", err)
	}
}

// A KDC's e-text is the KDC's to write, or whoever answers in its place:
// it reaches the message escaped and cut, whatever it holds.
func TestKRBErrorETextEscaped(t *testing.T) {
	for _, tc := range []struct{ etext, want string }{
		{"too long", "KDC policy rejects request: too long"},
		{"\x1b[2J\rkrenew: renewing alice@R until never\a", `\x1b[2J\rkrenew: renewing alice@R until never\a`},
		{"line\nkrenew: forged", `line\nkrenew: forged`},
	} {
		e := krbError(messages.KRBError{ErrorCode: errorcode.KDC_ERR_POLICY, EText: tc.etext}, "alice@R", "R", false)
		if got := e.Error(); !strings.Contains(got, tc.want) {
			t.Errorf("e-text %q: %q, want it to contain %q", tc.etext, got, tc.want)
		}
	}
	e := krbError(messages.KRBError{ErrorCode: errorcode.KDC_ERR_POLICY, EText: strings.Repeat("A", 15547)}, "alice@R", "R", false)
	if n := len(e.Error()); n > 400 || !strings.Contains(e.Error(), "bytes cut]") {
		t.Errorf("an e-text of 15547 characters made a message of %d: %.100q", n, e.Error())
	}
}
