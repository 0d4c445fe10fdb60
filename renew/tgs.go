package renew

import (
	"context"
	"fmt"
	"time"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/iana/msgtype"
	"github.com/jcmturner/gokrb5/v8/iana/patype"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/krenew/krenew/ccache"
)

// kdcTktCommonMask is MIT's KDC_TKT_COMMON_MASK: the ticket flags kinit -R
// asks for again, so a renewed ticket keeps being forwardable etc.
const kdcTktCommonMask = 0x54800000

// Renewable reports whether the KDC could still extend tgt at now: it must
// carry the RENEWABLE flag, not have expired, and have a renew-till beyond
// its end time (MIT issues renew-till == end for maxrenewlife 0).
func Renewable(tgt ccache.Credential, now time.Time) error {
	switch {
	case tgt.Flags&ccache.FlagRenewable == 0 && !NeverRenewed(tgt):
		// Heimdal's and AD's last renewal: it lost the flag on reaching
		// renew-till, it was renewable.
		return lifetimeOver(tgt)
	case tgt.Flags&ccache.FlagRenewable == 0:
		return &Error{Kind: KindNotRenewable, Principal: tgt.Client.String(), Realm: tgt.Client.Realm,
			Err: fmt.Errorf("the ticket of %s is not renewable", tgt.Client)}
	case !tgt.EndTime.After(now):
		return &Error{Kind: KindTicketExpired, Principal: tgt.Client.String(), Realm: tgt.Client.Realm,
			Err: fmt.Errorf("the ticket of %s expired at %s", tgt.Client, stamp(tgt.EndTime))}
	case !tgt.RenewTill.After(tgt.EndTime) && !NeverRenewed(tgt):
		return lifetimeOver(tgt)
	case !tgt.RenewTill.After(tgt.EndTime):
		return &Error{Kind: KindNotRenewable, Principal: tgt.Client.String(), Realm: tgt.Client.Realm,
			Err: fmt.Errorf("the ticket of %s cannot be renewed beyond its end time", tgt.Client)}
	}
	return nil
}

// lifetimeOver is a renewed ticket that no renewal can extend: its
// renewable lifetime is used up, and only a new ticket helps.
func lifetimeOver(tgt ccache.Credential) *Error {
	return &Error{Kind: KindLifetimeOver, Principal: tgt.Client.String(), Realm: tgt.Client.Realm,
		Err: fmt.Errorf("the renewable lifetime of the ticket of %s is used up; it expires at %s", tgt.Client, stamp(tgt.EndTime))}
}

// RenewableOnlyToEnd reports a ticket the KDC marked renewable whose
// renew-till is at or before its end, though after its start: realms whose
// max_renewable_life is not longer than max_life issue these (MIT's own
// t_renew realm is 20h/20h). It is renewable in name, but no renewal can
// extend it, which is not the same as a ticket without the RENEWABLE flag
// or one whose principal may not renew at all (renew-till at its start).
func RenewableOnlyToEnd(tgt ccache.Credential) bool {
	start := tgt.StartTime
	if start.IsZero() {
		start = tgt.AuthTime
	}
	return tgt.Flags&ccache.FlagRenewable != 0 && tgt.RenewTill.After(start) && !tgt.RenewTill.After(tgt.EndTime)
}

// NeverRenewed reports whether tgt is the ticket the AS exchange issued,
// not a renewal of it: a renewal starts after the authentication.
func NeverRenewed(tgt ccache.Credential) bool {
	return tgt.StartTime.IsZero() || !tgt.StartTime.After(tgt.AuthTime)
}

// Renew runs the TGS exchange with the RENEW option for tgt, as kinit -R
// does, and returns the new TGT. The reply is checked to name the same
// client and krbtgt/REALM and to have times that extend, never exceed,
// what the old ticket allowed.
func (c *Client) Renew(ctx context.Context, tgt ccache.Credential) (ccache.Credential, error) {
	now := time.Now().UTC().Truncate(time.Second)
	if err := Renewable(tgt, now); err != nil {
		return ccache.Credential{}, err
	}
	return c.renew(ctx, tgt, now)
}

