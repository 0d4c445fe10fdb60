package e2e

// Issue 17, points 2 and 3: the reply shapes Heimdal and Samba AD produce
// and MIT's test KDC does not. A disabled or expired account (KRB-ERROR 18
// and 23, and 18 with AD's NTSTATUS e-data) served by a forged-reply KDC
// on 127.0.0.1; the last renewal without renew-till from a proxy in front
// of the real test KDC.

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"

	"github.com/krenew/krenew/ccache"
	"github.com/krenew/krenew/internal/testkdc"
)

// adEData is the e-data AD sends with a refusal: KERB-ERROR-DATA of type
// KERB_ERR_TYPE_EXTENDED whose value is the NTSTATUS, reserved, flags.
func adEData(t *testing.T, status uint32) []byte {
	t.Helper()
	v := make([]byte, 12)
	binary.LittleEndian.PutUint32(v, status)
	binary.LittleEndian.PutUint32(v[8:], 1)
	b, err := asn1.Marshal(struct {
		DataType  int32  `asn1:"explicit,tag:1"`
		DataValue []byte `asn1:"explicit,tag:2"`
	}{3, v})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A refused account, whatever the mode: one error naming the principal,
// exit 1 at once (the daemon too: no retry, no hang), and no hint about
// -l/-r, which shaped none of these requests... except a new ticket's,
// where the hint still must not blame the lifetime.
func TestAccountRefused(t *testing.T) {
	t.Parallel()
	kdc := startHostileKDC(t)
	env := append(os.Environ(), "LC_ALL=C", "KRB5_CONFIG="+kdc.conf(t), "KRB5CCNAME=FILE:/nonexistent/cc")
	alice := ccache.Principal{NameType: ccache.NameTypePrincipal, Realm: hostileRealm, Components: []string{"alice"}}
	name := "alice@" + hostileRealm

	kt := keytab.New()
	if err := kt.AddEntry("alice", hostileRealm, "pw", time.Now(), 1, etypeID.AES256_CTS_HMAC_SHA1_96); err != nil {
		t.Fatal(err)
	}
	ktb, err := kt.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	ktPath := filepath.Join(t.TempDir(), "alice.keytab")
	if err := os.WriteFile(ktPath, ktb, 0o600); err != nil {
		t.Fatal(err)
	}

	refusals := []struct {
		name  string
		code  int32
		edata []byte
		msg   string // what the error line must say about the account
	}{
		{"KDC_ERR_CLIENT_REVOKED", errorcode.KDC_ERR_CLIENT_REVOKED, nil, "the account " + name + " is disabled, locked or expired"},
		{"KDC_ERR_KEY_EXPIRED", errorcode.KDC_ERR_KEY_EXPIRED, nil, "the password of " + name + " has expired"},
		{"AD's KDC_ERR_CLIENT_REVOKED, STATUS_ACCOUNT_DISABLED", errorcode.KDC_ERR_CLIENT_REVOKED, adEData(t, 0xC0000072), "the account " + name + " is disabled"},
		{"AD's KDC_ERR_CLIENT_REVOKED, STATUS_ACCOUNT_EXPIRED", errorcode.KDC_ERR_CLIENT_REVOKED, adEData(t, 0xC0000193), "the account " + name + " has expired"},
	}
	modes := []struct {
		name string
		args func(t *testing.T) []string
	}{
		{"--once renewal", func(t *testing.T) []string {
			return []string{"--once", "-k", "FILE:" + hostileTGTCache(t, alice)}
		}},
		{"daemon renewal", func(t *testing.T) []string {
			return []string{"--foreground", "-k", "FILE:" + hostileTGTCache(t, alice)}
		}},
		{"keytab daemon, renewal", func(t *testing.T) []string {
			return []string{"--foreground", "-f", ktPath, "-u", name, "-k", "FILE:" + hostileTGTCache(t, alice)}
		}},
		{"--init with a password", func(t *testing.T) []string {
			return []string{"--once", "--init", "--password-stdin", "-u", name, "-k", "FILE:" + filepath.Join(t.TempDir(), "cc")}
		}},
		{"keytab daemon, new ticket", func(t *testing.T) []string {
			return []string{"--foreground", "-f", ktPath, "-u", name, "-k", "FILE:" + filepath.Join(t.TempDir(), "cc")}
		}},
	}
	for _, r := range refusals {
		kdc.answer(t, r.code, "", r.edata)
		for _, m := range modes {
			before := kdc.seen.Load()
			start := time.Now()
			code, out, err := faultExec(env, t.TempDir(), "password\n", m.args(t)...)
			took := time.Since(start)
			what := fmt.Sprintf("%s, %s", r.name, m.name)
			daemon := strings.Contains(m.name, "daemon")
			if daemon { // it logs once started, as a detached one would
				if err != nil || code != 1 {
					t.Errorf("%s: exit status %d (%v), want 1\n%s", what, code, err, out)
				}
				if !strings.Contains(out, r.msg) || !strings.Contains(out, "hint: ") || strings.Count(out, r.msg) != 1 {
					t.Errorf("%s: no log line %q with a hint:\n%s", what, r.msg, out)
				}
			} else {
				if v := faultVerdict(code, out, err, 1); v != "" {
					t.Errorf("%s: %s\n%s", what, v, out)
					continue
				}
				if !strings.Contains(out, "krenew: error: "+r.msg) || !strings.Contains(out, "krenew: hint: ") {
					t.Errorf("%s: no error %q with a hint:\n%s", what, r.msg, out)
				}
			}
			if strings.Contains(out, "-l/-r") || strings.Contains(out, "0001-01-01") {
				t.Errorf("%s: a hint that does not fit:\n%s", what, out)
			}
			if n := kdc.seen.Load() - before; n != 1 || took > 10*time.Second {
				t.Errorf("%s: %d requests in %s, want one refusal and exit at once:\n%s", what, n, took.Round(time.Millisecond), out)
			}
		}
	}
}

// The last renewal from Heimdal or Samba AD carries the RENEWABLE flag but
// no renew-till (it is OPTIONAL, RFC 4120 5.4.2). krenew stores it as
// renewable to its end, says so in --status, never writes or prints year
// 1, and the daemon ends as when renew-till is reached.
func TestRenewalWithoutRenewTill(t *testing.T) {
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	kt := krbtgtKeytab(t, k)
	p := startHostileProxy(t, k, kt, func(view, enc *messages.EncKDCRepPart, _ *messages.TGSRep) {
		enc.RenewTill = time.Time{}
	})
	base := string(readFile(t, k.Krb5Conf))
	real := fmt.Sprintf("kdc = 127.0.0.1:%d", k.Port)
	conf := filepath.Join(t.TempDir(), "krb5.conf")
	if err := os.WriteFile(conf, []byte(strings.Replace(base, real, "kdc = "+p.addr, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	env := append(k.Env(), "LC_ALL=C", "KRB5_CONFIG="+conf)
	cc, path := cacheIn(t, "cc")
	mitKinit(t, k, cc, testkdc.Alice, testkdc.AlicePassword, "-l", "1h", "-r", "10h")
	// A renewal starts after the authentication: within its second, it
	// would pass for the ticket kinit got.
	time.Sleep(1100 * time.Millisecond)

	// The daemon holds the ticket; SIGALRM forces the renewal whose reply
	// has no renew-till, after which it must end as at renew-till.
	b := startBackground(t, env, "", krenewBin, "--foreground", "-k", cc)
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(b.text(), "renewing "); {
		if time.Now().After(deadline) || b.exited() {
			t.Fatalf("the daemon did not start:\n%s", b.text())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := b.cmd.Process.Signal(syscall.SIGALRM); err != nil {
		t.Fatal(err)
	}
	if code := b.wait(t, 20*time.Second); code != 0 {
		t.Errorf("daemon exit status %d, want 0 as at renew-till:\n%s", code, b.text())
	}
	if text := b.text(); !strings.Contains(text, "renewable lifetime") || strings.Contains(text, "0001") {
		t.Errorf("the daemon did not say it is at the end of the renewable lifetime:\n%s", text)
	}
	if p.tgs.Load() == 0 {
		t.Fatal("the renewal did not pass the proxy")
	}

	c, err := ccache.Parse(readFile(t, path))
	if err != nil {
		t.Fatal(err)
	}
	tgt, ok := c.FindTGT()
	if !ok {
		t.Fatal("no TGT after the renewal")
	}
	if !tgt.RenewTill.Equal(tgt.EndTime) || tgt.Flags&ccache.FlagRenewable == 0 {
		t.Errorf("renewal without renew-till stored as renew-till %v, end %v, flags %#x", tgt.RenewTill, tgt.EndTime, tgt.Flags)
	}
	klist, _, _ := k.Run(t, "klist", "-c", cc)
	if strings.Contains(klist, "1970") || strings.Contains(klist, "0001") {
		t.Errorf("klist shows a zero time:\n%s", klist)
	}

	_, status, err := faultExec(env, t.TempDir(), "", "--status", "-k", cc)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(status, "renewable lifetime used up") || strings.Contains(status, "0001") {
		t.Errorf("--status does not say the ticket cannot be renewed further:\n%s", status)
	}
}
