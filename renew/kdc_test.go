package renew

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/krenew/krenew/ccache"
	"github.com/krenew/krenew/internal/testkdc"
	"github.com/krenew/krenew/renew/krb5conf"
)

func clientFor(t *testing.T, k *testkdc.KDC) *Client {
	t.Helper()
	conf, err := krb5conf.Parse([]string{k.Krb5Conf})
	if err != nil {
		t.Fatal(err)
	}
	return &Client{Conf: conf}
}

func initial(t *testing.T, c *Client, name, password string, life, rlife time.Duration) (ccache.Credential, error) {
	t.Helper()
	p, err := ParsePrincipal(name, c.Conf.DefaultRealm)
	if err != nil {
		t.Fatal(err)
	}
	pw := []byte(password)
	return c.Initial(context.Background(), InitialRequest{Principal: p, Lifetime: life, Renewable: rlife}, pw)
}

func TestInitialAndRenewAgainstMITKDC(t *testing.T) {
	for _, preauth := range []bool{true, false} {
		k := testkdc.Start(t, testkdc.Options{NoPreauth: !preauth})
		c := clientFor(t, k)
		before := time.Now().Truncate(time.Second)
		cred, err := initial(t, c, "alice", testkdc.AlicePassword, time.Hour, 3*time.Hour)
		if err != nil {
			t.Fatalf("preauth=%v: %v", preauth, err)
		}
		t.Logf("preauth=%v: %+v", preauth, cred)
		if !cred.HasFlags(ccache.FlagRenewable | ccache.FlagInitial) {
			t.Errorf("flags %#x lack renewable|initial", cred.Flags)
		}
		if preauth && !cred.HasFlags(ccache.FlagPreAuth) {
			t.Errorf("flags %#x lack pre-authent", cred.Flags)
		}
		if d := cred.EndTime.Sub(before); d < time.Hour-time.Minute || d > time.Hour+time.Minute {
			t.Errorf("end %s is not an hour away", cred.EndTime)
		}
		if d := cred.RenewTill.Sub(before); d < 3*time.Hour-time.Minute || d > 3*time.Hour+time.Minute {
			t.Errorf("renew-till %s is not 3 hours away", cred.RenewTill)
		}
		time.Sleep(1100 * time.Millisecond)
		renewed, err := c.Renew(context.Background(), cred)
		if err != nil {
			t.Fatalf("renew: %v", err)
		}
		if !renewed.StartTime.After(cred.StartTime) || !renewed.RenewTill.Equal(cred.RenewTill) || !renewed.Client.Equal(cred.Client) {
			t.Errorf("renewed %+v from %+v", renewed, cred)
		}
	}
}

func TestInitialErrors(t *testing.T) {
	k := testkdc.Start(t, testkdc.Options{})
	c := clientFor(t, k)
	cases := []struct {
		name, password string
		kind           Kind
	}{
		{"alice", "wrong", KindWrongPassword},
		{"nobody", "x", KindUnknownPrincipal},
		{"alice@NO.SUCH.REALM", "x", KindRealmNotConfigured},
	}
	for _, tc := range cases {
		_, err := initial(t, c, tc.name, tc.password, time.Hour, 2*time.Hour)
		if KindOf(err) != tc.kind {
			t.Errorf("%s: error %v (kind %d), want kind %d", tc.name, err, KindOf(err), tc.kind)
		}
	}
	k.Stop()
	_, err := initial(t, c, "alice", testkdc.AlicePassword, time.Hour, 2*time.Hour)
	if KindOf(err) != KindKDCUnreachable {
		t.Errorf("stopped KDC: %v", err)
	}
}

