package e2e

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/iana/patype"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/krenew/krenew/internal/testkdc"
)

// hostileProxy stands on 127.0.0.1 in front of the real test KDC and
// spoils the renewal replies (TGS-REP) it relays. The test owns the KDC,
// so it knows krbtgt's key: it opens the ticket in each request for the
// session key, decrypts the real reply, changes it and encrypts it again,
// so that krenew gets a reply it can read and would accept from a KDC.
// The KDC still renews the real ticket; only krenew's view of the times is
// changed, and the proxy remembers that view per ticket, so that a change
// "relative to the ticket renewed" is relative to what krenew holds.
type hostileProxy struct {
	addr  string
	real  string
	kt    *keytab.Keytab
	spoil func(view, enc *messages.EncKDCRepPart, rep *messages.TGSRep)
	tgs   atomic.Int32 // TGS requests seen
	mu    sync.Mutex
	views map[string]messages.EncKDCRepPart // by the ticket's cipher text
	errs  []string
}

func startHostileProxy(t *testing.T, k *testkdc.KDC, kt *keytab.Keytab, spoil func(view, enc *messages.EncKDCRepPart, rep *messages.TGSRep)) *hostileProxy {
	t.Helper()
	var u net.PacketConn
	var l net.Listener
	for range 20 {
		var err error
		if l, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		if u, err = net.ListenPacket("udp", l.Addr().String()); err == nil {
			break
		}
		l.Close()
		l = nil
	}
	if l == nil {
		t.Fatal("no port free for both UDP and TCP")
	}
	p := &hostileProxy{addr: l.Addr().String(), real: fmt.Sprintf("127.0.0.1:%d", k.Port), kt: kt, spoil: spoil,
		views: map[string]messages.EncKDCRepPart{}}
	t.Cleanup(func() { l.Close(); u.Close() })
	go func() {
		for {
			buf := make([]byte, 65535)
			n, from, err := u.ReadFrom(buf)
			if err != nil {
				return
			}
			go func() {
				if reply := p.relay("udp", buf[:n]); reply != nil {
					u.WriteTo(reply, from)
				}
			}()
		}
	}()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				req, err := readFramed(c)
				if err != nil {
					return
				}
				if reply := p.relay("tcp", req); reply != nil {
					c.Write(framed(reply))
				}
			}()
		}
	}()
	return p
}

func framed(b []byte) []byte {
	out := make([]byte, 4, 4+len(b))
	binary.BigEndian.PutUint32(out, uint32(len(b)))
	return append(out, b...)
}

func readFramed(r io.Reader) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	b := make([]byte, binary.BigEndian.Uint32(hdr[:]))
	_, err := io.ReadFull(r, b)
	return b, err
}