// RenewAsKinit is kinit -R: the KDC, not krenew, decides whether a ticket
// that gains nothing (renew-till at its end) or that expired less than the
// clock skew ago can be renewed, since MIT's KDC accepts both. Only what no
// KDC would renew is refused here: a ticket without the RENEWABLE flag, or
// one expired for longer than the skew.
func (c *Client) RenewAsKinit(ctx context.Context, tgt ccache.Credential) (ccache.Credential, error) {
	now := time.Now().UTC().Truncate(time.Second)
	if tgt.Flags&ccache.FlagRenewable == 0 || !tgt.EndTime.Add(c.Conf.ClockSkew()).After(now) {
		if err := Renewable(tgt, now); err != nil {
			return ccache.Credential{}, err
		}
	}
	return c.renew(ctx, tgt, now)
}

func (c *Client) renew(ctx context.Context, tgt ccache.Credential, now time.Time) (ccache.Credential, error) {
	name := tgt.Client.String()
	realm := tgt.Server.Realm
	if !tgt.Server.IsTGTFor(realm) {
		return ccache.Credential{}, &Error{Kind: KindOther, Principal: name, Realm: realm,
			Err: fmt.Errorf("%s is not a ticket-granting ticket", tgt.Server)}
	}
	t, err := c.transportFor(name, realm)
	if err != nil {
		return ccache.Credential{}, err
	}
	var tkt messages.Ticket
	if err := tkt.Unmarshal(tgt.Ticket); err != nil {
		return ccache.Credential{}, &Error{Kind: KindOther, Principal: name, Realm: realm,
			Err: fmt.Errorf("the ticket of %s in the cache is corrupt: %w", name, err)}
	}
	sessionKey := types.EncryptionKey{KeyType: tgt.Key.EType, KeyValue: tgt.Key.Value}
	req, err := newRenewReq(tgt, tkt, sessionKey)
	if err != nil {
		return ccache.Credential{}, &Error{Kind: KindOther, Principal: name, Realm: realm, Err: err}
	}
	b, err := req.Marshal()
	if err != nil {
		return ccache.Credential{}, &Error{Kind: KindOther, Principal: name, Realm: realm, Err: err}
	}
	reply, err := c.send(ctx, t, name, realm, b)
	if err != nil {
		return ccache.Credential{}, err
	}
	if kerr, ok := asKRBError(reply); ok {
		return ccache.Credential{}, krbError(kerr, name, realm, true)
	}
	var rep messages.TGSRep
	if err := rep.Unmarshal(reply); err != nil {
		return ccache.Credential{}, &Error{Kind: KindBadReply, Principal: name, Realm: realm,
			Err: fmt.Errorf("cannot decode the KDC's renewal reply for %s: %w", name, err)}
	}
	if err := rep.DecryptEncPart(sessionKey); err != nil {
		return ccache.Credential{}, &Error{Kind: KindBadReply, Principal: name, Realm: realm,
			Err: fmt.Errorf("cannot decrypt the KDC's renewal reply for %s: %w", name, err)}
	}
	enc := rep.DecryptedEncPart
	switch {
	case enc.Nonce != req.ReqBody.Nonce:
		return ccache.Credential{}, &Error{Kind: KindBadReply, Principal: name, Realm: realm,
			Err: fmt.Errorf("the KDC's renewal reply for %s does not match the request (nonce)", name)}
	case !fromPrincipalName(rep.CName, rep.CRealm).Equal(tgt.Client):
		return ccache.Credential{}, &Error{Kind: KindBadReply, Principal: name, Realm: realm,
			Err: fmt.Errorf("the KDC's renewal reply names another client than %s", name)}
	case !fromPrincipalName(enc.SName, enc.SRealm).IsTGTFor(realm):
		return ccache.Credential{}, &Error{Kind: KindBadReply, Principal: name, Realm: realm,
			Err: fmt.Errorf("the KDC's renewal reply for %s is not for krbtgt/%s", name, realm)}
	}
	cred, err := credentialFromReply(rep.CName, rep.CRealm, rep.Ticket, enc, true)
	if err != nil {
		return ccache.Credential{}, &Error{Kind: KindBadReply, Principal: name, Realm: realm, Err: err}
	}
	if err := checkTimes(cred, now, c.Conf.ClockSkew()); err != nil {
		return ccache.Credential{}, &Error{Kind: KindBadReply, Principal: name, Realm: realm, Err: err}
	}
	if cred.RenewTill.After(tgt.RenewTill.Add(c.Conf.ClockSkew())) || cred.EndTime.After(tgt.RenewTill.Add(c.Conf.ClockSkew())) {
		return ccache.Credential{}, &Error{Kind: KindBadReply, Principal: name, Realm: realm,
			Err: fmt.Errorf("the KDC's renewal reply for %s extends the ticket beyond its renewable lifetime", name)}
	}
	// Keep the original client principal as written (name type included),
	// so the cache's default principal still matches it byte for byte.
	cred.Client = tgt.Client
	return cred, nil
}

