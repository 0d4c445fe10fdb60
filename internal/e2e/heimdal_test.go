package e2e

// Issue 17, points 2 and 3, against a real Heimdal KDC (Debian's
// heimdal-kdc 7.8, unpacked privately by `make heimdal`): what it says of
// a disabled, expired or password-expired principal, and the last renewal,
// which it sends without renew-till and without the RENEWABLE flag.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/krenew/krenew/ccache"
	"github.com/krenew/krenew/internal/testkdc"
)

// heimdalKinit fills cache with a ticket from MIT's kinit, Heimdal's KDC
// serving it.
func heimdalKinit(t *testing.T, h *testkdc.Heimdal, cache string, args ...string) {
	t.Helper()
	cmd := h.Command(t, "kinit", append(append([]string{"-c", cache}, args...), h.Principal(testkdc.Alice))...)
	cmd.Stdin = strings.NewReader(testkdc.AlicePassword + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kinit: %v\n%s", err, out)
	}
}

// A principal Heimdal refuses: every mode ends at once with one message
// that names the principal and a hint that fits, and leaves the cache as
// it was. kstart's krenew, the peer, fails on the same ticket too.
func TestHeimdalRefusedAccount(t *testing.T) {
	t.Parallel()
	h := testkdc.StartHeimdal(t, testkdc.Options{MaxLife: time.Hour, MaxRenewLife: 10 * time.Hour})
	name := h.Principal(testkdc.Alice)
	kt := filepath.Join(h.Dir, "alice.keytab")
	h.Kadmin(t, "ext_keytab", "--keytab="+kt, testkdc.Alice)
	env := append(h.Env(), "LC_ALL=C")

	refusals := []struct {
		name          string
		refuse, allow []string // kadmin -l modify arguments
		msg           string   // the error line's words about the account
	}{
		// Heimdal says only KDC_ERR_POLICY, with no e-text.
		{"disabled (disallow-all-tix)", []string{"--attributes=+disallow-all-tix"}, []string{"--attributes=-disallow-all-tix"},
			"the account may be disabled or locked"},
		{"expired", []string{"--expiration-time=2020-01-01"}, []string{"--expiration-time=never"},
			"the account " + name + " has expired"},
		{"password expired", []string{"--pw-expiration-time=2020-01-01"}, []string{"--pw-expiration-time=never"},
			"the password of " + name + " has expired"},
	}
	modes := []struct {
		name    string
		renewal bool
		daemon  bool
		args    func(cc string) []string
	}{
		{"--once", true, false, func(cc string) []string { return []string{"--once", "-k", cc} }},
		{"daemon, forced renewal", true, true, func(cc string) []string { return []string{"--foreground", "-k", cc} }},
		{"--once --init", false, false, func(cc string) []string {
			return []string{"--once", "--init", "--password-stdin", "-u", name, "-k", cc}
		}},
		{"keytab daemon, new ticket", false, true, func(cc string) []string {
			return []string{"--foreground", "-f", kt, "-u", name, "-k", cc}
		}},
	}
	for _, r := range refusals {
		for _, m := range modes {
			what := fmt.Sprintf("%s, %s", r.name, m.name)
			cc, path := cacheIn(t, "cc")
			heimdalKinit(t, h, cc, "-l", "1h", "-r", "10h")
			if !m.renewal {
				dropTGTs(t, path) // nothing to renew: a new ticket must be asked for
			}
			before := readFile(t, path)
			h.Kadmin(t, append(append([]string{"modify"}, r.refuse...), testkdc.Alice)...)

			start := time.Now()
			b := startBackground(t, env, testkdc.AlicePassword+"\n", append([]string{krenewBin}, m.args(cc)...)...)
			if m.daemon && m.renewal {
				forceRenewalOnceStarted(t, b, what)
			}
			code := b.wait(t, 20*time.Second)
			took := time.Since(start)
			out := b.text()
			h.Kadmin(t, append(append([]string{"modify"}, r.allow...), testkdc.Alice)...)

			wantRefusedAtOnce(t, what, code, took, out, r.msg, name)
			if !m.daemon && !strings.Contains(out, "krenew: error: ") {
				t.Errorf("%s: no 'krenew: error:' line:\n%s", what, out)
			}
			if strings.Contains(out, "-l/-r") || strings.Contains(out, "0001-01-01") || strings.Contains(out, "retry") {
				t.Errorf("%s: a message that does not fit:\n%s", what, out)
			}
			if after := readFile(t, path); !bytes.Equal(after, before) {
				t.Errorf("%s: the failed run changed the cache", what)
			}
		}
	}

	// With a command, the refusal ends renewal, worded and hinted as for
	// the daemon, and krenew still waits for the command's status.
	cmdCC, _ := cacheIn(t, "command")
	heimdalKinit(t, h, cmdCC, "-l", "1h", "-r", "10h")
	h.Kadmin(t, "modify", "--attributes=+disallow-all-tix", testkdc.Alice)
	// The command starts once krenew catches its signals: its mark says
	// SIGALRM is safe to send.
	started := filepath.Join(t.TempDir(), "started")
	b := startBackground(t, env, "", krenewBin, "-k", cmdCC, "--", "sh", "-c", `: > "$0"; sleep 3; exit 3`, started)
	waitFor(t, "the command's start", 10*time.Second, func() bool { _, err := os.Stat(started); return err == nil || b.exited() })
	_ = b.cmd.Process.Signal(syscall.SIGALRM)
	code := b.wait(t, 20*time.Second)
	h.Kadmin(t, "modify", "--attributes=-disallow-all-tix", testkdc.Alice)
	if out := b.text(); code != 3 || strings.Count(out, "the account may be disabled or locked; no longer renewing the ticket of "+name+" for sh") != 1 ||
		!strings.Contains(out, "hint: ask your Kerberos administrator whether "+name) {
		t.Errorf("command mode: exit %d, want the command's 3 and the refusal logged once with its hint:\n%s", code, out)
	}

	// The peer: kstart's krenew fails on a disabled principal's ticket too.
	cc, path := cacheIn(t, "peer")
	heimdalKinit(t, h, cc, "-l", "1h", "-r", "10h")
	before := readFile(t, path)
	h.Kadmin(t, "modify", "--attributes=+disallow-all-tix", testkdc.Alice)
	peer := h.Command(t, kstartKrenew, "-k", cc)
	out, err := peer.CombinedOutput()
	if err == nil {
		t.Errorf("oracle: kstart's krenew renewed a disabled principal's ticket:\n%s", out)
	}
	if !bytes.Equal(readFile(t, path), before) {
		t.Error("oracle: kstart's krenew changed the cache")
	}
	if log := h.Log(); !strings.Contains(log, "invalid bit set") {
		t.Errorf("Heimdal did not log why it refused the disabled principal:\n%s", log)
	}
}

