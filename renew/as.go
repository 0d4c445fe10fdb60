package renew

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jcmturner/gokrb5/v8/iana"
	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/iana/msgtype"
	"github.com/jcmturner/gokrb5/v8/iana/patype"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/krenew/krenew/ccache"
	"github.com/krenew/krenew/internal/escape"
)

// InitialRequest is what krenew asks the KDC for when it needs a new TGT.
type InitialRequest struct {
	Principal ccache.Principal
	Lifetime  time.Duration // requested end = now + Lifetime
	Renewable time.Duration // requested renew-till = now + Renewable
}

// Initial runs the AS exchange with the password. The password slice is
// only read; the caller owns it and zeroes it. Every key derived from it is
// zeroed before Initial returns.
func (c *Client) Initial(ctx context.Context, r InitialRequest, password []byte) (ccache.Credential, error) {
	return c.initial(ctx, r, passwordSecret{password: password, etypes: c.requestEtypes()})
}

// secret is what proves the client's identity in the AS exchange: a
// password (keys derived per the KDC's salt) or a keytab (keys stored).
type secret interface {
	// offer lists the enctypes to request, in order of preference.
	offer() []int32
	// key returns the long-term key for etype, and its kvno.
	key(etype int32, salt string, s2kparams []byte) (types.EncryptionKey, int, error)
	// rejected is the failure for a key the KDC did not accept.
	rejected(name, realm string, kvno int, cause error) *Error
}

type passwordSecret struct {
	password []byte
	etypes   []int32
}

func (p passwordSecret) offer() []int32 { return p.etypes }

func (p passwordSecret) key(etype int32, salt string, s2kparams []byte) (types.EncryptionKey, int, error) {
	k, err := stringToKey(p.password, etype, []byte(salt), s2kparams)
	return k, 0, err
}

func (p passwordSecret) rejected(name, realm string, _ int, cause error) *Error {
	return &Error{Kind: KindWrongPassword, Principal: name, Realm: realm, Err: cause}
}

func (c *Client) initial(ctx context.Context, r InitialRequest, sec secret) (ccache.Credential, error) {
	return c.initialFrom(ctx, r, sec, nil)
}