// TCP only (udp_preference_limit = 1, what FreeIPA-like sites do) and
// per-realm libdefaults (forwardable inside the realm's subsection) both
// reach the KDC.
func TestInitialOverTCPWithRealmLibdefaults(t *testing.T) {
	k := testkdc.Start(t, testkdc.Options{})
	base, err := os.ReadFile(k.Krb5Conf)
	if err != nil {
		t.Fatal(err)
	}
	conf := t.TempDir() + "/krb5.conf"
	extra := "\n[libdefaults]\n udp_preference_limit = 1\n " + testkdc.Realm + " = {\n  forwardable = true\n }\n"
	if err := os.WriteFile(conf, append(base, extra...), 0o644); err != nil {
		t.Fatal(err)
	}
	parsed, err := krb5conf.Parse([]string{conf})
	if err != nil {
		t.Fatal(err)
	}
	c := &Client{Conf: parsed}
	cred, err := initial(t, c, "alice", testkdc.AlicePassword, time.Hour, 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !cred.HasFlags(ccache.FlagForwardable) {
		t.Errorf("flags %#x: forwardable from the realm subsection was not requested", cred.Flags)
	}
	if _, err := c.Renew(context.Background(), cred); err != nil {
		t.Fatalf("renew over TCP: %v", err)
	}
	if !strings.Contains(k.Log(), "TCP") && !strings.Contains(k.Log(), "tcp") {
		t.Logf("KDC log does not say which transport was used:\n%s", k.Log())
	}
}

// At a terminal krenew probes the principal before the prompt; the AS
// exchange after it then starts pre-authenticated, so a new ticket costs
// the two AS requests kinit sends, not three. A wrong password still costs
// one failed pre-authentication (lockout counts those), and a KDC that
// asks for none gets the plain exchange.
func TestInitialAfterProbeSendsWhatKinitSends(t *testing.T) {
	for _, preauth := range []bool{true, false} {
		k := testkdc.Start(t, testkdc.Options{NoPreauth: !preauth})
		c := clientFor(t, k)
		p, err := ParsePrincipal("alice", c.Conf.DefaultRealm)
		if err != nil {
			t.Fatal(err)
		}
		r := InitialRequest{Principal: p, Lifetime: time.Hour, Renewable: 2 * time.Hour}
		count := func(what string) int { return strings.Count(k.Log(), what) }
		ctx := context.Background()

		before := count("AS_REQ")
		if _, _, code := k.RunStdin(t, testkdc.AlicePassword+"\n", "kinit", "-c", "FILE:"+k.Dir+"/kinit.cc", "alice"); code != 0 {
			t.Fatalf("kinit: exit %d", code)
		}
		kinit := count("AS_REQ") - before

		before = count("AS_REQ")
		probe, err := c.CheckPrincipal(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		cred, err := c.InitialAfter(ctx, probe, r, []byte(testkdc.AlicePassword))
		if err != nil {
			t.Fatalf("preauth=%v: %v", preauth, err)
		}
		if n := count("AS_REQ") - before; n != kinit {
			t.Errorf("preauth=%v: %d AS requests with the probe, kinit sends %d\n%s", preauth, n, kinit, k.Log())
		}
		if preauth && !cred.HasFlags(ccache.FlagPreAuth) {
			t.Errorf("flags %#x lack pre-authent", cred.Flags)
		}

		// A user who takes ten minutes to type the password: the ticket
		// comes from the request after the prompt, and is no clock skew;
		// without pre-authentication, the ticket sent with the probe is
		// that old, and a new one is asked for.
		probe, err = c.CheckPrincipal(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		probe.sent = probe.sent.Add(-10 * time.Minute)
		late, err := c.InitialAfter(ctx, probe, r, []byte(testkdc.AlicePassword))
		if err != nil {
			t.Errorf("preauth=%v, after a slow prompt: %v", preauth, err)
		} else if late.AuthTime.Before(time.Now().Add(-time.Minute)) {
			t.Errorf("preauth=%v, after a slow prompt: a ticket issued at %v", preauth, late.AuthTime)
		}

		before, failed := count("AS_REQ"), count("PREAUTH_FAILED")
		probe, err = c.CheckPrincipal(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.InitialAfter(ctx, probe, r, []byte("wrong")); KindOf(err) != KindWrongPassword {
			t.Errorf("preauth=%v, wrong password: %v", preauth, err)
		}
		wantFailed := 0 // without pre-authentication only the reply tells
		if preauth {
			wantFailed = 1
		}
		if n, f := count("AS_REQ")-before, count("PREAUTH_FAILED")-failed; n != kinit || f != wantFailed {
			t.Errorf("preauth=%v, wrong password: %d AS requests, %d failed pre-authentications, want %d and %d", preauth, n, f, kinit, wantFailed)
		}
	}
}
