package renew

import (
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/krenew/krenew/ccache"
)

// ntStatusValue is KERB_ERR_TYPE_EXTENDED's value: NTSTATUS, reserved,
// flags, little-endian, as AD sends it.
func ntStatusValue(status uint32) []byte {
	v := make([]byte, 12)
	binary.LittleEndian.PutUint32(v, status)
	binary.LittleEndian.PutUint32(v[8:], 1)
	return v
}

// The e-data shapes of a refusal: Windows' KERB-ERROR-DATA and Samba's
// METHOD-DATA, each with the NTSTATUS that says what is wrong.
func TestAccountFromKRBError(t *testing.T) {
	ked, err := asn1.Marshal(kerbErrorData{DataType: kerbErrTypeExtended, DataValue: ntStatusValue(statusAccountDisabled)})
	if err != nil {
		t.Fatal(err)
	}
	md, err := asn1.Marshal(types.PADataSequence{{PADataType: kerbErrTypeExtended, PADataValue: ntStatusValue(statusAccountExpired)}})
	if err != nil {
		t.Fatal(err)
	}
	locked, _ := asn1.Marshal(kerbErrorData{DataType: kerbErrTypeExtended, DataValue: ntStatusValue(statusAccountLockedOut)})
	pwd, _ := asn1.Marshal(kerbErrorData{DataType: kerbErrTypeExtended, DataValue: ntStatusValue(statusPasswordExpired)})
	cases := []struct {
		name     string
		code     int32
		edata    []byte
		wantKind Kind
		want     Account
	}{
		{"MIT revoked", errorcode.KDC_ERR_CLIENT_REVOKED, nil, KindClientRevoked, AccountUnknown},
		{"MIT expired principal", errorcode.KDC_ERR_NAME_EXP, nil, KindClientRevoked, AccountExpired},
		{"key expired", errorcode.KDC_ERR_KEY_EXPIRED, nil, KindPasswordExpired, AccountUnknown},
		{"AD disabled", errorcode.KDC_ERR_CLIENT_REVOKED, ked, KindClientRevoked, AccountDisabled},
		{"Samba expired", errorcode.KDC_ERR_CLIENT_REVOKED, md, KindClientRevoked, AccountExpired},
		{"AD locked out", errorcode.KDC_ERR_CLIENT_REVOKED, locked, KindClientRevoked, AccountLockedOut},
		{"AD password expired", errorcode.KDC_ERR_CLIENT_REVOKED, pwd, KindPasswordExpired, AccountPasswordExpired},
		{"garbage e-data", errorcode.KDC_ERR_CLIENT_REVOKED, []byte{0x30, 0x80, 0xff}, KindClientRevoked, AccountUnknown},
	}
	for _, c := range cases {
		for _, renewing := range []bool{false, true} {
			e := krbError(messages.KRBError{ErrorCode: c.code, EData: c.edata}, "alice@EXAMPLE.ORG", "EXAMPLE.ORG", renewing)
			if e.Kind != c.wantKind || e.Account != c.want || e.Renewing != renewing {
				t.Errorf("%s (renewing=%v): kind %d account %d renewing %v, want kind %d account %d",
					c.name, renewing, e.Kind, e.Account, e.Renewing, c.wantKind, c.want)
			}
			if !AccountRefused(e) || retryable(e) {
				t.Errorf("%s: a refused account must be permanent (refused %v, retryable %v)", c.name, AccountRefused(e), retryable(e))
			}
		}
	}
}

