package e2e

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/krenew/krenew/internal/testkdc"
)

// statusJSON runs krenew --status --json and decodes its one object.
func statusJSON(t *testing.T, k *testkdc.KDC, cc string) (map[string]any, result) {
	t.Helper()
	r := krenew(t, k, "", "--status", "--json", "-k", cc)
	if strings.Count(r.stdout, "\n") != 1 {
		t.Fatalf("want one line of JSON on stdout, got %q", r.stdout)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &m); err != nil {
		t.Fatalf("stdout is not a JSON object: %v\n%s", err, r.stdout)
	}
	return m, r
}

// jsonTime reads an RFC 3339 time of the object.
func jsonTime(t *testing.T, m map[string]any, key string) time.Time {
	t.Helper()
	s, ok := m[key].(string)
	if !ok {
		t.Fatalf("%s = %#v, want an RFC 3339 time", key, m[key])
	}
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return tm
}

func sameTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if d := got.Sub(want); d < -time.Second || d > time.Second {
		t.Errorf("%s = %s, klist says %s", what, got, want)
	}
}

// With a daemon renewing the cache, --status --json names its pid and
// the renewal it has planned; the times are MIT klist's, and the exit
// status is klist -s's.
func TestStatusJSONWithDaemon(t *testing.T) {
	k := testkdc.Start(t, testkdc.Options{})
	cc, _ := cacheIn(t, "cc")
	pid := startDaemon(t, k, testkdc.AlicePassword+"\n", "--password-stdin", "-u", "alice", "-k", cc, "-l", "1h", "-r", "1d")
	m, r := statusJSON(t, k, cc)
	if r.code != 0 || klistS(t, k, cc) != 0 || r.stderr != "" {
		t.Errorf("exit %d (klist -s %d), stderr %q", r.code, klistS(t, k, cc), r.stderr)
	}
	tk := testkdc.Klist(t, k, cc)
	if m["principal"] != alice || m["cache"] != cc || m["type"] != "FILE" || m["valid"] != true || m["tgt"] != true || m["renewable"] != true {
		t.Errorf("object %v", m)
	}
	if got, ok := m["renewed_by"].(float64); !ok || int(got) != pid {
		t.Errorf("renewed_by = %#v, want the daemon's pid %d", m["renewed_by"], pid)
	}
	sameTime(t, "expires", jsonTime(t, m, "expires"), tk.Expires)
	sameTime(t, "renew_till", jsonTime(t, m, "renew_till"), tk.RenewUntil)
	// Half the hour's lifetime, as the daemon plans it (jitter aside).
	if next := jsonTime(t, m, "next_renewal"); next.Before(tk.Start) || next.After(tk.Expires) {
		t.Errorf("next_renewal %s is not within the ticket's life %s..%s", next, tk.Start, tk.Expires)
	}
	if m["last_error"] != nil || m["error"] != nil {
		t.Errorf("last_error %#v, error %#v; want null", m["last_error"], m["error"])
	}
}

// Without a daemon (a kinit ticket), renewed_by and next_renewal are null
// and the status is still 0.
func TestStatusJSONWithoutDaemon(t *testing.T) {
	k := testkdc.Start(t, testkdc.Options{})
	cc, _ := cacheIn(t, "cc")
	mitKinit(t, k, cc, alice, testkdc.AlicePassword, "-l", "1h", "-r", "1d")
	m, r := statusJSON(t, k, cc)
	if r.code != 0 || r.stderr != "" {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	tk := testkdc.Klist(t, k, cc)
	sameTime(t, "expires", jsonTime(t, m, "expires"), tk.Expires)
	sameTime(t, "renew_till", jsonTime(t, m, "renew_till"), tk.RenewUntil)
	for _, key := range []string{"renewed_by", "next_renewal", "last_error", "error"} {
		if m[key] != nil {
			t.Errorf("%s = %#v, want null without a daemon", key, m[key])
		}
	}
}

// No cache: exit 1 as klist -s, the error line on stderr, and the object
// on stdout all the same, with error set and the ticket's keys null.
func TestStatusJSONWithoutCache(t *testing.T) {
	k := testkdc.Start(t, testkdc.Options{})
	cc, _ := cacheIn(t, "none")
	m, r := statusJSON(t, k, cc)
	if klistS(t, k, cc) == 0 {
		t.Fatal("klist -s finds a ticket in a cache that does not exist")
	}
	wantOneError(t, r, 1, "no credential cache at "+cc)
	if m["valid"] != false || m["expires"] != nil || m["renew_till"] != nil || m["renewed_by"] != nil || m["cache"] != cc {
		t.Errorf("object %v", m)
	}
	if e, _ := m["error"].(string); e != "no credential cache at "+cc {
		t.Errorf("error = %#v", m["error"])
	}
}

// The monitoring check krenew(1) shows works as written: it passes for a
// ticket renewable for a week and alerts for one renewable for an hour.
func TestStatusJSONMonitoringExample(t *testing.T) {
	if _, err := exec.LookPath("jq"); err != nil {
		missing(t, "jq", "jq (for the man page's monitoring example)")
	}
	k := testkdc.Start(t, testkdc.Options{})
	check := `krenew --status --json -k "$CC" | jq -e '.renew_till != null and (.renew_till | fromdate) - now > 86400' >/dev/null`
	for _, tc := range []struct {
		renewable string
		ok        bool
	}{{"7d", true}, {"1h", false}} {
		cc, _ := cacheIn(t, "cc")
		mitKinit(t, k, cc, alice, testkdc.AlicePassword, "-l", "1h", "-r", tc.renewable)
		cmd := exec.Command("sh", "-c", check)
		cmd.Env = append(k.Env(), "CC="+cc, "PATH="+strings.TrimSuffix(krenewBin, "/krenew")+":/usr/bin:/bin")
		out, err := cmd.CombinedOutput()
		// jq -e exits 1 for false; anything else (4: no input) would mean
		// the check is broken, not alerting.
		if code, _ := exitStatus(err); tc.ok && code != 0 || !tc.ok && code != 1 {
			t.Errorf("renewable %s: check exit %d, want %d\n%s", tc.renewable, code, map[bool]int{true: 0, false: 1}[tc.ok], out)
		}
	}
}
