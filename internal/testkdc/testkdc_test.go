package testkdc

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestStartServesKinitWithPasswordOnStdin(t *testing.T) {
	began := time.Now()
	k := Start(t, Options{})
	took := time.Since(began)
	t.Logf("startup took %v", took)
	// The brief asks for < 2 s; the bound is looser so a loaded CI machine
	// running every package at once does not make this flaky.
	if took > 5*time.Second {
		t.Errorf("Start took %v, want well under 5s", took)
	}
	cache := cachePath(t, "cc")
	kinit(t, k, cache, Alice, AlicePassword)
	tk := Klist(t, k, cache)
	if tk.Principal != "alice@"+Realm {
		t.Errorf("klist principal = %q, want alice@%s", tk.Principal, Realm)
	}
	if !tk.Expires.After(tk.Start) {
		t.Errorf("ticket expires %v, not after its start %v", tk.Expires, tk.Start)
	}
}

func TestWrongPasswordIsRefused(t *testing.T) {
	k := Start(t, Options{})
	_, stderr, code := k.RunStdin(t, "not-the-password\n", "kinit", "-c", cachePath(t, "cc"), Alice)
	if code == 0 {
		t.Fatal("kinit with a wrong password succeeded")
	}
	if !strings.Contains(stderr, "incorrect") {
		t.Errorf("kinit stderr = %q, want a password-incorrect error", stderr)
	}
}

func TestAliceTicketRenews(t *testing.T) {
	k := Start(t, Options{})
	cache := cachePath(t, "cc")
	kinit(t, k, cache, Alice, AlicePassword, "-l", "1h", "-r", "2h")
	if tk := Klist(t, k, cache); !tk.HasFlag("R") {
		t.Fatalf("alice's ticket flags %q lack R", tk.Flags)
	}
	_, stderr, code := k.Run(t, "kinit", "-R", "-c", cache)
	if code != 0 {
		t.Fatalf("kinit -R: exit %d: %s", code, stderr)
	}
	tk := Klist(t, k, cache)
	if !tk.HasFlag("R") || tk.RenewableLifetime() != 2*time.Hour {
		t.Errorf("after renewal: flags %q, renewable %v; want R and 2h", tk.Flags, tk.RenewableLifetime())
	}
	if !strings.Contains(k.Log(), "TGS_REQ") {
		t.Errorf("kdc log shows no TGS_REQ for the renewal:\n%s", k.Log())
	}
}

func TestBobTicketIsNotRenewable(t *testing.T) {
	k := Start(t, Options{})

	plain := cachePath(t, "plain")
	kinit(t, k, plain, Bob, BobPassword)
	if tk := Klist(t, k, plain); tk.HasFlag("R") || !tk.RenewUntil.IsZero() {
		t.Errorf("bob without -r: flags %q, renew until %v; want no R and none", tk.Flags, tk.RenewUntil)
	}
	if _, _, code := k.Run(t, "kinit", "-R", "-c", plain); code == 0 {
		t.Error("kinit -R renewed bob's non-renewable ticket")
	}

	// Asking for a renewable ticket gets the R flag but no renewable time.
	asked := cachePath(t, "asked")
	kinit(t, k, asked, Bob, BobPassword, "-r", "1d")
	tk := Klist(t, k, asked)
	if tk.RenewUntil.After(tk.Start) {
		t.Errorf("bob with -r 1d: renew until %v is after start %v", tk.RenewUntil, tk.Start)
	}
	// Within the same second the KDC would still "renew" it, into a ticket
	// that ends at once; after that second it refuses.
	time.Sleep(time.Until(tk.RenewUntil.Add(1100 * time.Millisecond)))
	if _, _, code := k.Run(t, "kinit", "-R", "-c", asked); code == 0 {
		t.Error("kinit -R renewed bob's ticket that asked for renewability")
	}
}

func TestShortLifetimesAreGrantedAsRequested(t *testing.T) {
	k := Start(t, Options{})
	cache := cachePath(t, "cc")
	kinit(t, k, cache, Alice, AlicePassword, "-l", "10s", "-r", "40s")
	tk := Klist(t, k, cache)
	if tk.Lifetime() != 10*time.Second || tk.RenewableLifetime() != 40*time.Second {
		t.Errorf("granted lifetime %v renewable %v, want 10s and 40s", tk.Lifetime(), tk.RenewableLifetime())
	}
}

