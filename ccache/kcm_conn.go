package ccache

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"time"
)

// ErrKCMUnavailable matches (errors.Is) errors that mean the KCM daemon
// cannot be talked to: no socket, connection refused, kcm_socket = "-",
// or a daemon that hangs up or stops answering mid-request.
var ErrKCMUnavailable = errors.New("KCM daemon unavailable")

type kcmUnavailableError struct {
	socket, cache string
	lost          bool // the connection worked, then failed
	err           error
}

func (e *kcmUnavailableError) Error() string {
	if e.lost {
		return fmt.Sprintf("lost the connection to the KCM daemon at %s while using cache %s: %v", e.socket, e.cache, e.err)
	}
	return fmt.Sprintf("cannot reach the KCM daemon at %s for cache %s: %v", e.socket, e.cache, e.err)
}

func (e *kcmUnavailableError) Is(target error) bool { return target == ErrKCMUnavailable }
func (e *kcmUnavailableError) Unwrap() error        { return e.err }

// kcmIOTimeout bounds every request and reply on the socket, so a hung
// daemon cannot hang krenew.
const kcmIOTimeout = 30 * time.Second

// kcmConn is one connection to the daemon. Like MIT, krenew sends its
// requests for one operation over one connection, one at a time.
type kcmConn struct {
	c      net.Conn
	socket string
	cache  string // for messages
	err    error  // sticky: after an I/O error the stream is out of step
	// timeout bounds each request and its reply.
	timeout time.Duration
}

// dialKCM connects within timeout, which then bounds each call too.
func dialKCM(socket, cache string, timeout time.Duration) (*kcmConn, error) {
	if socket == "-" {
		// MIT's way of turning KCM off in krb5.conf.
		return nil, &kcmUnavailableError{socket: socket, cache: cache, err: errors.New("KCM is disabled (kcm_socket = -)")}
	}
	d := net.Dialer{Timeout: timeout}
	c, err := d.Dial("unix", socket)
	if err != nil {
		return nil, &kcmUnavailableError{socket: socket, cache: cache, err: err}
	}
	return &kcmConn{c: c, socket: socket, cache: cache, timeout: timeout}, nil
}

// dial connects to the store's daemon, naming cache in messages.
func (s *KCMStore) dial(cache string) (*kcmConn, error) {
	timeout := kcmIOTimeout
	if s.hooks != nil {
		if t := s.hooks.ioTimeout(); t > 0 {
			timeout = t
		}
	}
	return dialKCM(s.Socket, cache, timeout)
}

func (k *kcmConn) Close() error { return k.c.Close() }

// call sends one request and returns the reply after its status. A
// non-zero status is a *kcmStatusError; a broken or silent connection is a
// *kcmUnavailableError; a reply that does not parse wraps ErrFormat.
func (k *kcmConn) call(op kcmOp, args ...[]byte) ([]byte, error) {
	if k.err != nil {
		return nil, k.err
	}
	req := kcmRequest(op, args...)
	frame := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(req)), uint32(len(req)))
	frame = append(frame, req...)
	if err := k.c.SetDeadline(time.Now().Add(k.timeout)); err != nil {
		return nil, k.fail(err)
	}
	if _, err := k.c.Write(frame); err != nil {
		return nil, k.fail(err)
	}
	reply, err := readKCMReply(k.c, op)
	var st *kcmStatusError
	switch {
	case err == nil, errors.As(err, &st):
		return reply, err
	case errors.Is(err, ErrFormat):
		// The framing was read whole, but later replies cannot be
		// trusted from a daemon that sends garbage.
		k.err = err
		return nil, err
	}
	return nil, k.fail(fmt.Errorf("%s: %w", op, err))
}

func (k *kcmConn) fail(err error) error {
	k.err = &kcmUnavailableError{socket: k.socket, cache: k.cache, lost: true, err: err}
	return k.err
}