func newRenewReq(tgt ccache.Credential, tkt messages.Ticket, sessionKey types.EncryptionKey) (messages.TGSReq, error) {
	nonce, err := newNonce()
	if err != nil {
		return messages.TGSReq{}, err
	}
	opts := uint32ToFlags(tgt.Flags & kdcTktCommonMask)
	types.SetFlag(&opts, flags.Renew)
	types.SetFlag(&opts, flags.Renewable)
	etypes := []int32{sessionKey.KeyType}
	for _, e := range passwordEtypes {
		if e != sessionKey.KeyType {
			etypes = append(etypes, e)
		}
	}
	req := messages.TGSReq{KDCReqFields: messages.KDCReqFields{
		PVNO:    iana.PVNO,
		MsgType: msgtype.KRB_TGS_REQ,
		ReqBody: messages.KDCReqBody{
			KDCOptions: opts,
			CName:      toPrincipalName(tgt.Client),
			Realm:      tgt.Server.Realm,
			SName:      toPrincipalName(tgt.Server),
			// A renewal's end is decided by the KDC from the old ticket; the
			// request only has to allow it.
			Till:  tgt.RenewTill.UTC(),
			RTime: tgt.RenewTill.UTC(),
			Nonce: nonce,
			EType: etypes,
		},
		Renewal: true,
	}}
	if err := addTGSAuthenticator(&req, tkt, sessionKey); err != nil {
		return messages.TGSReq{}, err
	}
	return req, nil
}

// addTGSAuthenticator is gokrb5's unexported TGSReq.setPAData: the AP-REQ
// must checksum the final request body, so it can only be added after
// krenew has set its own times and options.
func addTGSAuthenticator(req *messages.TGSReq, tkt messages.Ticket, sessionKey types.EncryptionKey) error {
	body, err := req.ReqBody.Marshal()
	if err != nil {
		return err
	}
	et, err := crypto.GetEtype(sessionKey.KeyType)
	if err != nil {
		return err
	}
	sum, err := et.GetChecksumHash(sessionKey.KeyValue, body, keyusage.TGS_REQ_PA_TGS_REQ_AP_REQ_AUTHENTICATOR_CHKSUM)
	if err != nil {
		return err
	}
	auth, err := types.NewAuthenticator(tkt.Realm, req.ReqBody.CName)
	if err != nil {
		return err
	}
	auth.Cksum = types.Checksum{CksumType: et.GetHashID(), Checksum: sum}
	ap, err := messages.NewAPReq(tkt, sessionKey, auth)
	if err != nil {
		return err
	}
	apb, err := ap.Marshal()
	if err != nil {
		return err
	}
	req.PAData = types.PADataSequence{{PADataType: patype.PA_TGS_REQ, PADataValue: apb}}
	return nil
}
