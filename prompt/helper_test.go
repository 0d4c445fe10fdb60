package prompt

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/krenew/krenew/internal/ptytest"
)

// Tests that need a controlling terminal, signals or process-wide settings
// run in a re-executed copy of the test binary, selected by this variable,
// so the test process itself is never changed and needs no terminal.
const helperEnv = "KRENEW_PROMPT_TEST_HELPER"

const testPrompt = "Password for alice@KRENEW.TEST: "

// In the helper, fd 3 is the report pipe and fd 4 (if any) the pty slave.
const (
	reportFD = 3
	slaveFD  = 4
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(runHelper(mode))
	}
	os.Exit(m.Run())
}

func runHelper(mode string) int {
	report := os.NewFile(reportFD, "report")
	say := func(format string, args ...any) { fmt.Fprintf(report, format+"\n", args...) }
	switch mode {
	case "read":
		pw, err := ReadPassword(testPrompt)
		say("err=%s", errorKind(err))
		if err == nil {
			sum := sha256.Sum256(pw)
			say("len=%d", len(pw))
			say("sha256=%s", hex.EncodeToString(sum[:]))
			Zero(pw)
			say("zeroed=%t", allZero(pw))
		}
		if _, ferr := unix.FcntlInt(slaveFD, unix.F_GETFD, 0); ferr == nil {
			if t, terr := unix.IoctlGetTermios(slaveFD, unix.TCGETS); terr == nil {
				say("echo=%t", t.Lflag&unix.ECHO != 0)
			} else {
				say("termios-error=%v", terr)
			}
		}
	case "harden":
		if err := Harden(); err != nil {
			say("err=%v", err)
			return 1
		}
		d, err := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0)
		if err != nil {
			say("err=%v", err)
			return 1
		}
		var lim unix.Rlimit
		if err := unix.Getrlimit(unix.RLIMIT_CORE, &lim); err != nil {
			say("err=%v", err)
			return 1
		}
		say("err=none")
		say("dumpable=%d", d)
		say("corecur=%d", lim.Cur)
	default:
		say("err=unknown helper mode %q", mode)
		return 2
	}
	return 0
}

func errorKind(err error) string {
	var ie *InterruptedError
	switch {
	case err == nil:
		return "none"
	case errors.As(err, &ie):
		if !errors.Is(err, ErrInterrupted) {
			return "interrupted-without-sentinel"
		}
		return fmt.Sprintf("interrupted:%d:%d", ie.Signal, ie.ExitStatus())
	case errors.Is(err, ErrNoTerminal):
		return "noterminal"
	case errors.Is(err, ErrEmpty):
		return "empty"
	case errors.Is(err, ErrTooLong):
		return "toolong"
	default:
		return "other:" + err.Error()
	}
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// helper is a running helper process.
type helper struct {
	cmd    *exec.Cmd
	report *os.File
	stderr strings.Builder
	pty    *ptytest.PTY // the helper's terminal, which also waits for it
}

// helperTimeout bounds every helper run, so a prompt that never returns
// fails the test instead of hanging it.
const helperTimeout = 30 * time.Second

// startHelper runs the test binary in mode. stdin and stdout are /dev/null
// and a buffer, never the pty, so the tests also show that ReadPassword
// does not depend on them. With p, the helper runs in a new session whose
// controlling terminal is p's slave, which it also holds as fd 4; attr is
// then ignored.
func startHelper(t *testing.T, mode string, attr *syscall.SysProcAttr, p *ptytest.PTY) *helper {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), helperTimeout)
	t.Cleanup(cancel)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	h := &helper{report: r, pty: p}
	h.cmd = exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	// atexit_sleep_ms: under -race every helper would otherwise linger 1s.
	h.cmd.Env = append(os.Environ(), helperEnv+"="+mode, "GORACE=atexit_sleep_ms=0")
	h.cmd.Stdout = &h.stderr
	h.cmd.Stderr = &h.stderr
	h.cmd.ExtraFiles = []*os.File{w}
	if p != nil {
		h.cmd.ExtraFiles = append(h.cmd.ExtraFiles, p.Slave())
		p.Start(t, h.cmd)
	} else {
		h.cmd.SysProcAttr = attr
		if err := h.cmd.Start(); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	return h
}

// wait waits for the helper to exit 0 and returns its key=value report.
func (h *helper) wait(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	sc := bufio.NewScanner(h.report)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), "=")
		out[k] = v
	}
	if h.pty != nil {
		if code := h.pty.Wait(t, helperTimeout); code != 0 {
			t.Fatalf("helper: exit status %d\nreport: %v\noutput: %s", code, out, h.stderr.String())
		}
		return out
	}
	if err := h.cmd.Wait(); err != nil {
		t.Fatalf("helper: %v\nreport: %v\noutput: %s", err, out, h.stderr.String())
	}
	return out
}

func wantReport(t *testing.T, got map[string]string, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("helper reported %s=%q, want %q (full report %v)", k, got[k], v, got)
		}
	}
}

func hashOf(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