func TestOptionsLimitWhatTheKDCGrants(t *testing.T) {
	k := Start(t, Options{MaxLife: time.Minute, MaxRenewLife: 3 * time.Minute})
	cache := cachePath(t, "cc")
	kinit(t, k, cache, Alice, AlicePassword, "-l", "1h", "-r", "1d")
	tk := Klist(t, k, cache)
	if tk.Lifetime() != time.Minute || tk.RenewableLifetime() != 3*time.Minute {
		t.Errorf("granted lifetime %v renewable %v, want 1m and 3m", tk.Lifetime(), tk.RenewableLifetime())
	}
	krbtgt := k.Kadmin(t, "getprinc krbtgt/"+Realm)
	if !strings.Contains(krbtgt, "Maximum ticket life: 0 days 00:01:00") ||
		!strings.Contains(krbtgt, "Maximum renewable life: 0 days 00:03:00") {
		t.Errorf("krbtgt limits not set:\n%s", krbtgt)
	}
}

func TestStopAndRestart(t *testing.T) {
	k := Start(t, Options{})
	cache := cachePath(t, "cc")
	k.Stop()
	k.Stop() // must be harmless
	if k.Running() {
		t.Fatal("Running after Stop")
	}
	_, stderr, code := k.RunStdin(t, AlicePassword+"\n", "kinit", "-c", cache, Alice)
	if code == 0 {
		t.Fatal("kinit succeeded with the KDC stopped")
	}
	if !strings.Contains(stderr, "Cannot contact any KDC") {
		t.Errorf("kinit stderr = %q, want it unable to contact the KDC", stderr)
	}
	port := k.Port
	k.Restart(t)
	if k.Port != port || !k.Running() {
		t.Fatalf("after Restart: port %d running %v, want port %d running", k.Port, k.Running(), port)
	}
	kinit(t, k, cache, Alice, AlicePassword)
	if tk := Klist(t, k, cache); tk.Principal != "alice@"+Realm {
		t.Errorf("after Restart klist principal = %q", tk.Principal)
	}
}

func TestRestartKeepsTheDatabase(t *testing.T) {
	k := Start(t, Options{})
	k.AddPrincipal(t, "carol", "carol-pw")
	k.Restart(t)
	kinit(t, k, cachePath(t, "cc"), "carol", "carol-pw")
}

func TestServiceTicketAndKeytabs(t *testing.T) {
	k := Start(t, Options{})
	cache := cachePath(t, "cc")
	kinit(t, k, cache, Alice, AlicePassword)
	if stdout, stderr, code := k.Run(t, "kvno", "-c", cache, Service); code != 0 || !strings.Contains(stdout, "kvno = 1") {
		t.Errorf("kvno %s: exit %d stdout %q stderr %q", Service, code, stdout, stderr)
	}

	for _, name := range []string{Service, "daemon/new.krenew.test", Alice} {
		kt := k.AddKeytab(t, name)
		if !strings.HasPrefix(kt, k.Dir) {
			t.Errorf("keytab %s is outside %s", kt, k.Dir)
		}
		ktCache := cachePath(t, "kt")
		if _, stderr, code := k.Run(t, "kinit", "-k", "-t", kt, "-c", ktCache, name); code != 0 {
			t.Errorf("kinit -k -t %s %s: exit %d: %s", kt, name, code, stderr)
		}
	}
	// The keytab keeps alice's password keys, so the password still works.
	kinit(t, k, cachePath(t, "again"), Alice, AlicePassword)
}

func TestAddPrincipalPassesKadminOptions(t *testing.T) {
	k := Start(t, Options{})
	k.AddPrincipal(t, "carol", "pass with spaces", "-maxlife", "2 minutes", "-maxrenewlife", "0")
	out := k.Kadmin(t, "getprinc carol")
	if !strings.Contains(out, "Maximum ticket life: 0 days 00:02:00") {
		t.Errorf("getprinc carol:\n%s", out)
	}
	cache := cachePath(t, "cc")
	kinit(t, k, cache, "carol", "pass with spaces", "-l", "1h")
	if tk := Klist(t, k, cache); tk.Lifetime() != 2*time.Minute {
		t.Errorf("carol's lifetime %v, want 2m", tk.Lifetime())
	}
}

