package renew

import (
	"context"
	"errors"
	"time"

	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/messages"

	"github.com/krenew/krenew/ccache"
)

// CheckPrincipal asks the KDC about r's principal before anyone types a
// password for it, as kinit does: an AS-REQ without pre-authentication,
// which a KDC answers with "pre-authentication required" (or a ticket,
// for a principal that needs none) only for a principal it will serve.
// An unknown, disabled or expired principal, an unreachable KDC or an
// unconfigured realm is then an error before the prompt, not after it.
// The request and the KDC's answer are the first round of the AS exchange
// that InitialAfter finishes once the password is typed.
func (c *Client) CheckPrincipal(ctx context.Context, r InitialRequest) (*Probe, error) {
	name := r.Principal.String()
	realm := r.Principal.Realm
	t, err := c.transportFor(name, realm)
	if err != nil {
		return nil, err
	}
	sent := time.Now().UTC().Truncate(time.Second)
	req, err := c.newASReq(r, sent, c.requestEtypes())
	if err != nil {
		return nil, &Error{Kind: KindOther, Principal: name, Realm: realm, Err: err}
	}
	reply, err := c.sendAS(ctx, t, name, realm, req)
	if err != nil {
		return nil, err
	}
	if kerr, ok := asKRBError(reply); ok && kerr.ErrorCode != errorcode.KDC_ERR_PREAUTH_REQUIRED {
		return nil, krbError(kerr, name, realm, false)
	}
	return &Probe{r: r, req: req, reply: reply, sent: sent}, nil
}

// probeTicketFresh is how long after the probe the ticket a KDC without
// pre-authentication sent with it is still taken.
const probeTicketFresh = time.Minute

// Probe is the first round of an AS exchange, sent before the prompt:
// the request and the KDC's answer, "pre-authentication required" with
// how to prove the password, or a ticket sealed with its key. Finishing
// from it sends what kinit sends: one more request, or none.
type Probe struct {
	r     InitialRequest
	req   messages.ASReq
	reply []byte
	sent  time.Time
}

// InitialAfter is Initial for the request CheckPrincipal probed, going on
// from the KDC's answer to the probe. A nil probe, or one for another
// request, is Initial.
func (c *Client) InitialAfter(ctx context.Context, p *Probe, r InitialRequest, password []byte) (ccache.Credential, error) {
	sec := passwordSecret{password: password, etypes: c.requestEtypes()}
	if p == nil || !p.r.Principal.Equal(r.Principal) || p.r.Lifetime != r.Lifetime || p.r.Renewable != r.Renewable {
		return c.initialFrom(ctx, r, sec, nil)
	}
	if _, asked := asKRBError(p.reply); !asked && time.Since(p.sent) > probeTicketFresh {
		// A ticket issued before a long prompt has aged by as much (a
		// short one may have ended): ask for a new one.
		return c.initialFrom(ctx, r, sec, nil)
	}
	cred, err := c.initialFrom(ctx, r, sec, p)
	var e *Error
	if errors.As(err, &e) && e.Code == errorcode.KDC_ERR_PREAUTH_REQUIRED {
		// The KDC wants another proof than it asked for at the probe:
		// start over, as Initial does.
		return c.initialFrom(ctx, r, sec, nil)
	}
	return cred, err
}
