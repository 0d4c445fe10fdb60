package renew

import (
	"context"
	"time"

	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
)

// CheckPrincipal asks the KDC about r's principal before anyone types a
// password for it, as kinit does: an AS-REQ without pre-authentication,
// which a KDC answers with "pre-authentication required" (or a ticket,
// for a principal that needs none) only for a principal it will serve.
// An unknown, disabled or expired principal, an unreachable KDC or an
// unconfigured realm is then an error before the prompt, not after it.
// The reply's ticket, if any, is dropped: it is sealed with the key of the
// password not yet typed.
func (c *Client) CheckPrincipal(ctx context.Context, r InitialRequest) error {
	name := r.Principal.String()
	realm := r.Principal.Realm
	t, err := c.transportFor(name, realm)
	if err != nil {
		return err
	}
	req, err := c.newASReq(r, time.Now().UTC().Truncate(time.Second), c.requestEtypes())
	if err != nil {
		return &Error{Kind: KindOther, Principal: name, Realm: realm, Err: err}
	}
	reply, err := c.sendAS(ctx, t, name, realm, req)
	if err != nil {
		return err
	}
	if kerr, ok := asKRBError(reply); ok && kerr.ErrorCode != errorcode.KDC_ERR_PREAUTH_REQUIRED {
		return krbError(kerr, name, realm, false)
	}
	return nil
}