func TestKadminReportsFailures(t *testing.T) {
	k := Start(t, Options{})
	if _, err := k.kadmin("getprinc nosuch"); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("getprinc of a missing principal: err = %v", err)
	}
	if _, err := k.kadmin(joinQuery([]string{"addprinc", "-pw", "x", Alice})); err == nil {
		t.Error("adding an existing principal reported no error")
	}
}

func TestEnvIsolatesTheCaller(t *testing.T) {
	t.Setenv("KRB5CCNAME", "FILE:/nonexistent/cc")
	t.Setenv("KRB5_TRACE", "/dev/stderr")
	t.Setenv("KRB5_CONFIG", "/nonexistent/krb5.conf")
	k := Start(t, Options{})
	env := strings.Join(k.Env(), "\n") + "\n"
	for _, want := range []string{"KRB5_CONFIG=" + k.Krb5Conf + "\n", "KRB5_KDC_PROFILE=" + k.KDCConf + "\n"} {
		if !strings.Contains(env, want) {
			t.Errorf("Env lacks %q", want)
		}
	}
	for _, gone := range []string{"KRB5CCNAME=", "KRB5_TRACE=", "KRB5_CONFIG=/nonexistent"} {
		if strings.Contains(env, gone) {
			t.Errorf("Env still has %q", gone)
		}
	}
	// Without -c, kinit uses the default cache inside Dir, not /tmp.
	if _, stderr, code := k.RunStdin(t, AlicePassword+"\n", "kinit", Alice); code != 0 {
		t.Fatalf("kinit without -c: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(strings.TrimPrefix(k.DefaultCCache, "FILE:")); err != nil {
		t.Errorf("default cache not written: %v", err)
	}
}

func TestRunReportsExitStatusAndSignals(t *testing.T) {
	k := Start(t, Options{})
	if _, _, code := k.Run(t, "sh", "-c", "exit 3"); code != 3 {
		t.Errorf("exit 3 gave %d", code)
	}
	if _, _, code := k.Run(t, "sh", "-c", "kill -TERM $$"); code != 128+15 {
		t.Errorf("SIGTERM gave %d, want 143", code)
	}
	stdout, _, _ := k.RunStdin(t, "hello", "cat")
	if stdout != "hello" {
		t.Errorf("stdin not passed: %q", stdout)
	}
}

func TestRunDoesNotWaitForDetachedChildren(t *testing.T) {
	k := Start(t, Options{})
	began := time.Now()
	// The background sleep keeps stdout open, like a daemon that forgot to
	// redirect it.
	stdout, _, code := k.Run(t, "sh", "-c", "sleep 60 & echo $!")
	if pid, err := strconv.Atoi(strings.TrimSpace(stdout)); err == nil {
		t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	} else {
		t.Errorf("no pid in stdout %q", stdout)
	}
	if code != 0 {
		t.Errorf("exit %d", code)
	}
	if took := time.Since(began); took > 10*time.Second {
		t.Errorf("Run waited %v for a detached child", took)
	}
}

func TestKDCsAreIsolated(t *testing.T) {
	const n = 3
	kdcs := make([]*KDC, n)
	ports := map[int]bool{}
	for i := range kdcs {
		k := Start(t, Options{})
		if ports[k.Port] {
			t.Fatalf("port %d handed out twice", k.Port)
		}
		ports[k.Port] = true
		k.AddPrincipal(t, "only-here", fmt.Sprintf("pw-%d", i))
		kdcs[i] = k
	}
	for i, k := range kdcs {
		kinit(t, k, cachePath(t, "cc"), "only-here", fmt.Sprintf("pw-%d", i))
		other := fmt.Sprintf("pw-%d\n", (i+1)%n)
		if _, _, code := k.RunStdin(t, other, "kinit", "-c", cachePath(t, "x"), "only-here"); code == 0 {
			t.Errorf("kdc %d accepted kdc %d's password", i, (i+1)%n)
		}
	}
}
