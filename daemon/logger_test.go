package daemon

import (
	"bytes"
	"fmt"
	"log/syslog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoggerStderrFormat(t *testing.T) {
	var buf bytes.Buffer
	l := newLogger(&buf, nil)
	l.Infof("renewed %s until %s", "alice@R", "noon")
	l.Warnf("kdc unreachable\n")
	l.Debugf("hidden %d", 1)
	l.SetVerbose(true)
	l.Debugf("shown %d", 2)
	l.Errorf("giving up")
	p := fmt.Sprintf("krenew[%d]: ", os.Getpid())
	want := p + "renewed alice@R until noon\n" + p + "kdc unreachable\n" + p + "shown 2\n" + p + "giving up\n"
	if buf.String() != want {
		t.Errorf("stderr log:\n%s\nwant:\n%s", buf.String(), want)
	}
	if err := l.Close(); err != nil {
		t.Errorf("Close without syslog: %v", err)
	}
}

func TestLoggerSyslogLevels(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "log")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	w, err := syslog.Dial("unixgram", sock, syslog.LOG_DAEMON|syslog.LOG_NOTICE, "krenew")
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	l := newLogger(&stderr, w)
	l.SetVerbose(true)
	l.Infof("notice %d", 1)
	l.Warnf("warning %d", 2)
	l.Errorf("error %d", 3)
	l.Debugf("debug %d", 4)

	// LOG_DAEMON is 3<<3; NOTICE 5, WARNING 4, ERR 3, INFO 6.
	want := []struct{ pri, msg string }{{"<29>", "notice 1"}, {"<28>", "warning 2"}, {"<27>", "error 3"}, {"<30>", "debug 4"}}
	buf := make([]byte, 4096)
	for _, w := range want {
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("reading syslog datagram for %q: %v", w.msg, err)
		}
		got := string(buf[:n])
		if !strings.HasPrefix(got, w.pri) || !strings.Contains(got, fmt.Sprintf("krenew[%d]: %s", os.Getpid(), w.msg)) {
			t.Errorf("syslog got %q, want priority %s and message %q", got, w.pri, w.msg)
		}
	}
	if !strings.Contains(stderr.String(), "debug 4") {
		t.Errorf("stderr missed messages when both are on: %q", stderr.String())
	}
	if err := l.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func TestNewLoggerNeither(t *testing.T) {
	l, err := NewLogger(false, false)
	if err != nil {
		t.Fatal(err)
	}
	l.Infof("goes nowhere")
	if l.stderr != nil || l.sys != nil {
		t.Error("logger without outputs has an output")
	}
	l, err = NewLogger(true, false)
	if err != nil || l.stderr != os.Stderr {
		t.Errorf("NewLogger(true, false) = %v, stderr %v", err, l.stderr)
	}
}

type recordedSyslog struct{ msgs []string }

func (r *recordedSyslog) Notice(m string) error  { r.msgs = append(r.msgs, m); return nil }
func (r *recordedSyslog) Warning(m string) error { r.msgs = append(r.msgs, m); return nil }
func (r *recordedSyslog) Err(m string) error     { r.msgs = append(r.msgs, m); return nil }
func (r *recordedSyslog) Info(m string) error    { r.msgs = append(r.msgs, m); return nil }
func (r *recordedSyslog) Close() error           { return nil }

// Text from outside in a log message (a principal read from the cache, a
// KDC's e-text) reaches stderr and syslog escaped, one line per message.
func TestLoggerEscapesControlCharacters(t *testing.T) {
	var buf bytes.Buffer
	sys := &recordedSyslog{}
	l := newLogger(&buf, sys)
	l.Warnf("renewal failed: %s", "\x1b[2J\rkrenew: renewing alice@R until never\nkrenew: forged\a")
	want := `renewal failed: \x1b[2J\rkrenew: renewing alice@R until never\nkrenew: forged\a`
	if got := buf.String(); got != fmt.Sprintf("krenew[%d]: %s\n", os.Getpid(), want) {
		t.Errorf("stderr %q, want %q", got, want)
	}
	if len(sys.msgs) != 1 || sys.msgs[0] != want {
		t.Errorf("syslog %q, want %q", sys.msgs, want)
	}
}
