package renew

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/krenew/krenew/ccache"
	"github.com/krenew/krenew/renew/krb5conf"
)

// Client performs krenew's two KDC exchanges for the realms of one
// krb5.conf. It holds no secret between calls.
type Client struct {
	Conf *krb5conf.Conf
	// AttemptTimeout is how long krenew still listens once it has asked
	// every KDC of the realm (each alone for a second first, as MIT does);
	// zero means 3 seconds.
	AttemptTimeout time.Duration

	mu sync.Mutex
	// answered is, by realm, the KDC that answered last: it is asked first
	// next time, so that a dead first KDC costs its second once per
	// process, not once per exchange (an AS exchange with
	// pre-authentication is two).
	answered map[string]string
}

func (c *Client) transportFor(principal, realm string) (transport, error) {
	kdcs, err := c.Conf.KDCs(realm)
	var lookup *krb5conf.DNSLookupError
	switch {
	case errors.As(err, &lookup):
		// KDCs knows a failed DNS lookup from a realm nobody configured.
		return transport{}, &Error{Kind: KindKDCUnreachable, Principal: principal, Realm: lookup.Realm, Err: lookup.Err}
	case err != nil:
		return transport{}, &Error{Kind: KindRealmNotConfigured, Principal: principal, Realm: realm, Err: err}
	}
	return transport{kdcs: kdcs, udpLimit: c.Conf.UDPPreferenceLimit(), timeout: c.AttemptTimeout}, nil
}

// send wraps transport failures so that every caller reports an
// unreachable KDC the same way, naming the KDCs it tried.
func (c *Client) send(ctx context.Context, t transport, principal, realm string, req []byte) ([]byte, error) {
	configured := t.kdcs
	t.kdcs = c.answeredFirst(realm, t.kdcs)
	reply, from, err := t.exchange(ctx, req)
	if err == nil {
		c.mu.Lock()
		if c.answered == nil {
			c.answered = map[string]string{}
		}
		c.answered[realm] = from
		c.mu.Unlock()
		return reply, nil
	}
	var none *errNoKDCAnswered
	if errors.As(err, &none) {
		return nil, &Error{Kind: KindKDCUnreachable, Principal: principal, Realm: realm, KDCs: configured, Err: err}
	}
	return nil, &Error{Kind: KindOther, Principal: principal, Realm: realm, Err: err}
}

// answeredFirst puts the KDC of realm that answered last at the front.
func (c *Client) answeredFirst(realm string, kdcs []string) []string {
	c.mu.Lock()
	last := c.answered[realm]
	c.mu.Unlock()
	i := slices.Index(kdcs, last)
	if i <= 0 {
		return kdcs
	}
	out := make([]string, 0, len(kdcs))
	out = append(out, kdcs[i])
	out = append(out, kdcs[:i]...)
	return append(out, kdcs[i+1:]...)
}

func newNonce() (int, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return 0, err
	}
	return int(binary.BigEndian.Uint32(b[:]) & 0x7fffffff), nil
}

// isKRBError tells a KRB-ERROR from a reply by its APPLICATION 30 tag
// before anything is decoded.
func asKRBError(reply []byte) (messages.KRBError, bool) {
	var e messages.KRBError
	if len(reply) == 0 || reply[0] != 0x7e {
		return e, false
	}
	if err := e.Unmarshal(reply); err != nil {
		return e, false
	}
	return e, true
}

func flagsToUint32(bs asn1.BitString) uint32 {
	var b [4]byte
	copy(b[:], bs.Bytes)
	return binary.BigEndian.Uint32(b[:])
}

func uint32ToFlags(f uint32) asn1.BitString {
	b := make([]byte, 4)
	binary.BigEndian.PutUint32(b, f)
	return asn1.BitString{Bytes: b, BitLength: 32}
}

// credentialFromReply turns a decrypted KDC reply into what goes into the
// cache; renewal says it answers a renewal. The ticket is re-encoded from
// the parsed reply; MIT's KDC sends DER, so the bytes equal what was on the
// wire (kvno in the tests proves the KDC accepts them back).
func credentialFromReply(cname types.PrincipalName, crealm string, tkt messages.Ticket, enc messages.EncKDCRepPart, renewal bool) (ccache.Credential, error) {
	raw, err := tkt.Marshal()
	if err != nil {
		return ccache.Credential{}, fmt.Errorf("cannot encode the ticket from the KDC: %w", err)
	}
	start := enc.StartTime
	if start.IsZero() {
		start = enc.AuthTime
	}
	renewTill := enc.RenewTill
	if renewTill.IsZero() && (renewal || flagsToUint32(enc.Flags)&ccache.FlagRenewable != 0) {
		// renew-till is OPTIONAL (RFC 4120 5.4.2): Heimdal and Samba AD
		// omit it from the renewal that reaches renew-till, and clear the
		// RENEWABLE flag too; a ticket flagged renewable without it is as
		// final. No renewal can extend either: stored as renew-till = end,
		// it reads and is planned as the end of the renewable lifetime, as
		// MIT's last renewal is, never as year 1.
		renewTill = enc.EndTime
	}
	return ccache.Credential{
		Client:    fromPrincipalName(cname, crealm),
		Server:    fromPrincipalName(enc.SName, enc.SRealm),
		Key:       ccache.KeyBlock{EType: enc.Key.KeyType, Value: append([]byte(nil), enc.Key.KeyValue...)},
		AuthTime:  enc.AuthTime.UTC(),
		StartTime: start.UTC(),
		EndTime:   enc.EndTime.UTC(),
		RenewTill: renewTill.UTC(),
		Flags:     flagsToUint32(enc.Flags),
		Ticket:    raw,
	}, nil
}

// checkTimes rejects replies whose times make no sense, so that a broken or
// hostile KDC cannot plant a ticket krenew would then schedule around.
func checkTimes(cred ccache.Credential, now time.Time, skew time.Duration) error {
	if !cred.EndTime.After(now.Add(-skew)) {
		return fmt.Errorf("the KDC issued a ticket that ends at %s, in the past", cred.EndTime.Format(time.RFC3339))
	}
	if !cred.RenewTill.IsZero() && cred.RenewTill.Before(cred.EndTime) {
		return fmt.Errorf("the KDC issued a ticket renewable until %s, before it ends at %s",
			cred.RenewTill.Format(time.RFC3339), cred.EndTime.Format(time.RFC3339))
	}
	if cred.StartTime.After(cred.EndTime) {
		return fmt.Errorf("the KDC issued a ticket that starts after it ends")
	}
	return nil
}
