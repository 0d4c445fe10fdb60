package renew

import (
	"encoding/binary"
	"errors"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// Account is what a KDC said is wrong with an account it refused: one
// KRB-ERROR code (KDC_ERR_CLIENT_REVOKED) covers disabled, locked out and
// expired accounts, and only Active Directory's e-data tells them apart.
type Account int

const (
	AccountUnknown Account = iota
	AccountDisabled
	AccountLockedOut
	AccountExpired
	AccountPasswordExpired
	AccountRestricted // logon hours or workstation restrictions
)

// NTSTATUS values AD (and Samba AD) put in the e-data of a refusal.
const (
	statusAccountRestriction  = 0xC000006E
	statusInvalidLogonHours   = 0xC000006F
	statusInvalidWorkstation  = 0xC0000070
	statusPasswordExpired     = 0xC0000071
	statusAccountDisabled     = 0xC0000072
	statusAccountExpired      = 0xC0000193
	statusPasswordMustChange  = 0xC0000224
	statusAccountLockedOut    = 0xC0000234
	kerbErrTypeExtended       = 3 // KERB_ERR_TYPE_EXTENDED: NTSTATUS, reserved, flags
	kerbErrTypeExtendedMinLen = 4
)

// kerbErrorData is MS-KILE's KERB-ERROR-DATA, AD's e-data shape.
type kerbErrorData struct {
	DataType  int32  `asn1:"explicit,tag:1"`
	DataValue []byte `asn1:"optional,explicit,tag:2"`
}

func accountFromKRBError(e messages.KRBError) Account {
	if e.ErrorCode == errorcode.KDC_ERR_NAME_EXP {
		return AccountExpired
	}
	if e.ErrorCode != errorcode.KDC_ERR_CLIENT_REVOKED && e.ErrorCode != errorcode.KDC_ERR_KEY_EXPIRED {
		return AccountUnknown
	}
	status, ok := ntStatus(e.EData)
	if !ok {
		return AccountUnknown
	}
	switch status {
	case statusAccountDisabled:
		return AccountDisabled
	case statusAccountLockedOut:
		return AccountLockedOut
	case statusAccountExpired:
		return AccountExpired
	case statusPasswordExpired, statusPasswordMustChange:
		return AccountPasswordExpired
	case statusAccountRestriction, statusInvalidLogonHours, statusInvalidWorkstation:
		return AccountRestricted
	}
	return AccountUnknown
}

// ntStatus finds the NTSTATUS in a refusal's e-data: a KERB-ERROR-DATA
// (Windows) or a METHOD-DATA whose PA-DATA of type 3 carries it (Samba).
func ntStatus(edata []byte) (uint32, bool) {
	if len(edata) == 0 {
		return 0, false
	}
	var ked kerbErrorData
	if _, err := asn1.Unmarshal(edata, &ked); err == nil && ked.DataType == kerbErrTypeExtended && len(ked.DataValue) >= kerbErrTypeExtendedMinLen {
		return binary.LittleEndian.Uint32(ked.DataValue), true
	}
	var pas types.PADataSequence
	if err := pas.Unmarshal(edata); err == nil {
		for _, pa := range pas {
			if pa.PADataType == kerbErrTypeExtended && len(pa.PADataValue) >= kerbErrTypeExtendedMinLen {
				return binary.LittleEndian.Uint32(pa.PADataValue), true
			}
		}
	}
	return 0, false
}

// AccountRefused reports a KDC that refuses the account itself (disabled,
// locked out, expired, its password expired): no retry and no keytab can
// get a ticket until an administrator or the user acts.
//
// KDC_ERR_POLICY counts: it is all Heimdal says of a disabled or locked
// principal (its "invalid" and "locked-out" attributes) and of one that
// may not act as a client, with no e-text, for new tickets and renewals
// alike; MIT and AD say it when a policy refuses this client. Asking
// again gets the same answer, and a daemon that retried one for a
// disabled account would retry until its ticket ran out.
func AccountRefused(err error) bool {
	switch KindOf(err) {
	case KindClientRevoked, KindPasswordExpired:
		return true
	case KindPolicy:
		return PolicyRefused(err)
	}
	return false
}

// PolicyRefused reports a KRB-ERROR KDC_ERR_POLICY, as opposed to the
// other refusals of a new ticket that krenew calls KindPolicy (an option
// the KDC does not grant).
func PolicyRefused(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == errorcode.KDC_ERR_POLICY
}