// Heimdal and Samba AD omit the OPTIONAL renew-till from the last
// renewal and keep the RENEWABLE flag: the ticket is renewable to its end,
// never until year 1, and the engine plans no renewal of it.
func TestCredentialFromReplyWithoutRenewTill(t *testing.T) {
	end := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	enc := messages.EncKDCRepPart{
		Key:       types.EncryptionKey{KeyType: 18, KeyValue: make([]byte, 32)},
		AuthTime:  end.Add(-10 * time.Hour),
		StartTime: end.Add(-time.Hour),
		EndTime:   end,
		SName:     types.NewPrincipalName(2, "krbtgt/EXAMPLE.ORG"),
		SRealm:    "EXAMPLE.ORG",
	}
	types.SetFlag(&enc.Flags, flags.Renewable)
	tkt := messages.Ticket{TktVNO: 5, Realm: "EXAMPLE.ORG", SName: enc.SName,
		EncPart: types.EncryptedData{EType: 18, Cipher: []byte{1}}}
	cred, err := credentialFromReply(types.NewPrincipalName(1, "alice"), "EXAMPLE.ORG", tkt, enc, false)
	if err != nil {
		t.Fatal(err)
	}
	if !cred.RenewTill.Equal(end) || cred.Flags&ccache.FlagRenewable == 0 {
		t.Fatalf("renew-till %v flags %#x, want %v with RENEWABLE", cred.RenewTill, cred.Flags, end)
	}
	if _, ok := (Policy{}).NextRenewal(cred); ok {
		t.Error("a renewal was planned for a ticket renewable only to its end")
	}
	if stamp(time.Time{}) != "never" {
		t.Errorf("stamp of the zero time is %q", stamp(time.Time{}))
	}

	// Without the flag, no renew-till stays none.
	enc.Flags = asn1.BitString{}
	types.SetFlag(&enc.Flags, flags.Forwardable)
	cred, err = credentialFromReply(types.NewPrincipalName(1, "alice"), "EXAMPLE.ORG", tkt, enc, false)
	if err != nil {
		t.Fatal(err)
	}
	if !cred.RenewTill.IsZero() {
		t.Errorf("non-renewable reply got renew-till %v", cred.RenewTill)
	}
}

// Heimdal's only answer for a disabled or locked principal is
// KDC_ERR_POLICY, for new tickets and renewals: permanent, as the other
// refusals of the account are, and not the option refusal (BADOPTION)
// that krenew also calls KindPolicy.
func TestPolicyRefusalIsPermanent(t *testing.T) {
	for _, renewing := range []bool{false, true} {
		e := krbError(messages.KRBError{ErrorCode: errorcode.KDC_ERR_POLICY}, "alice@EXAMPLE.ORG", "EXAMPLE.ORG", renewing)
		if e.Kind != KindPolicy || !PolicyRefused(e) || !AccountRefused(e) || retryable(e) {
			t.Errorf("KDC_ERR_POLICY (renewing=%v): kind %d, policy %v, refused %v, retryable %v", renewing, e.Kind, PolicyRefused(e), AccountRefused(e), retryable(e))
		}
		if !strings.Contains(e.Said, "KDC_ERR_POLICY") {
			t.Errorf("Said = %q, want the KDC's code name", e.Said)
		}
	}
	opt := krbError(messages.KRBError{ErrorCode: errorcode.KDC_ERR_BADOPTION}, "alice@EXAMPLE.ORG", "EXAMPLE.ORG", false)
	if opt.Kind != KindPolicy || PolicyRefused(opt) || AccountRefused(opt) {
		t.Errorf("KDC_ERR_BADOPTION for a new ticket: kind %d, policy %v, refused %v", opt.Kind, PolicyRefused(opt), AccountRefused(opt))
	}
}

// A renewed ticket that no renewal can extend, MIT's (RENEWABLE, renew-till
// at its end) or Heimdal's (neither), has used up its renewable lifetime;
// one the AS exchange issued so is not renewable, which is another fix.
func TestRenewableLifetimeOver(t *testing.T) {
	now := t0.Add(time.Hour)
	renewed := newTGT(t0, 2*time.Hour, 2*time.Hour)
	renewed.StartTime = t0.Add(30 * time.Minute)
	heimdal := renewed
	heimdal.Flags &^= ccache.FlagRenewable
	issued := newTGT(t0, 2*time.Hour, 2*time.Hour)
	notRenewable := issued
	notRenewable.Flags &^= ccache.FlagRenewable
	for _, c := range []struct {
		name string
		tgt  ccache.Credential
		want Kind
	}{
		{"MIT's last renewal", renewed, KindLifetimeOver},
		{"Heimdal's last renewal", heimdal, KindLifetimeOver},
		{"issued renewable only to its end", issued, KindNotRenewable},
		{"issued not renewable", notRenewable, KindNotRenewable},
		{"renewable", newTGT(t0, 2*time.Hour, 10*time.Hour), KindOther},
	} {
		err := Renewable(c.tgt, now)
		if KindOf(err) != c.want || (c.want == KindOther) != (err == nil) {
			t.Errorf("%s: %v (kind %d), want kind %d", c.name, err, KindOf(err), c.want)
		}
		if c.want == KindLifetimeOver && retryable(err) {
			t.Errorf("%s: retryable", c.name)
		}
	}
}
