package renew

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// The transport's timing tests use a short step and last wait, so that
// "a step" is told apart from "the last wait" with a wide margin on a
// loaded machine: a silent KDC must cost one step, not the last wait.
const (
	testStep = 200 * time.Millisecond
	testLast = 2 * time.Second
)

// krbErrorReply is a KRB-ERROR a KDC would send; any answer ends the
// exchange, and an error is the easiest to make.
func krbErrorReply(t *testing.T, code int32) []byte {
	t.Helper()
	e := messages.NewKRBError(types.PrincipalName{NameType: 2, NameString: []string{"krbtgt", "R"}}, "R", code, "test")
	b, err := e.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testKDCPort binds UDP and TCP on one port of 127.0.0.1.
func testKDCPort(t *testing.T) (net.PacketConn, net.Listener) {
	t.Helper()
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		u, err := net.ListenPacket("udp", l.Addr().String())
		if err != nil {
			l.Close()
			continue
		}
		t.Cleanup(func() { l.Close(); u.Close() })
		return u, l
	}
	t.Fatal("no port free for both UDP and TCP")
	return nil, nil
}

// silentTestKDC never reads a datagram nor accepts a connection.
func silentTestKDC(t *testing.T) string {
	u, _ := testKDCPort(t)
	return u.LocalAddr().String()
}

// answeringKDC answers every request after delay with udpReply over UDP
// and tcpReply over TCP (nil: that transport is silent). It counts the
// requests of each.
type answeringKDC struct {
	addr     string
	udp, tcp atomic.Int32
}

func startAnsweringKDC(t *testing.T, delay time.Duration, udpReply, tcpReply []byte) *answeringKDC {
	t.Helper()
	u, l := testKDCPort(t)
	k := &answeringKDC{addr: u.LocalAddr().String()}
	go func() {
		buf := make([]byte, 65535)
		for {
			_, from, err := u.ReadFrom(buf)
			if err != nil {
				return
			}
			k.udp.Add(1)
			if udpReply != nil {
				time.AfterFunc(delay, func() { u.WriteTo(udpReply, from) })
			}
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
				var hdr [4]byte
				if _, err := io.ReadFull(c, hdr[:]); err != nil {
					return
				}
				if _, err := io.ReadFull(c, make([]byte, binary.BigEndian.Uint32(hdr[:]))); err != nil {
					return
				}
				k.tcp.Add(1)
				if tcpReply == nil {
					io.Copy(io.Discard, c)
					return
				}
				time.Sleep(delay)
				binary.BigEndian.PutUint32(hdr[:], uint32(len(tcpReply)))
				c.Write(append(hdr[:], tcpReply...))
			}()
		}
	}()
	return k
}

// refusingKDC is a port nobody listens on: UDP gets ICMP port
// unreachable, TCP a reset, both at once.
func refusingKDC(t *testing.T) string {
	u, l := testKDCPort(t)
	addr := u.LocalAddr().String()
	u.Close()
	l.Close()
	return addr
}

func timedExchange(t *testing.T, tr transport) (reply []byte, from string, took time.Duration, err error) {
	t.Helper()
	tr.step, tr.timeout = testStep, testLast
	start := time.Now()
	reply, from, err = tr.exchange(context.Background(), []byte("request"))
	return reply, from, time.Since(start), err
}

// Issue 16, point 7: silent KDCs in front of one that answers cost a step
// each (MIT's one second), not a UDP and a TCP timeout each; the request
// goes out over UDP to each in turn while the earlier ones are still
// listened to.
func TestTransportSilentKDCsCostAStepEach(t *testing.T) {
	want := krbErrorReply(t, errorcode.KDC_ERR_C_PRINCIPAL_UNKNOWN)
	for silent := 1; silent <= 3; silent++ {
		var kdcs []string
		for range silent {
			kdcs = append(kdcs, silentTestKDC(t))
		}
		good := startAnsweringKDC(t, 0, want, want)
		kdcs = append(kdcs, good.addr)
		reply, from, took, err := timedExchange(t, transport{kdcs: kdcs, udpLimit: 1465})
		if err != nil || string(reply) != string(want) || from != good.addr {
			t.Fatalf("%d silent: reply %q from %s, %v", silent, reply, from, err)
		}
		steps := time.Duration(silent) * testStep
		if took < steps || took > steps+testStep {
			t.Errorf("%d silent KDCs: the answer came after %s, want %s to %s", silent, took, steps, steps+testStep)
		}
		if n := good.tcp.Load(); n != 0 {
			t.Errorf("%d silent: %d TCP requests to the KDC that answered over UDP", silent, n)
		}
	}
}

// The first KDC is slow, not dead: its answer, coming after the second was
// asked, still wins, and nobody waits for the second.
func TestTransportKeepsListeningToEarlierKDCs(t *testing.T) {
	want := krbErrorReply(t, errorcode.KDC_ERR_C_PRINCIPAL_UNKNOWN)
	slow := startAnsweringKDC(t, testStep*3/2, want, nil)
	second := silentTestKDC(t)
	reply, from, took, err := timedExchange(t, transport{kdcs: []string{slow.addr, second}, udpLimit: 1465})
	if err != nil || from != slow.addr || string(reply) != string(want) {
		t.Fatalf("reply %q from %s, %v", reply, from, err)
	}
	if took > testStep*5/2 {
		t.Errorf("the slow first KDC's answer took %s, want about %s", took, testStep*3/2)
	}
}

