package renew

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/messages"
)

// transport carries one request to the KDCs of a realm and returns the
// first answer, which may be a KRB-ERROR: an error reply is an answer, and
// asking the next KDC would only repeat it.
//
// The KDCs are asked the way MIT's sendto_kdc asks them: the first alone
// for a second, then the next as well while the first is still listened
// to, and so on; then each over the other transport (TCP after UDP) in the
// same way; then every attempt still open gets the last wait. So a KDC
// that is down but silent (a firewall that drops, a host that is off)
// costs a second, not a full timeout, and a slow first KDC still wins if
// it answers first. One KDC that answers is asked exactly as before: one
// datagram (or connection) and its reply.
type transport struct {
	kdcs []string
	// Requests at least this long go over TCP first (udp_preference_limit);
	// 1 means all of them.
	udpLimit int
	// How long every attempt still open is waited for once all KDCs have
	// been asked (zero: 3 seconds).
	timeout time.Duration
	// How long one KDC has to itself before the next is asked too (zero:
	// MIT's one second).
	step time.Duration
}

const maxTCPReply = 4 << 20

// errNoKDCAnswered lists every attempt so the user can see which KDCs were
// tried and why each failed.
type errNoKDCAnswered struct{ attempts []error }

func (e *errNoKDCAnswered) Error() string { return errors.Join(e.attempts...).Error() }

// errSilent stands for the attempts still unanswered when the exchange
// gives up, which end with no error of their own.
var errSilent = errors.New("no answer")

type attemptResult struct {
	network, kdc string
	reply        []byte
	err          error
}

// exchange returns the first answer and the KDC that gave it.
func (t transport) exchange(ctx context.Context, req []byte) ([]byte, string, error) {
	if len(t.kdcs) == 0 {
		return nil, "", &errNoKDCAnswered{attempts: []error{errors.New("no KDC configured")}}
	}
	last, step := t.timeout, t.step
	if last <= 0 {
		last = 3 * time.Second
	}
	if step <= 0 {
		step = time.Second
	}
	step = min(step, last)
	preferred, other := "udp", "tcp"
	if t.udpLimit <= 1 || len(req) >= t.udpLimit {
		preferred, other = "tcp", "udp"
	}
	actx, cancel := context.WithCancel(ctx)
	defer cancel() // closes every attempt still open
	ex := &exchangeState{t: t, ctx: actx, req: req, started: map[string]bool{},
		results: make(chan attemptResult, 2*len(t.kdcs))}
	for _, network := range []string{preferred, other} {
		for _, kdc := range t.kdcs {
			if !ex.start(network, kdc) {
				continue // listed twice, or already asked over TCP after RESPONSE_TOO_BIG
			}
			if r, ok := ex.wait(step); ok {
				return r.reply, r.kdc, nil
			}
			if ctx.Err() != nil {
				return nil, "", ctx.Err()
			}
		}
	}
	if r, ok := ex.wait(last); ok {
		return r.reply, r.kdc, nil
	}
	if ctx.Err() != nil {
		return nil, "", ctx.Err()
	}
	for _, network := range []string{preferred, other} {
		for _, kdc := range t.kdcs {
			if key := network + " " + kdc; ex.started[key] && !ex.finished[key] {
				ex.failed = append(ex.failed, fmt.Errorf("%s: %w", key, errSilent))
			}
		}
	}
	return nil, "", &errNoKDCAnswered{attempts: ex.failed}
}

// exchangeState is one exchange's attempts: each runs in its own
// goroutine and reports once on results.
type exchangeState struct {
	t        transport
	ctx      context.Context
	req      []byte
	started  map[string]bool // "udp host:port"
	finished map[string]bool
	live     int
	results  chan attemptResult
	failed   []error
}

// start sends the request to kdc over network, unless that was done
// already (false).
func (ex *exchangeState) start(network, kdc string) bool {
	key := network + " " + kdc
	if ex.started[key] {
		return false
	}
	ex.started[key] = true
	ex.live++
	go func() {
		reply, err := attempt(ex.ctx, network, kdc, ex.req)
		ex.results <- attemptResult{network: network, kdc: kdc, reply: reply, err: err}
	}()
	return true
}

// wait listens to every open attempt until one answers (ok), d has passed,
// the context ends, or no attempt is left open: a KDC that refused at once
// does not hold up the next one.
func (ex *exchangeState) wait(d time.Duration) (attemptResult, bool) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for ex.live > 0 {
		select {
		case <-ex.ctx.Done():
			return attemptResult{}, false
		case <-timer.C:
			return attemptResult{}, false
		case r := <-ex.results:
			ex.live--
			if ex.finished == nil {
				ex.finished = map[string]bool{}
			}
			ex.finished[r.network+" "+r.kdc] = true
			switch {
			case r.err != nil:
				ex.failed = append(ex.failed, fmt.Errorf("%s %s: %w", r.network, r.kdc, r.err))
			case !looksLikeReply(r.reply):
				// Whatever sent it, it is no answer; another KDC may still give one.
				ex.failed = append(ex.failed, fmt.Errorf("%s %s: not a Kerberos reply", r.network, r.kdc))
			case r.network == "udp" && isResponseTooBig(r.reply):
				ex.start("tcp", r.kdc)
			default:
				return r, true
			}
		}
	}
	return attemptResult{}, false
}

// looksLikeReply: an AS-REP, TGS-REP or KRB-ERROR by its APPLICATION tag.
func looksLikeReply(b []byte) bool {
	return len(b) > 0 && (b[0] == 0x6b || b[0] == 0x6d || b[0] == 0x7e)
}

func isResponseTooBig(reply []byte) bool {
	if len(reply) == 0 || reply[0] != 0x7e { // APPLICATION 30: KRB-ERROR
		return false
	}
	var e messages.KRBError
	return e.Unmarshal(reply) == nil && e.ErrorCode == errorcode.KRB_ERR_RESPONSE_TOO_BIG
}

// attempt sends req to one KDC over one transport and waits for the reply
// until ctx ends: the exchange decides how long that is.
func attempt(ctx context.Context, network, kdc string, req []byte) ([]byte, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, kdc)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	// Closing the connection is the only way to interrupt a blocked read
	// when the exchange ends.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	var reply []byte
	if network == "udp" {
		reply, err = udpRoundTrip(conn, req)
	} else {
		reply, err = tcpRoundTrip(conn, req)
	}
	if err != nil && ctx.Err() != nil {
		return nil, errSilent
	}
	return reply, err
}

func udpRoundTrip(conn net.Conn, req []byte) ([]byte, error) {
	if _, err := conn.Write(req); err != nil {
		return nil, err
	}
	buf := make([]byte, 65535)
	n, err := conn.Read(buf)
	if err != nil {
		return nil, err
	}
	return buf[:n], nil
}

func tcpRoundTrip(conn net.Conn, req []byte) ([]byte, error) {
	framed := make([]byte, 4+len(req))
	binary.BigEndian.PutUint32(framed, uint32(len(req)))
	copy(framed[4:], req)
	if _, err := conn.Write(framed); err != nil {
		return nil, err
	}
	var hdr [4]byte
	if _, err := io.ReadFull(conn, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n == 0 || n > maxTCPReply {
		return nil, fmt.Errorf("reply length %d out of range", n)
	}
	reply := make([]byte, n)
	if _, err := io.ReadFull(conn, reply); err != nil {
		return nil, err
	}
	return reply, nil
}