// initialFrom is the AS exchange. first, when set, is its first round,
// sent by CheckPrincipal before the prompt: the exchange goes on from the
// KDC's answer to it, as kinit's does.
func (c *Client) initialFrom(ctx context.Context, r InitialRequest, sec secret, first *Probe) (ccache.Credential, error) {
	name := r.Principal.String()
	realm := r.Principal.Realm
	t, err := c.transportFor(name, realm)
	if err != nil {
		return ccache.Credential{}, err
	}
	var req messages.ASReq
	var reply []byte
	var now time.Time
	if first != nil {
		req, reply, now = first.req, first.reply, first.sent
	} else {
		now = time.Now().UTC().Truncate(time.Second)
		req, err = c.newASReq(r, now, sec.offer())
		if err != nil {
			return ccache.Credential{}, &Error{Kind: KindOther, Principal: name, Realm: realm, Err: err}
		}
		reply, err = c.sendAS(ctx, t, name, realm, req)
		if err != nil {
			return ccache.Credential{}, err
		}
	}
	var key types.EncryptionKey
	kvno := 0
	defer func() { clear(key.KeyValue) }()
	if kerr, ok := asKRBError(reply); ok {
		if kerr.ErrorCode != errorcode.KDC_ERR_PREAUTH_REQUIRED {
			return ccache.Credential{}, krbError(kerr, name, realm, false)
		}
		// The KDC wants proof of the secret: encrypt a timestamp with the
		// key for the enctype and salt it announced.
		info, err := preferredEtypeInfo(kerr.EData, r.Principal, sec.offer())
		if err != nil {
			return ccache.Credential{}, &Error{Kind: KindOther, Principal: name, Realm: realm, Err: err}
		}
		key, kvno, err = sec.key(info.EType, info.Salt, info.S2KParams)
		if err != nil {
			return ccache.Credential{}, &Error{Kind: KindOther, Principal: name, Realm: realm, Err: err}
		}
		if err := addEncTimestamp(&req, key); err != nil {
			return ccache.Credential{}, &Error{Kind: KindOther, Principal: name, Realm: realm, Err: err}
		}
		// The KDC's authtime is this request's, which after a probe comes
		// as late as the user typed the password: the skew is judged
		// against it, not against the probe.
		now = time.Now().UTC().Truncate(time.Second)
		reply, err = c.sendAS(ctx, t, name, realm, req)
		if err != nil {
			return ccache.Credential{}, err
		}
		if kerr, ok := asKRBError(reply); ok {
			e := krbError(kerr, name, realm, false)
			if e.Kind == KindWrongPassword {
				e = sec.rejected(name, realm, kvno, e.Err)
			}
			return ccache.Credential{}, e
		}
	}

	var rep messages.ASRep
	if err := rep.Unmarshal(reply); err != nil {
		return ccache.Credential{}, &Error{Kind: KindBadReply, Principal: name, Realm: realm,
			Err: fmt.Errorf("cannot decode the KDC's reply for %s: %w", name, err)}
	}
	if key.KeyValue == nil || key.KeyType != rep.EncPart.EType {
		// No pre-authentication was needed (or the KDC chose another
		// enctype): the reply itself says how to derive the key.
		clear(key.KeyValue)
		info := etypeInfoFromReply(rep.PAData, rep.EncPart.EType, r.Principal)
		key, kvno, err = sec.key(rep.EncPart.EType, info.Salt, info.S2KParams)
		if err != nil {
			return ccache.Credential{}, &Error{Kind: KindOther, Principal: name, Realm: realm, Err: err}
		}
	}
	plain, err := decryptWiping(rep.EncPart, key, keyusage.AS_REP_ENCPART)
	if err != nil {
		// Without pre-authentication a wrong key shows up only here.
		return ccache.Credential{}, sec.rejected(name, realm, kvno, fmt.Errorf("cannot decrypt the KDC's reply for %s: %w", name, err))
	}
	// The decoded reply aliases plain (asn1 BitStrings are not copied), so
	// plain is wiped only once the credential has been built from it.
	defer clear(plain)
	var enc messages.EncKDCRepPart
	if err := enc.Unmarshal(plain); err != nil {
		return ccache.Credential{}, &Error{Kind: KindBadReply, Principal: name, Realm: realm,
			Err: fmt.Errorf("cannot decode the KDC's reply for %s: %w", name, err)}
	}
	if err := c.verifyAS(req, rep, enc, now); err != nil {
		err.Principal, err.Realm = name, realm
		return ccache.Credential{}, err
	}
	cred, err := credentialFromReply(rep.CName, rep.CRealm, rep.Ticket, enc, false)
	clear(enc.Key.KeyValue)
	if err != nil {
		return ccache.Credential{}, &Error{Kind: KindBadReply, Principal: name, Realm: realm, Err: err}
	}
	return cred, nil
}

func (c *Client) newASReq(r InitialRequest, now time.Time, etypes []int32) (messages.ASReq, error) {
	nonce, err := newNonce()
	if err != nil {
		return messages.ASReq{}, err
	}
	opts := types.NewKrbFlags()
	types.SetFlag(&opts, flags.Renewable)
	// MIT reads these from the realm's subsection of [libdefaults] first.
	if v, _ := c.Conf.LibdefaultBool(r.Principal.Realm, "forwardable"); v {
		types.SetFlag(&opts, flags.Forwardable)
	}
	if v, _ := c.Conf.LibdefaultBool(r.Principal.Realm, "proxiable"); v {
		types.SetFlag(&opts, flags.Proxiable)
	}
	return messages.ASReq{KDCReqFields: messages.KDCReqFields{
		PVNO:    iana.PVNO,
		MsgType: msgtype.KRB_AS_REQ,
		PAData:  types.PADataSequence{},
		ReqBody: messages.KDCReqBody{
			KDCOptions: opts,
			CName:      toPrincipalName(r.Principal),
			Realm:      r.Principal.Realm,
			SName:      toPrincipalName(tgsPrincipal(r.Principal.Realm)),
			// The whole point of building the AS-REQ here: gokrb5 would
			// send a 48h renew-till whatever the user asked for.
			Till:  now.Add(r.Lifetime),
			RTime: now.Add(r.Renewable),
			Nonce: nonce,
			EType: etypes,
		},
	}}, nil
}

// requestEtypes keeps the krb5.conf preference order but only lists
// enctypes whose key krenew can derive from a password.
func (c *Client) requestEtypes() []int32 {
	var out []int32
	for _, id := range c.Conf.DefaultTktEnctypes() {
		if passwordEtypeSupported(id) {
			out = append(out, id)
		}
	}
	if len(out) == 0 {
		out = append(out, passwordEtypes...)
	}
	return out
}

