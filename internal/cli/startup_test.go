package cli

import (
	"errors"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/krenew/krenew/ccache"
	"github.com/krenew/krenew/daemon"
)

// A signal during start-up cancels its context and is remembered; once
// the keeper has taken the signals over, they no longer count.
func TestStartupInterruptedBySignal(t *testing.T) {
	st := beginStartup()
	defer st.stop()
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	select {
	case <-st.ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("SIGHUP did not end the start-up")
	}
	if sig := st.end(); sig != syscall.SIGHUP {
		t.Errorf("end() = %v, want SIGHUP", sig)
	}

	after := beginStartup()
	defer after.stop()
	if sig := after.end(); sig != 0 {
		t.Errorf("end() = %v before any signal", sig)
	}
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if after.ctx.Err() != nil || after.interrupted() != 0 {
		t.Error("a signal after end() interrupted the start-up")
	}
}

// An interrupted start-up ends as the signal would have, in one line,
// whatever the mode returned, unless the mode already said so or already
// reported its status.
func TestStartupOutcome(t *testing.T) {
	out := captureStderr(t)
	st := &startup{sig: syscall.SIGTERM}
	for _, err := range []error{nil, errors.New("context canceled"), &failure{msg: "cannot reach any KDC"}} {
		out.Reset()
		if code := exitWith(st.outcome(err)); code != 143 {
			t.Errorf("outcome(%v): exit %d, want 143", err, code)
		}
		if want := "krenew: error: interrupted by SIGTERM\n"; out.String() != want {
			t.Errorf("outcome(%v) printed %q, want %q", err, out.String(), want)
		}
	}
	prompt := &failure{msg: "password prompt for alice@R interrupted", code: 130}
	if got := st.outcome(prompt); got != prompt {
		t.Errorf("the prompt's own failure was replaced by %v", got)
	}
	if got := st.outcome(exitCode(0)); got != exitCode(0) {
		t.Errorf("a reported exit status was replaced by %v", got)
	}
	if err := (&startup{}).outcome(nil); err != nil {
		t.Errorf("an uninterrupted run failed: %v", err)
	}
}

// The cache's lock: given up on after its bound (exit 1, naming the
// holder), or interrupted (128 + the signal).
func TestLockFailures(t *testing.T) {
	name, err := ccache.ParseName("FILE:/tmp/krb5cc_test")
	if err != nil {
		t.Fatal(err)
	}
	holders := []ccache.LockHolder{{PID: 4242, UID: 65534, Command: "kinit"}}
	s := &session{cacheName: name, startup: &startup{}}
	f := s.cacheFailure("read", &ccache.LockBusyError{Path: "/tmp/krb5cc_test", Holders: holders, Waited: 5 * time.Second})
	if want := "credential cache FILE:/tmp/krb5cc_test is locked by pid 4242 (kinit, uid 65534); gave up waiting after 5s"; f.msg != want || f.exitCode() != 1 || f.hint == "" {
		t.Errorf("timeout: %q (exit %d, hint %q), want %q", f.msg, f.exitCode(), f.hint, want)
	}
	s.startup.sig = syscall.SIGINT
	f = s.cacheFailure("read", &ccache.LockBusyError{Path: "/tmp/krb5cc_test", Waited: time.Second, Canceled: true})
	if want := "interrupted by SIGINT while waiting for the lock of credential cache FILE:/tmp/krb5cc_test, held by another process"; f.msg != want || f.exitCode() != 130 {
		t.Errorf("interrupted: %q (exit %d), want %q", f.msg, f.exitCode(), want)
	}
}

// A limit on open files the runtime cannot live with is one error line.
func TestOpenFilesCheck(t *testing.T) {
	out := captureStderr(t)
	if err := openFilesCheck(minOpenFiles); err != nil {
		t.Errorf("limit %d refused: %v", minOpenFiles, err)
	}
	if code := report(openFilesCheck(6)); code != exitFailure {
		t.Errorf("exit %d", code)
	}
	want := "krenew: error: the open-files limit is 6, and krenew needs at least 32\n" +
		"krenew: hint: raise it with 'ulimit -n 1024' (in a systemd unit, LimitNOFILE=)\n"
	if out.String() != want {
		t.Errorf("stderr %q, want %q", out.String(), want)
	}
}

// SIGALRM and SIGUSR1 before the keeper catches them do not kill krenew
// (their default action) and do not end the start-up: they are held and
// raised again once the keeper has its own handler, so a SIGALRM sent as
// soon as krenew started still forces a renewal.
func TestStartupHoldsKeeperSignals(t *testing.T) {
	st := beginStartup()
	defer st.stop()
	for _, s := range []syscall.Signal{syscall.SIGALRM, syscall.SIGALRM, syscall.SIGUSR1} {
		if err := syscall.Kill(syscall.Getpid(), s); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		st.mu.Lock()
		n := len(st.held)
		st.mu.Unlock()
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("held %d signals, want SIGALRM and SIGUSR1 once each", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if st.ctx.Err() != nil || st.interrupted() != 0 {
		t.Fatal("SIGALRM or SIGUSR1 ended the start-up")
	}

	keeper, stop := daemon.NotifySignals()
	defer stop()
	if sig := st.end(); sig != 0 {
		t.Fatalf("end() = %v", sig)
	}
	st.replay()
	got := map[os.Signal]bool{}
	for len(got) < 2 {
		select {
		case s := <-keeper:
			got[s] = true
		case <-time.After(10 * time.Second):
			t.Fatalf("the keeper got %v, want SIGALRM and SIGUSR1", got)
		}
	}
	if !got[syscall.SIGALRM] || !got[syscall.SIGUSR1] {
		t.Errorf("the keeper got %v", got)
	}
}