// A KDC that refuses (nothing listens: ICMP unreachable, TCP reset) is no
// reason to wait: the next one is asked at once.
func TestTransportRefusedKDCCostsNothing(t *testing.T) {
	want := krbErrorReply(t, errorcode.KDC_ERR_C_PRINCIPAL_UNKNOWN)
	good := startAnsweringKDC(t, 0, want, want)
	_, from, took, err := timedExchange(t, transport{kdcs: []string{refusingKDC(t), refusingKDC(t), good.addr}, udpLimit: 1465})
	if err != nil || from != good.addr {
		t.Fatalf("from %s, %v", from, err)
	}
	if took > testStep/2 {
		t.Errorf("two refusing KDCs held the exchange up for %s", took)
	}
}

// Nothing answers: the error names every attempt, and the exchange ends
// after a step per KDC and transport and the last wait, not later.
func TestTransportAllSilent(t *testing.T) {
	kdcs := []string{silentTestKDC(t), silentTestKDC(t)}
	_, _, took, err := timedExchange(t, transport{kdcs: kdcs, udpLimit: 1465})
	var none *errNoKDCAnswered
	if !errors.As(err, &none) {
		t.Fatalf("error %v, want errNoKDCAnswered", err)
	}
	for _, kdc := range kdcs {
		for _, network := range []string{"udp", "tcp"} {
			if !strings.Contains(err.Error(), network+" "+kdc+": no answer") {
				t.Errorf("error %q does not name %s %s", err, network, kdc)
			}
		}
	}
	if want := 4*testStep + testLast; took < want || took > want+testStep*2 {
		t.Errorf("gave up after %s, want about %s", took, want)
	}
}

// A datagram that is no Kerberos reply (a neighbour's noise on the first
// KDC's port) does not end the exchange: the second KDC's answer does.
func TestTransportIgnoresNonReplies(t *testing.T) {
	want := krbErrorReply(t, errorcode.KDC_ERR_C_PRINCIPAL_UNKNOWN)
	noise := startAnsweringKDC(t, 0, []byte("garbage"), nil)
	good := startAnsweringKDC(t, 0, want, want)
	reply, from, _, err := timedExchange(t, transport{kdcs: []string{noise.addr, good.addr}, udpLimit: 1465})
	if err != nil || from != good.addr || string(reply) != string(want) {
		t.Fatalf("reply %q from %s, %v", reply, from, err)
	}
}

// RESPONSE_TOO_BIG over UDP sends the request to the same KDC over TCP at
// once; udp_preference_limit 1 means TCP only, first.
func TestTransportTCP(t *testing.T) {
	want := krbErrorReply(t, errorcode.KDC_ERR_C_PRINCIPAL_UNKNOWN)
	big := startAnsweringKDC(t, 0, krbErrorReply(t, errorcode.KRB_ERR_RESPONSE_TOO_BIG), want)
	reply, _, took, err := timedExchange(t, transport{kdcs: []string{big.addr}, udpLimit: 1465})
	if err != nil || string(reply) != string(want) {
		t.Fatalf("too big: reply %q, %v", reply, err)
	}
	if took > testStep/2 {
		t.Errorf("too big: the TCP answer took %s", took)
	}
	tcpOnly := startAnsweringKDC(t, 0, want, want)
	if _, _, _, err := timedExchange(t, transport{kdcs: []string{tcpOnly.addr}, udpLimit: 1}); err != nil {
		t.Fatal(err)
	}
	if u, c := tcpOnly.udp.Load(), tcpOnly.tcp.Load(); u != 0 || c != 1 {
		t.Errorf("udp_preference_limit 1: %d UDP and %d TCP requests, want 0 and 1", u, c)
	}
}

// The context ends the exchange and every attempt still open.
func TestTransportContextEnds(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testStep/2)
	defer cancel()
	tr := transport{kdcs: []string{silentTestKDC(t)}, udpLimit: 1465, step: testStep, timeout: testLast}
	start := time.Now()
	_, _, err := tr.exchange(ctx, []byte("request"))
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > testStep {
		t.Errorf("error %v after %s, want the context's deadline", err, time.Since(start))
	}
}

// The KDC that answered last is asked first next time, so that a silent
// first KDC costs its step once per process, not in every exchange (an AS
// exchange with pre-authentication is two).
func TestClientAsksTheKDCThatAnsweredFirst(t *testing.T) {
	c := &Client{}
	kdcs := []string{"a:88", "b:88", "c:88"}
	if got := c.answeredFirst("R", kdcs); strings.Join(got, " ") != "a:88 b:88 c:88" {
		t.Errorf("no answer yet: %v", got)
	}
	c.answered = map[string]string{"R": "c:88", "S": "b:88"}
	if got := c.answeredFirst("R", kdcs); strings.Join(got, " ") != "c:88 a:88 b:88" {
		t.Errorf("c answered: %v", got)
	}
	if strings.Join(kdcs, " ") != "a:88 b:88 c:88" {
		t.Errorf("the configured order changed: %v", kdcs)
	}
	c.answered["R"] = "gone:88"
	if got := c.answeredFirst("R", kdcs); strings.Join(got, " ") != "a:88 b:88 c:88" {
		t.Errorf("a KDC no longer configured answered: %v", got)
	}
}

// A KDC listed twice is asked once and costs one step.
func TestTransportKDCListedTwice(t *testing.T) {
	want := krbErrorReply(t, errorcode.KDC_ERR_C_PRINCIPAL_UNKNOWN)
	silent := silentTestKDC(t)
	good := startAnsweringKDC(t, 0, want, want)
	_, from, took, err := timedExchange(t, transport{kdcs: []string{silent, silent, good.addr}, udpLimit: 1465})
	if err != nil || from != good.addr {
		t.Fatalf("from %s, %v", from, err)
	}
	if took > 2*testStep {
		t.Errorf("a silent KDC listed twice held the exchange up for %s, want one step", took)
	}
}
