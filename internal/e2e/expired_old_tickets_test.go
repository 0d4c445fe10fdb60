package e2e

import (
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/krenew/krenew/internal/testkdc"
)

// Issue 17: once every ticket that was in the cache before krenew --once
// has ended, MIT's reader must still find the cache with the renewed TGT
// in it: klist lists it, kvno gets a new service ticket and a GSSAPI
// client (MIT's gss-client) authenticates to a GSSAPI acceptor. In a
// kernel keyring the kept service ticket's key used to expire on its own
// and MIT's cursor stopped at it ("No credentials cache found").
func TestRenewedCacheUsableAfterOldTicketsExpire(t *testing.T) {
	longTest(t)
	if _, err := exec.LookPath("gss-client"); err != nil {
		missing(t, "krb5-gss-samples", "MIT's gss-client and gss-server")
	}
	kinds := []cacheKind{
		{"FILE", cacheKinds[0].make},
		{"KEYRING_session", func(t *testing.T, k *testkdc.KDC) string {
			return keyringCache(t, k, "KEYRING:session:krenew_"+randomTag(t))
		}},
		{"KEYRING_user", func(t *testing.T, k *testkdc.KDC) string {
			return keyringCache(t, k, "KEYRING:user:krenew_"+randomTag(t))
		}},
		{"KEYRING_persistent", cacheKinds[3].make},
		{"KCM_heimdal", kcmCache},
		sssdKind,
	}
	for _, kind := range kinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			const life = 20 * time.Second
			k := testkdc.Start(t, testkdc.Options{MaxLife: life, MaxRenewLife: 10 * time.Minute})
			cc := kind.make(t, k)
			port := startGSSServer(t, k)
			mitKinit(t, k, cc, "alice", testkdc.AlicePassword, "-l", "20s", "-r", "10m")
			if out, errOut, code := k.Run(t, "kvno", "-c", cc, testkdc.Service); code != 0 {
				t.Fatalf("kvno before the renewal: exit %d\n%s%s", code, out, errOut)
			}
			gssClient(t, k, cc, port, "before the renewal")
			oldEnd := testkdc.Klist(t, k, cc).Expires
			// Renew late enough that the renewed TGT outlives the old
			// tickets by several seconds.
			time.Sleep(time.Until(oldEnd.Add(-life / 2)))
			if r := krenew(t, k, "", "--once", "-k", cc); r.code != 0 {
				t.Fatalf("krenew --once: exit %d\n%s", r.code, r.stderr)
			}
			newEnd := testkdc.Klist(t, k, cc).Expires
			if !newEnd.After(oldEnd.Add(5 * time.Second)) {
				t.Fatalf("renewed TGT ends %v, the old one %v", newEnd, oldEnd)
			}
			// Every ticket from before the renewal ends by oldEnd (the KDC
			// caps service tickets at the TGT's end); wait past it.
			time.Sleep(time.Until(oldEnd.Add(1500 * time.Millisecond)))
			out, errOut, code := k.Run(t, "klist", "-c", cc)
			if code != 0 || !strings.Contains(out, "krbtgt/"+testkdc.Realm) {
				t.Fatalf("klist after the old tickets ended: exit %d\n%s%s", code, out, errOut)
			}
			if _, errOut, code := k.Run(t, "klist", "-s", "-c", cc); code != 0 {
				t.Errorf("klist -s after the old tickets ended: exit %d\n%s", code, errOut)
			}
			if out, errOut, code := k.Run(t, "kvno", "-c", cc, testkdc.Service); code != 0 {
				t.Errorf("kvno after the old tickets ended: exit %d\n%s%s", code, out, errOut)
			}
			gssClient(t, k, cc, port, "after the old tickets ended")
			if time.Now().After(newEnd) {
				t.Fatalf("the renewed TGT ended (%v) before the checks were done; the machine is too slow for this test", newEnd)
			}
		})
	}
}

// startGSSServer runs MIT's sample GSSAPI acceptor for testkdc.Service
// with its own keytab and returns its port.
func startGSSServer(t *testing.T, k *testkdc.KDC) int {
	t.Helper()
	kt := k.AddKeytab(t, testkdc.Service)
	port := testkdc.FreePort(t)
	host, _, _ := strings.Cut(strings.TrimPrefix(testkdc.Service, "host/"), "@")
	cmd := k.Command(t, "gss-server", "-port", strconv.Itoa(port), "-keytab", kt, "host@"+host)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			return port
		}
		if time.Now().After(deadline) {
			t.Fatalf("gss-server is not listening on port %d: %v", port, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// gssClient authenticates to startGSSServer's acceptor with the cache cc.
func gssClient(t *testing.T, k *testkdc.KDC, cc string, port int, when string) {
	t.Helper()
	host, _, _ := strings.Cut(strings.TrimPrefix(testkdc.Service, "host/"), "@")
	cmd := k.Command(t, "gss-client", "-port", strconv.Itoa(port), "127.0.0.1", "host@"+host, "krenew issue 17")
	cmd.Env = append(cmd.Env, "KRB5CCNAME="+cc)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Signature verified") {
		t.Errorf("gss-client %s: %v\n%s", when, err, out)
	}
}
