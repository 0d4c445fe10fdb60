package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/krenew/krenew/ccache"
)

// inProcess runs krenew's main in this process with the given krb5.conf
// realm and returns its exit status, stdout and stderr.
func inProcess(t *testing.T, args ...string) (code int, out, errOut string) {
	t.Helper()
	return inProcessConf(t, "", args...)
}

// inProcessConf is inProcess with more krb5.conf after the default realm.
func inProcessConf(t *testing.T, more string, args ...string) (code int, out, errOut string) {
	t.Helper()
	conf := filepath.Join(t.TempDir(), "krb5.conf")
	if err := os.WriteFile(conf, []byte("[libdefaults]\n default_realm = EXAMPLE.TEST\n"+more), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KRB5_CONFIG", conf)
	t.Setenv("KRB5CCNAME", "")
	var o, e bytes.Buffer
	oldOut, oldErr := stdout, stderr
	stdout, stderr = &o, &e
	defer func() { stdout, stderr = oldOut, oldErr }()
	code = run(append([]string{"krenew"}, args...))
	return code, o.String(), e.String()
}

func writeCache(t *testing.T, creds ...ccache.Credential) string {
	t.Helper()
	c := &ccache.Cache{Version: 4, DefaultPrincipal: alice}
	for _, cr := range creds {
		c.PutCredential(cr)
	}
	store, err := ccache.CreatePrivate(t.TempDir(), "krb5cc_test_", c)
	if err != nil {
		t.Fatal(err)
	}
	return store.Path
}

var (
	alice  = ccache.Principal{Realm: "EXAMPLE.TEST", Components: []string{"alice"}}
	krbtgt = ccache.Principal{Realm: "EXAMPLE.TEST", Components: []string{"krbtgt", "EXAMPLE.TEST"}}
	http   = ccache.Principal{Realm: "EXAMPLE.TEST", Components: []string{"HTTP", "web.example.test"}}
)

func ticket(server ccache.Principal, start time.Time, life, renewable time.Duration) ccache.Credential {
	cr := ccache.Credential{Client: alice, Server: server, AuthTime: start, StartTime: start,
		EndTime: start.Add(life), Ticket: []byte("opaque"), Key: ccache.KeyBlock{EType: 18, Value: make([]byte, 32)}}
	if renewable > 0 {
		cr.RenewTill = start.Add(renewable)
		cr.Flags = ccache.FlagRenewable
	}
	return cr
}

func TestStatusOfAValidTicket(t *testing.T) {
	start := time.Now().Add(-time.Hour).Truncate(time.Second)
	tgt := ticket(krbtgt, start, 10*time.Hour, 7*24*time.Hour)
	path := writeCache(t, tgt)
	code, out, errOut := inProcess(t, "--status", "-k", "FILE:"+path)
	if code != exitOK || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{
		"principal:     alice@EXAMPLE.TEST\n",
		"cache:         FILE:" + path + "\n",
		"expires:       " + when(tgt.EndTime) + " (in ",
		"renew until:   " + when(tgt.RenewTill) + " (",
		"next renewal:  none planned (would be due ",
		"renewed by:    no krenew daemon\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("--status output lacks %q:\n%s", want, out)
		}
	}
}

// klist -s semantics: an expired TGT is exit 1, with the status still shown
// and no error line, as the output already says it.
func TestStatusOfAnExpiredTicket(t *testing.T) {
	start := time.Now().Add(-2 * time.Hour).Truncate(time.Second)
	path := writeCache(t, ticket(krbtgt, start, time.Hour, 0))
	code, out, errOut := inProcess(t, "--status", "-k", "FILE:"+path)
	if code != exitFailure || errOut != "" {
		t.Fatalf("exit %d, stderr %q; want 1 and nothing on stderr", code, errOut)
	}
	for _, want := range []string{"(expired ", "renew until:   not renewable\n", "next renewal:  none\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("--status output lacks %q:\n%s", want, out)
		}
	}
}

func TestStatusOfServiceTicketsOnly(t *testing.T) {
	start := time.Now().Truncate(time.Second)
	path := writeCache(t, ticket(http, start, time.Hour, 0))
	code, out, _ := inProcess(t, "--status", "-k", "FILE:"+path)
	if code != exitOK {
		t.Fatalf("exit %d, want 0 while a service ticket is valid", code)
	}
	if want := "1 service ticket(s), the last one"; !strings.Contains(out, want) {
		t.Errorf("--status output lacks %q:\n%s", want, out)
	}
	if want := "renew until:   none: no ticket-granting ticket to renew\n"; !strings.Contains(out, want) {
		t.Errorf("--status output lacks %q:\n%s", want, out)
	}
}

func TestStatusOfAMissingCache(t *testing.T) {
	path := filepath.Join(t.TempDir(), "none")
	code, out, errOut := inProcess(t, "--status", "-k", "FILE:"+path)
	if code != exitFailure || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	if !strings.HasPrefix(errOut, "krenew: error: ") || !strings.Contains(errOut, path) {
		t.Errorf("stderr %q: want one error line naming %s", errOut, path)
	}
}