func (c *Client) sendAS(ctx context.Context, t transport, name, realm string, req messages.ASReq) ([]byte, error) {
	b, err := req.Marshal()
	if err != nil {
		return nil, &Error{Kind: KindOther, Principal: name, Realm: realm, Err: err}
	}
	return c.send(ctx, t, name, realm, b)
}

func addEncTimestamp(req *messages.ASReq, key types.EncryptionKey) error {
	ts, err := types.GetPAEncTSEncAsnMarshalled()
	if err != nil {
		return err
	}
	ed, err := encryptWiping(ts, key, keyusage.AS_REQ_PA_ENC_TIMESTAMP, 0)
	if err != nil {
		return err
	}
	b, err := ed.Marshal()
	if err != nil {
		return err
	}
	req.PAData = append(req.PAData, types.PAData{PADataType: patype.PA_ENC_TIMESTAMP, PADataValue: b})
	return nil
}

// preferredEtypeInfo picks the first ETYPE-INFO2 entry krenew can use
// (one of usable); the KDC lists them in its order of preference.
func preferredEtypeInfo(edata []byte, p ccache.Principal, usable []int32) (types.ETypeInfo2Entry, error) {
	var pas types.PADataSequence
	if err := pas.Unmarshal(edata); err != nil {
		return types.ETypeInfo2Entry{}, fmt.Errorf("cannot decode the KDC's pre-authentication hints: %w", err)
	}
	var offered []int32
	for _, pa := range pas {
		if pa.PADataType != patype.PA_ETYPE_INFO2 {
			continue
		}
		infos, err := pa.GetETypeInfo2()
		if err != nil {
			return types.ETypeInfo2Entry{}, fmt.Errorf("cannot decode the KDC's ETYPE-INFO2: %w", err)
		}
		for _, info := range infos {
			offered = append(offered, info.EType)
			if slices.Contains(usable, info.EType) {
				if info.Salt == "" {
					info.Salt = defaultSalt(p)
				}
				return info, nil
			}
		}
	}
	if len(offered) == 0 {
		return types.ETypeInfo2Entry{}, fmt.Errorf("the KDC asked for pre-authentication krenew cannot do (no ETYPE-INFO2)")
	}
	// The list is the KDC's to make as long as it likes.
	return types.ETypeInfo2Entry{}, fmt.Errorf("the KDC offers only encryption types %s for this principal, none of which krenew supports",
		escape.Field(fmt.Sprint(offered)))
}

func etypeInfoFromReply(pas types.PADataSequence, etype int32, p ccache.Principal) types.ETypeInfo2Entry {
	for _, pa := range pas {
		if pa.PADataType != patype.PA_ETYPE_INFO2 {
			continue
		}
		if infos, err := pa.GetETypeInfo2(); err == nil {
			for _, info := range infos {
				if info.EType == etype {
					if info.Salt == "" {
						info.Salt = defaultSalt(p)
					}
					return info
				}
			}
		}
	}
	return types.ETypeInfo2Entry{EType: etype, Salt: defaultSalt(p)}
}

// defaultSalt is RFC 4120's: the realm followed by the name components.
func defaultSalt(p ccache.Principal) string {
	return p.Realm + strings.Join(p.Components, "")
}

func (c *Client) verifyAS(req messages.ASReq, rep messages.ASRep, enc messages.EncKDCRepPart, now time.Time) *Error {
	switch {
	case enc.Nonce != req.ReqBody.Nonce:
		return &Error{Kind: KindBadReply, Err: fmt.Errorf("the KDC's reply does not match the request (nonce)")}
	case !rep.CName.Equal(req.ReqBody.CName) || rep.CRealm != req.ReqBody.Realm:
		return &Error{Kind: KindBadReply, Err: fmt.Errorf("the KDC's reply names another client (%s@%s)",
			strings.Join(rep.CName.NameString, "/"), rep.CRealm)}
	case !fromPrincipalName(enc.SName, enc.SRealm).IsTGTFor(req.ReqBody.Realm):
		return &Error{Kind: KindBadReply, Err: fmt.Errorf("the KDC's reply is not a ticket-granting ticket for %s", req.ReqBody.Realm)}
	}
	if d := enc.AuthTime.Sub(now); d > c.Conf.ClockSkew() || -d > c.Conf.ClockSkew() {
		return &Error{Kind: KindClockSkew, Err: fmt.Errorf("the KDC's clock differs from this machine's by %s", d.Round(time.Second))}
	}
	return nil
}
