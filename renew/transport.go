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
type transport struct {
	kdcs []string
	// Requests at least this long go over TCP first (udp_preference_limit);
	// 1 means TCP only.
	udpLimit int
	// Per-attempt time limit; a dead host must not hold up the next KDC for
	// long.
	timeout time.Duration
}

const maxTCPReply = 4 << 20

// errNoKDCAnswered lists every attempt so the user can see which KDCs were
// tried and why each failed.
type errNoKDCAnswered struct{ attempts []error }

func (e *errNoKDCAnswered) Error() string { return errors.Join(e.attempts...).Error() }

func (t transport) exchange(ctx context.Context, req []byte) ([]byte, error) {
	var failed []error
	for _, kdc := range t.kdcs {
		first, second := "udp", "tcp"
		if t.udpLimit <= 1 || len(req) >= t.udpLimit {
			first, second = "tcp", "udp"
		}
		reply, err := t.attempt(ctx, first, kdc, req)
		if err == nil && first == "udp" && isResponseTooBig(reply) {
			reply, err = t.attempt(ctx, "tcp", kdc, req)
		}
		if err == nil {
			return reply, nil
		}
		failed = append(failed, err)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		reply, err = t.attempt(ctx, second, kdc, req)
		if err == nil && !isResponseTooBig(reply) {
			return reply, nil
		}
		if err != nil {
			failed = append(failed, err)
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	if len(t.kdcs) == 0 {
		failed = append(failed, errors.New("no KDC configured"))
	}
	return nil, &errNoKDCAnswered{attempts: failed}
}

func isResponseTooBig(reply []byte) bool {
	if len(reply) == 0 || reply[0] != 0x7e { // APPLICATION 30: KRB-ERROR
		return false
	}
	var e messages.KRBError
	return e.Unmarshal(reply) == nil && e.ErrorCode == errorcode.KRB_ERR_RESPONSE_TOO_BIG
}

func (t transport) attempt(ctx context.Context, network, kdc string, req []byte) ([]byte, error) {
	timeout := t.timeout
	if timeout <= 0 {
		timeout = 3 * time.Second
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(actx, network, kdc)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", network, kdc, err)
	}
	defer conn.Close()
	if dl, ok := actx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	// Closing the connection is the only way to interrupt a blocked read
	// when the caller's context ends early.
	stop := context.AfterFunc(actx, func() { conn.Close() })
	defer stop()
	var reply []byte
	if network == "udp" {
		reply, err = udpRoundTrip(conn, req)
	} else {
		reply, err = tcpRoundTrip(conn, req)
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", network, kdc, err)
	}
	return reply, nil
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
