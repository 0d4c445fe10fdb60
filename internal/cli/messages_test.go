package cli

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/krenew/krenew/ccache"
	"github.com/krenew/krenew/daemon"
	"github.com/krenew/krenew/renew"
)

func captureStderr(t *testing.T) *bytes.Buffer {
	t.Helper()
	var b bytes.Buffer
	old := stderr
	stderr = &b
	t.Cleanup(func() { stderr = old })
	return &b
}

// A detached child's failure reaches the user as the foreground would
// show it: what it printed first, the error line (its own message, not the
// daemon package's account of the start around it), the child's hint, and
// its exit status.
func TestDetachedFailureKeepsHintAndExitStatus(t *testing.T) {
	out := captureStderr(t)
	alice := ccache.Principal{Realm: "R", Components: []string{"alice"}}
	err := &daemon.StartError{Output: "krenew: warning: ignoring x\n", Message: "cannot read keytab /k: permission denied", Hint: "check the keytab's permissions", ExitCode: 4}
	if code := report(daemonStartFailure(alice, err)); code != 4 {
		t.Errorf("exit status %d, want the child's 4", code)
	}
	want := "krenew: warning: ignoring x\n" +
		"krenew: error: the renewal daemon for alice@R did not start: cannot read keytab /k: permission denied\n" +
		"krenew: hint: check the keytab's permissions\n"
	if out.String() != want {
		t.Errorf("stderr\n%q\nwant\n%q", out.String(), want)
	}
}

// A child that died without saying why (killed, crashed) is a plain
// failure: exit 1 and no hint, whatever its own status was.
func TestDetachedFailureWithoutMessage(t *testing.T) {
	out := captureStderr(t)
	err := &daemon.StartError{Output: "fatal: no way", ExitCode: 3}
	if code := report(backgroundStartFailure("sleep", err)); code != exitFailure {
		t.Errorf("exit status %d, want %d", code, exitFailure)
	}
	if want := "krenew: error: cannot start sleep in the background: " + err.Error() + "\n"; out.String() != want {
		t.Errorf("stderr %q, want %q", out.String(), want)
	}
}

// Messages are one line each, lowercase-led, without a trailing period.
func TestReportFormatsOneLine(t *testing.T) {
	out := captureStderr(t)
	if code := report(errors.New("cannot open FILE:/x.")); code != exitFailure {
		t.Errorf("exit status %d", code)
	}
	if want := "krenew: error: cannot open FILE:/x\n"; out.String() != want {
		t.Errorf("stderr %q, want %q", out.String(), want)
	}
}

// The pidfile's path is said once, not again by the daemon package.
func TestPidfileFailureNamesPathOnce(t *testing.T) {
	_, err := writePidfile("/nonexistent-dir/krenew.pid", 1)
	want := "cannot write pidfile /nonexistent-dir/krenew.pid: no such file or directory"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
}

// Hints that send the user the right way (issue 18).
func TestHintsPointTheRightWay(t *testing.T) {
	if h := noCacheFailure("FILE:/tmp/x").hint; !strings.Contains(h, "'krenew --once --init'") || strings.Contains(h, "'krenew --init'") {
		t.Errorf("no-cache hint %q: --init alone would start a daemon", h)
	}
	for installed, want := range map[string]string{"sssd": "sssd-kcm.socket", "heimdal": "heimdal-kcm", "": "install"} {
		if h := startKCMHint(installed); !strings.Contains(h, want) {
			t.Errorf("KCM hint with %q installed: %q, want %q in it", installed, h, want)
		}
	}
	err := &renew.Error{Kind: renew.KindKeytab, Principal: "host/vm@R", Err: errors.New("keytab /k has no usable key for host/vm@R")}
	if h := keytabFailure(err, true).hint; !strings.Contains(h, "-u") || !strings.Contains(h, "-U") || !strings.Contains(h, "host/vm@R") {
		t.Errorf("keytab hint without -u: %q", h)
	}
	if h := keytabFailure(err, false).hint; strings.Contains(h, "-U") {
		t.Errorf("keytab hint with -u names -U: %q", h)
	}
}