// relay forwards req to the real KDC over network and returns its reply,
// spoiled if it is a TGS-REP.
func (p *hostileProxy) relay(network string, req []byte) []byte {
	c, err := net.Dial(network, p.real)
	if err != nil {
		p.fail("dial %s: %v", p.real, err)
		return nil
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	var reply []byte
	if network == "udp" {
		if _, err = c.Write(req); err == nil {
			buf := make([]byte, 65535)
			var n int
			n, err = c.Read(buf)
			reply = buf[:n]
		}
	} else if _, err = c.Write(framed(req)); err == nil {
		reply, err = readFramed(c)
	}
	if err != nil {
		p.fail("relay: %v", err)
		return nil
	}
	if len(req) == 0 || req[0] != 0x6c { // APPLICATION 12: TGS-REQ
		return reply
	}
	p.tgs.Add(1)
	if len(reply) == 0 || reply[0] != 0x6d { // APPLICATION 13: TGS-REP
		return reply
	}
	spoiled, err := p.spoilReply(req, reply)
	if err != nil {
		p.fail("spoiling a reply: %v", err)
		return reply
	}
	return spoiled
}

func (p *hostileProxy) spoilReply(reqBytes, replyBytes []byte) ([]byte, error) {
	var req messages.TGSReq
	if err := req.Unmarshal(reqBytes); err != nil {
		return nil, err
	}
	var ap messages.APReq
	for _, pa := range req.PAData {
		if pa.PADataType == patype.PA_TGS_REQ {
			if err := ap.Unmarshal(pa.PADataValue); err != nil {
				return nil, err
			}
		}
	}
	if err := ap.Ticket.DecryptEncPart(p.kt, nil); err != nil {
		return nil, err
	}
	old := ap.Ticket.DecryptedEncPart
	key := old.Key
	var rep messages.TGSRep
	if err := rep.Unmarshal(replyBytes); err != nil {
		return nil, err
	}
	if err := rep.DecryptEncPart(key); err != nil {
		return nil, err
	}
	enc := rep.DecryptedEncPart
	p.mu.Lock()
	view, ok := p.views[string(ap.Ticket.EncPart.Cipher)]
	p.mu.Unlock()
	if !ok { // the ticket from kinit, which krenew holds as the KDC issued it
		view = messages.EncKDCRepPart{Flags: old.Flags, AuthTime: old.AuthTime, StartTime: old.StartTime,
			EndTime: old.EndTime, RenewTill: old.RenewTill}
	}
	if view.StartTime.IsZero() { // left out when it equals authtime
		view.StartTime = view.AuthTime
	}
	p.spoil(&view, &enc, &rep)
	p.mu.Lock()
	p.views[string(rep.Ticket.EncPart.Cipher)] = enc
	p.mu.Unlock()
	plain, err := enc.Marshal()
	if err != nil {
		return nil, err
	}
	ed, err := crypto.GetEncryptedData(plain, key, keyusage.TGS_REP_ENCPART_SESSION_KEY, rep.EncPart.KVNO)
	if err != nil {
		return nil, err
	}
	if garbled := len(rep.EncPart.Cipher) == 0; garbled {
		ed.Cipher[len(ed.Cipher)/2] ^= 0xff
	}
	rep.EncPart = ed
	return rep.Marshal()
}

func (p *hostileProxy) fail(format string, a ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.errs = append(p.errs, fmt.Sprintf(format, a...))
}

// hostileRenewals are the odd replies of issue 16, point 6: view is the
// ticket krenew renews as krenew sees it, enc the KDC's real reply.
var hostileRenewals = []struct {
	name  string
	spoil func(view, enc *messages.EncKDCRepPart, rep *messages.TGSRep)
}{
	{"the same end", func(view, enc *messages.EncKDCRepPart, _ *messages.TGSRep) {
		enc.EndTime = view.EndTime
	}},
	{"an earlier end", func(view, enc *messages.EncKDCRepPart, _ *messages.TGSRep) {
		enc.EndTime = view.EndTime.Add(-5 * time.Second)
	}},
	{"a second later each time, so ever shorter", func(view, enc *messages.EncKDCRepPart, _ *messages.TGSRep) {
		enc.EndTime = view.EndTime.Add(time.Second)
	}},
	{"half as long each time", func(view, enc *messages.EncKDCRepPart, _ *messages.TGSRep) {
		enc.EndTime = enc.StartTime.Add(max(view.EndTime.Sub(view.StartTime)/2, 2*time.Second))
		if !enc.EndTime.After(view.EndTime) {
			enc.EndTime = view.EndTime.Add(time.Second)
		}
	}},
	{"no longer renewable", func(_, enc *messages.EncKDCRepPart, _ *messages.TGSRep) {
		types.UnsetFlag(&enc.Flags, flags.Renewable)
	}},
	{"renew-till a minute earlier each time", func(view, enc *messages.EncKDCRepPart, _ *messages.TGSRep) {
		enc.RenewTill = view.RenewTill.Add(-time.Minute)
	}},
	{"renew-till a minute later each time", func(view, enc *messages.EncKDCRepPart, _ *messages.TGSRep) {
		enc.RenewTill = view.RenewTill.Add(time.Minute)
	}},
	{"another client", func(_, _ *messages.EncKDCRepPart, rep *messages.TGSRep) {
		rep.CName = types.NewPrincipalName(1, testkdc.Bob)
	}},
	{"a reply that does not decrypt", func(_, _ *messages.EncKDCRepPart, rep *messages.TGSRep) {
		rep.EncPart.Cipher = nil // spoilReply garbles what it encrypts
	}},
}

// Issue 16, point 6: a KDC whose renewal replies shortened the ticket
// drove the daemon to 3,990 TGS requests in 25 s. Each odd reply (an end
// no later or a lifetime shorter than the ticket renewed, the RENEWABLE
// flag lost, renew-till moved, another client, garbage) comes from a proxy
// in front of the real KDC, to a daemon told to renew as often as it may
// (-H as long as the 60 s ticket). In 45 s no more than three requests may
// reach the KDC, and the odd reply is logged once.
func TestHostileKDCRenewalReplies(t *testing.T) {
	longTest(t)
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	kt := krbtgtKeytab(t, k)
	base := string(readFile(t, k.Krb5Conf))
	real := fmt.Sprintf("kdc = 127.0.0.1:%d", k.Port)
	var fc faultCounts
	defer fc.report(t)
	const window = 45 * time.Second
	type run struct {
		name  string
		proxy *hostileProxy
		b     *background
	}
	var runs []run
	for i, h := range hostileRenewals {
		fc.run()
		fc.inject()
		p := startHostileProxy(t, k, kt, h.spoil)
		conf := filepath.Join(t.TempDir(), "krb5.conf")
		if err := os.WriteFile(conf, []byte(strings.Replace(base, real, "kdc = "+p.addr, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		cc, _ := cacheIn(t, fmt.Sprintf("cc%d", i))
		mitKinit(t, k, cc, testkdc.Alice, testkdc.AlicePassword, "-l", "60s", "-r", "10m")
		env := append(k.Env(), "LC_ALL=C", "KRB5_CONFIG="+conf)
		b := startBackground(t, env, "", krenewBin, "--foreground", "-H", "1", "-k", cc)
		runs = append(runs, run{h.name, p, b})
	}
	time.Sleep(window)
	for _, r := range runs {
		n := r.proxy.tgs.Load()
		text := r.b.text()
		t.Logf("%s: %d TGS requests in %s; krenew logged:\n%s", r.name, n, window, text)
		if n > 3 {
			fc.fail("%s: %d TGS requests in %s, want at most 3", r.name, n, window)
		}
		if n == 0 {
			fc.fail("%s: krenew never asked: the attack was not tried", r.name)
		}
		if c := strings.Count(text, "the KDC"); c > 1 {
			fc.fail("%s: %d log lines about the KDC's replies, want the odd reply logged once:\n%s", r.name, c, text)
		}
		r.proxy.mu.Lock()
		for _, e := range r.proxy.errs {
			fc.fail("%s: proxy: %s", r.name, e)
		}
		r.proxy.mu.Unlock()
	}
}

// krbtgtKeytab is the realm's krbtgt key, which lets a test's proxy open
// the tickets the KDC issues and re-seal spoiled replies. -norandkey: the
// keys stay as they are, the KDC keeps working.
func krbtgtKeytab(t *testing.T, k *testkdc.KDC) *keytab.Keytab {
	t.Helper()
	ktPath := filepath.Join(k.Dir, "krbtgt.keytab")
	k.Kadmin(t, "ktadd -norandkey -k "+ktPath+" krbtgt/"+testkdc.Realm)
	kt, err := keytab.Load(ktPath)
	if err != nil {
		t.Fatal(err)
	}
	return kt
}
