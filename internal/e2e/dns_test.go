package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/krenew/krenew/internal/testkdc"
)

// netnsCommand is the prefix that runs a program in a new network
// namespace, whose only interface is a loopback that is down: nothing it
// sends can leave the process, let alone the machine. Without one the test
// cannot control DNS, so it is skipped, or fails when CI=true.
func netnsCommand(t *testing.T) []string {
	t.Helper()
	var tried []string
	// -r maps the caller to root in a user namespace, which lets a
	// non-root user create the network namespace where that is allowed.
	for _, prefix := range [][]string{{"unshare", "-n"}, {"unshare", "-r", "-n"}} {
		out, err := exec.Command(prefix[0], append(prefix[1:], "cat", "/proc/net/dev")...).CombinedOutput()
		if err != nil {
			tried = append(tried, strings.Join(prefix, " ")+": "+strings.TrimSpace(string(out)+" "+err.Error()))
			continue
		}
		// /proc/net/dev: two header lines, then one line per interface.
		var ifaces []string
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n")[2:] {
			name, _, _ := strings.Cut(strings.TrimSpace(l), ":")
			ifaces = append(ifaces, name)
		}
		if len(ifaces) != 1 || ifaces[0] != "lo" {
			t.Fatalf("%s: interfaces %q, want only lo", strings.Join(prefix, " "), ifaces)
		}
		return prefix
	}
	msg := "cannot create a network namespace (" + strings.Join(tried, "; ") + ")"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return nil
}

// A daemon whose KDCs come from DNS SRV records keeps retrying while DNS
// is down, as it does for a KDC that does not answer: a resolver outage is
// not a realm missing from krb5.conf.
func TestDaemonRetriesWhenKDCLookupInDNSFails(t *testing.T) {
	longTest(t)
	t.Parallel()
	netns := netnsCommand(t)
	k := testkdc.Start(t, testkdc.Options{MaxLife: 20 * time.Second, MaxRenewLife: 5 * time.Minute})
	cc, _ := cacheIn(t, "cc")
	mitKinit(t, k, cc, alice, testkdc.AlicePassword, "-l", "20s", "-r", "5m")
	first := testkdc.Klist(t, k, cc)

	// The realm has no kdc line, so krenew must ask DNS, and the resolver
	// of /etc/resolv.conf is out of reach in the namespace.
	conf := filepath.Join(t.TempDir(), "krb5.conf")
	text := "[libdefaults]\n default_realm = " + testkdc.Realm + "\n dns_lookup_kdc = true\n dns_lookup_realm = false\n" +
		"[realms]\n " + testkdc.Realm + " = {\n  admin_server = 127.0.0.1\n }\n"
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	env := append(k.Env(), "LC_ALL=C", "KRB5_CONFIG="+conf)
	argv := append(append([]string{}, netns...), krenewBin, "--foreground", "-k", cc)
	d := startBackground(t, env, "", argv...)

	// The renewal falls due at half the lifetime, 10s in; the backoff is
	// capped at lifetime/8 (2.5s) plus jitter, so a second attempt follows
	// within a few seconds unless the daemon has given up.
	due := time.Until(first.Start.Add(first.Lifetime() / 2))
	deadline := time.Now().Add(due + 10*time.Second)
	for d.count("retrying in") < 2 {
		select {
		case <-d.done:
			t.Fatalf("krenew exited with status %d after the DNS lookup failed, want it to retry:\n%s", d.code, d.text())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no two retries within %s of the renewal falling due:\n%s", due+10*time.Second, d.text())
		}
	}
	log := d.text()
	for _, want := range []string{testkdc.Realm, "DNS lookup", "_kerberos._udp." + testkdc.Realm + "."} {
		if !strings.Contains(log, want) {
			t.Errorf("the retry lines lack %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, "not configured") {
		t.Errorf("a DNS failure is reported as a configuration problem:\n%s", log)
	}
	if got := testkdc.Klist(t, k, cc); !got.Expires.Equal(first.Expires) {
		t.Errorf("the ticket changed without a KDC: expires %s, was %s", got.Expires, first.Expires)
	}
}
