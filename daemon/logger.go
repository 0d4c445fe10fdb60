package daemon

import (
	"fmt"
	"io"
	"log/syslog"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/krenew/krenew/internal/escape"
)

// sysWriter is the part of *syslog.Writer the Logger uses.
type sysWriter interface {
	Notice(string) error
	Warning(string) error
	Err(string) error
	Info(string) error
	Close() error
}

// Logger writes krenew's messages, one line each, as "krenew[pid]: msg" to
// stderr and/or to syslog (facility LOG_DAEMON, tag "krenew"). Levels
// follow kstart's -L: regular messages LOG_NOTICE, errors krenew survives
// LOG_WARNING, fatal ones LOG_ERR; verbose ones (Debugf) LOG_INFO, so that
// default syslog and journald setups keep them when -v asked for them.
//
// Like kstart, krenew logs to syslog only when asked (-L): a detached
// daemon without -L has its stderr on /dev/null and its messages are lost.
type Logger struct {
	mu      sync.Mutex
	stderr  io.Writer // nil: not logging to stderr
	sys     sysWriter // nil: not logging to syslog
	prefix  string
	verbose atomic.Bool
}

// NewLogger logs to stderr, to syslog, both or neither. It fails only if
// syslog was asked for and cannot be reached.
func NewLogger(toStderr, toSyslog bool) (*Logger, error) {
	var stderr io.Writer
	if toStderr {
		stderr = os.Stderr
	}
	var sys sysWriter
	if toSyslog {
		w, err := syslog.New(syslog.LOG_DAEMON|syslog.LOG_NOTICE, "krenew")
		if err != nil {
			return nil, fmt.Errorf("cannot connect to syslog: %w", err)
		}
		sys = w
	}
	return newLogger(stderr, sys), nil
}

func newLogger(stderr io.Writer, sys sysWriter) *Logger {
	return &Logger{stderr: stderr, sys: sys, prefix: fmt.Sprintf("krenew[%d]: ", os.Getpid())}
}

// SetVerbose turns Debugf on or off.
func (l *Logger) SetVerbose(v bool) { l.verbose.Store(v) }

// Verbose reports whether Debugf messages are written.
func (l *Logger) Verbose() bool { return l.verbose.Load() }

// Infof logs a regular message.
func (l *Logger) Infof(format string, a ...any) { l.log(sysNotice, format, a) }

// Warnf logs an error krenew carries on after.
func (l *Logger) Warnf(format string, a ...any) { l.log(sysWarning, format, a) }

// Errorf logs an error krenew stops on.
func (l *Logger) Errorf(format string, a ...any) { l.log(sysErr, format, a) }

// Debugf logs a message only in verbose mode.
func (l *Logger) Debugf(format string, a ...any) {
	if l.verbose.Load() {
		l.log(sysInfo, format, a)
	}
}

// Close closes the syslog connection, if any.
func (l *Logger) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.sys == nil {
		return nil
	}
	err := l.sys.Close()
	l.sys = nil
	return err
}

type level int

const (
	sysNotice level = iota
	sysWarning
	sysErr
	sysInfo
)

func (l *Logger) log(lv level, format string, a []any) {
	// Messages carry text from outside (principals from a cache, a KDC's
	// e-text): escaped, a message cannot write control sequences to a
	// terminal or forge a second line in the log.
	msg := escape.Line(strings.TrimRight(fmt.Sprintf(format, a...), "\n"))
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stderr != nil {
		// One write per line, so lines of concurrent writers do not mix.
		_, _ = io.WriteString(l.stderr, l.prefix+msg+"\n")
	}
	if l.sys != nil {
		// log/syslog reconnects by itself; a lost message has nowhere to go.
		switch lv {
		case sysNotice:
			_ = l.sys.Notice(msg)
		case sysWarning:
			_ = l.sys.Warning(msg)
		case sysErr:
			_ = l.sys.Err(msg)
		case sysInfo:
			_ = l.sys.Info(msg)
		}
	}
}
