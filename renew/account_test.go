package renew

import (
	"encoding/binary"
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
	cred, err := credentialFromReply(types.NewPrincipalName(1, "alice"), "EXAMPLE.ORG", tkt, enc)
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
	cred, err = credentialFromReply(types.NewPrincipalName(1, "alice"), "EXAMPLE.ORG", tkt, enc)
	if err != nil {
		t.Fatal(err)
	}
	if !cred.RenewTill.IsZero() {
		t.Errorf("non-renewable reply got renew-till %v", cred.RenewTill)
	}
}