// Heimdal's last renewal reaches renew-till and comes without renew-till
// and without the RENEWABLE flag. The daemon logs it as the end of the
// renewable lifetime (no "never", no year 1, no odd-reply warning) and
// exits 0 as at renew-till; the cache stays usable for MIT's tools; and
// --status and --once say the renewable lifetime is used up.
func TestHeimdalLastRenewal(t *testing.T) {
	t.Parallel()
	h := testkdc.StartHeimdal(t, testkdc.Options{MaxLife: time.Hour, MaxRenewLife: 10 * time.Hour})
	env := append(h.Env(), "LC_ALL=C", "TZ=UTC")
	cc, path := cacheIn(t, "cc")
	heimdalKinit(t, h, cc, "-l", "10s", "-r", "11s")
	initial, err := ccache.Parse(readFile(t, path))
	if err != nil {
		t.Fatal(err)
	}
	first, _ := initial.FindTGT()
	// Two seconds later a renewal's full lifetime passes renew-till, so
	// Heimdal caps it there: the last renewal.
	time.Sleep(2100 * time.Millisecond)

	b := startBackground(t, env, "", krenewBin, "--foreground", "-k", cc)
	forceRenewalOnceStarted(t, b, "the last renewal")
	if code := b.wait(t, 20*time.Second); code != 0 {
		t.Fatalf("daemon exit status %d, want 0 at the end of the renewable lifetime:\n%s", code, b.text())
	}
	log := b.text()
	end := first.RenewTill.UTC().Format("2006-01-02 15:04:05 UTC")
	if !strings.Contains(log, "renewed "+h.Principal(testkdc.Alice)+": valid until "+end) ||
		!strings.Contains(log, "renewable lifetime of "+h.Principal(testkdc.Alice)+" ends at "+end+"; exiting") {
		t.Errorf("the daemon did not log the last renewal up to %s and its exit:\n%s", end, log)
	}
	for _, bad := range []string{"never", "0001", "no longer renewable", "not asking again"} {
		if strings.Contains(log, bad) {
			t.Errorf("the daemon's log says %q:\n%s", bad, log)
		}
	}

	c, err := ccache.Parse(readFile(t, path))
	if err != nil {
		t.Fatal(err)
	}
	tgt, ok := c.FindTGT()
	if !ok {
		t.Fatal("no TGT after the last renewal")
	}
	if tgt.Flags&ccache.FlagRenewable != 0 || !tgt.EndTime.Equal(first.RenewTill) || !tgt.StartTime.After(tgt.AuthTime) {
		t.Errorf("not Heimdal's last renewal: flags %#x, start %v, end %v (renew-till was %v)", tgt.Flags, tgt.StartTime, tgt.EndTime, first.RenewTill)
	}
	if !tgt.RenewTill.Equal(tgt.EndTime) {
		t.Errorf("stored renew-till %v, want the end %v", tgt.RenewTill, tgt.EndTime)
	}
	// MIT's tools read it and use it while it lasts.
	for _, argv := range [][]string{{"klist", "-c", cc}, {"kvno", "-c", cc, testkdc.Service + "@" + h.Realm}} {
		out, err := h.Command(t, argv[0], argv[1:]...).CombinedOutput()
		if err != nil || strings.Contains(string(out), "1970") {
			t.Errorf("%s on the cache: %v\n%s", argv[0], err, out)
		}
	}

	status, err := h.Command(t, krenewBin, "--status", "-k", cc).CombinedOutput()
	if err != nil || !strings.Contains(string(status), "renewable lifetime used up") || strings.Contains(string(status), "never") {
		t.Errorf("--status does not say the renewable lifetime is used up (%v):\n%s", err, status)
	}
	js, _ := h.Command(t, krenewBin, "--status", "--json", "-k", cc).Output()
	var st struct {
		Renewable bool    `json:"renewable"`
		RenewTill *string `json:"renew_till"`
		Expires   string  `json:"expires"`
	}
	if err := json.Unmarshal(js, &st); err != nil || st.Renewable || st.RenewTill == nil || *st.RenewTill != st.Expires {
		t.Errorf("--status --json: renewable and renew_till should say no renewal is left (%v):\n%s", err, js)
	}

	before := readFile(t, path)
	once := h.Command(t, krenewBin, "--once", "-k", cc)
	out, err := once.CombinedOutput()
	if code, _ := exitStatus(err); code != 1 || !strings.Contains(string(out), "krenew: error: the ticket of "+h.Principal(testkdc.Alice)+" in "+cc+" cannot be renewed again: its renewable lifetime is used up") ||
		!strings.Contains(string(out), "krenew: hint: run 'krenew --init'") {
		t.Errorf("--once on the last renewal: exit %d:\n%s", code, out)
	}
	if !bytes.Equal(readFile(t, path), before) {
		t.Error("--once changed the cache")
	}
	// The peer refuses the same ticket.
	if out, err := h.Command(t, kstartKrenew, "-k", cc).CombinedOutput(); err == nil {
		t.Errorf("oracle: kstart's krenew renewed Heimdal's last renewal:\n%s", out)
	}
	// Heimdal's own reader lists the cache and gets a service ticket with
	// the last renewal, as MIT's does.
	out, err = h.HeimdalTool("heimtools", "klist", "-v", "-c", cc).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Server: krbtgt/"+h.Realm+"@"+h.Realm) {
		t.Errorf("Heimdal's klist -v on the cache: %v\n%s", err, out)
	}
	if out, err := h.HeimdalTool("kgetcred", "-c", cc, testkdc.Service+"@"+h.Realm).CombinedOutput(); err != nil {
		t.Errorf("Heimdal's kgetcred with the cache: %v\n%s", err, out)
	}
}
