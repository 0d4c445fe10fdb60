package cli

import (
	"bytes"
	"errors"
	"fmt"
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

// A cache, collection directory or primary file krenew will not use is
// named with its owner and what to do; root hears about -k only when it
// did not use it, and the failure is one a keytab run does not go past.
func TestUnsafeCacheFailure(t *testing.T) {
	for _, tc := range []struct {
		name     string
		cache    string
		e        ccache.UnsafeError
		explicit bool
		msg      string
		hint     []string
		notHint  string
	}{
		{"planted cache", "FILE:/tmp/krb5cc_1000",
			ccache.UnsafeError{Path: "/tmp/krb5cc_1000", Role: "credential cache", Reason: ccache.NotOwned, Owner: 4242, User: 1000, Mode: 0o644}, false,
			"refusing credential cache FILE:/tmp/krb5cc_1000: it is owned by uid 4242, not by uid 1000",
			[]string{"another user may have put it there", "-k or KRB5CCNAME"}, "as root"},
		{"planted cache for root", "FILE:/tmp/krb5cc_0",
			ccache.UnsafeError{Path: "/tmp/krb5cc_0", Role: "credential cache", Reason: ccache.NotOwned, Owner: 4242, User: 0, Mode: 0o600}, false,
			"refusing credential cache FILE:/tmp/krb5cc_0: it is owned by uid 4242, not by uid 0 (root)",
			[]string{"as root, name it with -k"}, ""},
		{"another user's collection", "",
			ccache.UnsafeError{Path: "/tmp/cc", Role: "credential cache directory", Reason: ccache.NotOwned, Owner: 4242, User: 1000}, false,
			"refusing credential cache directory /tmp/cc: it is owned by uid 4242",
			[]string{"name another cache"}, ""},
		{"writable cache, root with -k", "FILE:/tmp/cc",
			ccache.UnsafeError{Path: "/tmp/cc", Role: "credential cache", Reason: ccache.WritableByOthers, Owner: 4242, User: 0, Mode: 0o666}, true,
			"refusing credential cache FILE:/tmp/cc: other users than its owner can write to it (mode 0666)",
			[]string{"chmod go-w /tmp/cc"}, "as root"},
		{"linked primary", "",
			ccache.UnsafeError{Path: "/tmp/cc/primary", Role: "primary file", Reason: ccache.Symlink, User: 1000}, false,
			"refusing /tmp/cc/primary, the primary file of credential cache collection /tmp/cc: it is a symbolic link",
			[]string{"replace the link"}, ""},
	} {
		f := unsafeCacheFailure(tc.cache, &tc.e, tc.explicit)
		if !strings.HasPrefix(f.msg, tc.msg) {
			t.Errorf("%s: message %q, want %q", tc.name, f.msg, tc.msg)
		}
		for _, h := range tc.hint {
			if !strings.Contains(f.hint, h) {
				t.Errorf("%s: hint %q lacks %q", tc.name, f.hint, h)
			}
		}
		if tc.notHint != "" && strings.Contains(f.hint, tc.notHint) {
			t.Errorf("%s: hint %q has %q", tc.name, f.hint, tc.notHint)
		}
		if !refused(f) || f.exitCode() != exitFailure {
			t.Errorf("%s: not a refusal with exit 1", tc.name)
		}
	}
	// The same failure, found while resolving the name.
	err := fmt.Errorf("cache name %q from KRB5CCNAME: %w", "DIR:/tmp/cc", &ccache.UnsafeError{Path: "/tmp/cc", Role: "credential cache directory", Reason: ccache.NotOwned, Owner: 4242, User: 1000})
	if f := cacheNameFailure(err, false); !refused(f) || !strings.Contains(f.msg, "refusing credential cache directory /tmp/cc") {
		t.Errorf("cacheNameFailure: %q", f.msg)
	}
}
