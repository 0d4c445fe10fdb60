package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/krenew/krenew/internal/sdtest"
	"github.com/krenew/krenew/internal/testkdc"
)

// The systemd user units in contrib/systemd, tested the way systemd runs
// them: their own ExecStart= line, no terminal, standard input empty, and a
// NOTIFY_SOCKET that records what krenew reports and from which pid.

const unitDir = "contrib/systemd"

// startService runs args like systemd does: no controlling terminal,
// NOTIFY_SOCKET set, standard input stdin (systemd's is /dev/null).
func startService(t *testing.T, k *testkdc.KDC, sock *sdtest.Listener, env []string, stdin string, args ...string) *background {
	t.Helper()
	return startBackground(t, append(append(k.Env(), "LC_ALL=C", "NOTIFY_SOCKET="+sock.Addr), env...), stdin, args...)
}

// execStart is the unit's ExecStart= command with @bindir@ pointing at the
// binary under test and %E at configHome.
func execStart(t *testing.T, unit, configHome string) []string {
	t.Helper()
	line := unitSetting(t, unit, "ExecStart")
	line = strings.ReplaceAll(line, "@bindir@", filepath.Dir(krenewBin))
	line = strings.ReplaceAll(line, "%E", configHome)
	if strings.ContainsAny(line, "%$\"'\\") {
		t.Fatalf("ExecStart=%s needs systemd's quoting or specifiers; extend this test", line)
	}
	return strings.Fields(line)
}

// unitSetting is the one value of key in unit; a unit that sets it twice
// or not at all fails the test.
func unitSetting(t *testing.T, unit, key string) string {
	t.Helper()
	var values []string
	for _, l := range strings.Split(string(readFile(t, filepath.Join(unitDir, unit))), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok && strings.TrimSpace(k) == key {
			values = append(values, strings.TrimSpace(v))
		}
	}
	if len(values) != 1 {
		t.Fatalf("%s sets %s %d times, want once", unit, key, len(values))
	}
	return values[0]
}

// wantReady reads the first notification: READY=1 with the status line,
// from the main process, once the cache file holds its ticket.
func wantReady(t *testing.T, sock *sdtest.Listener, s *background, cachePath, status string) {
	t.Helper()
	n, ok := sock.Next(t, time.Minute)
	// Look at the cache before anything else: it must already be there.
	_, statErr := os.Stat(cachePath)
	if !ok {
		t.Fatalf("no READY=1 within a minute")
	}
	if statErr != nil {
		t.Errorf("READY=1 arrived before the cache was written: %v", statErr)
	}
	if want := "READY=1\nSTATUS=" + status; n.Msg != want {
		t.Errorf("first notification %q, want %q", n.Msg, want)
	}
	if n.PID != s.cmd.Process.Pid {
		t.Errorf("READY=1 sent by pid %d, the main process is %d", n.PID, s.cmd.Process.Pid)
	}
}

// wantStopping sends SIGTERM, as systemctl stop does, and expects
// STOPPING=1 from the main process and exit status 0.
func wantStopping(t *testing.T, sock *sdtest.Listener, s *background) {
	t.Helper()
	sock.None(t, 300*time.Millisecond)
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	n, ok := sock.Next(t, 30*time.Second)
	if !ok || n.Msg != "STOPPING=1" || n.PID != s.cmd.Process.Pid {
		t.Errorf("after SIGTERM: notification %q from pid %d (received: %v), want STOPPING=1 from %d",
			n.Msg, n.PID, ok, s.cmd.Process.Pid)
	}
	if code := s.wait(t, 30*time.Second); code != 0 {
		t.Errorf("exit status %d after SIGTERM, want 0", code)
	}
	sock.None(t, 100*time.Millisecond)
}

// Plain --foreground with a password: READY=1 only once the first ticket
// is in the cache, STOPPING=1 on SIGTERM, exit 0.
func TestSystemdNotifyReadyAfterFirstTicket(t *testing.T) {
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	cc, path := cacheIn(t, "cc")
	sock := sdtest.Listen(t, "")
	s := startService(t, k, sock, nil, testkdc.AlicePassword+"\n",
		krenewBin, "--foreground", "--password-stdin", "-u", "alice", "-k", cc)
	wantReady(t, sock, s, path, "renewing "+alice+" in "+cc)
	if tk := testkdc.Klist(t, k, cc); tk.Principal != alice || tk.RenewUntil.IsZero() {
		t.Errorf("cache holds %+v, want a renewable ticket of %s", tk, alice)
	}
	wantStopping(t, sock, s)
	if _, err := os.Stat(path); err != nil {
		t.Errorf("cache gone after SIGTERM: %v", err)
	}
}

// krenew.service as documented: kinit first, then the unit's own command
// line adopts the ticket without a prompt. aklog (-t) after a renewal must
// not inherit NOTIFY_SOCKET: only the main process may speak for the unit.
func TestSystemdUnitAdoptsTicketFromKinit(t *testing.T) {
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	cc, path := cacheIn(t, "cc")
	mitKinit(t, k, cc, "alice", testkdc.AlicePassword, "-l", "1h", "-r", "2h")
	before := testkdc.Klist(t, k, cc)
	envDir := t.TempDir()
	aklog := filepath.Join(t.TempDir(), "aklog")
	writeProgram(t, aklog, "#!/bin/sh\nenv > "+envDir+"/env.tmp && mv "+envDir+"/env.tmp "+envDir+"/env\n")
	sock := sdtest.Listen(t, "")
	args := append(execStart(t, "krenew.service", t.TempDir()), "-t")
	s := startService(t, k, sock, []string{"KRB5CCNAME=" + cc, "AKLOG=" + aklog}, "", args...)
	wantReady(t, sock, s, path, "renewing "+alice+" in "+cc)
	if _, err := os.Stat(filepath.Join(envDir, "env")); err == nil {
		t.Error("aklog ran although krenew got no new ticket")
	}
	if tk := testkdc.Klist(t, k, cc); !tk.Expires.Equal(before.Expires) {
		t.Errorf("ticket replaced (expires %s, was %s); the unit should adopt kinit's", tk.Expires, before.Expires)
	}

	// klist shows whole seconds: a renewal in kinit's second would look
	// like none.
	time.Sleep(time.Until(before.Start.Add(1100 * time.Millisecond)))
	s.cmd.Process.Signal(syscall.SIGALRM)
	var env []byte
	waitFor(t, "aklog after the renewal", 30*time.Second, func() bool {
		b, err := os.ReadFile(filepath.Join(envDir, "env"))
		env = b
		return err == nil
	})
	if bytes.Contains(env, []byte("NOTIFY_SOCKET=")) {
		t.Error("aklog inherited NOTIFY_SOCKET")
	}
	if !bytes.Contains(env, []byte("KRB5CCNAME="+cc+"\n")) {
		t.Errorf("aklog ran without KRB5CCNAME=%s", cc)
	}
	if tk := testkdc.Klist(t, k, cc); !tk.Expires.After(before.Expires) {
		t.Errorf("SIGALRM did not renew: expires %s, was %s", tk.Expires, before.Expires)
	}
	wantStopping(t, sock, s)
}

// Without a ticket the unit cannot prompt: krenew must fail at once, with
// one error line for the journal and no READY=1 (systemd then marks the
// unit failed, and Restart=on-abnormal does not loop).
func TestSystemdUnitWithoutTicketFailsBeforeReady(t *testing.T) {
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	cc, path := cacheIn(t, "cc")
	sock := sdtest.Listen(t, "")
	// The user manager sets USER; krenew names the principal after it.
	s := startService(t, k, sock, []string{"KRB5CCNAME=" + cc, "USER=alice"}, "", execStart(t, "krenew.service", t.TempDir())...)
	code := s.wait(t, time.Minute)
	wantOneError(t, result{stderr: s.text(), code: code}, 1, "no terminal", alice)
	sock.None(t, 100*time.Millisecond)
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("cache created without a ticket: %v", err)
	}
}

// krenew-keytab.service: its ExecStart with a keytab where the unit expects
// it, no ticket beforehand; READY=1 once the keytab's ticket is in place.
func TestSystemdKeytabUnit(t *testing.T) {
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	keytab := k.AddKeytab(t, "bob")
	configHome := t.TempDir()
	const unit = "krenew-keytab.service"
	// The unit's assertion must guard the keytab its command line reads.
	assert := strings.ReplaceAll(unitSetting(t, unit, "AssertFileNotEmpty"), "%E", configHome)
	args := execStart(t, unit, configHome)
	if i := indexOf(args, "-f"); i < 0 || i+1 >= len(args) || args[i+1] != assert {
		t.Fatalf("ExecStart %v does not read the keytab AssertFileNotEmpty= checks (%s)", args, assert)
	}
	if err := os.MkdirAll(filepath.Dir(assert), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(assert, readFile(t, keytab), 0o600); err != nil {
		t.Fatal(err)
	}
	cc, path := cacheIn(t, "cc")
	sock := sdtest.Listen(t, "")
	s := startService(t, k, sock, []string{"KRB5CCNAME=" + cc}, "", args...)
	bob := "bob@" + testkdc.Realm
	wantReady(t, sock, s, path, "renewing "+bob+" in "+cc)
	if tk := testkdc.Klist(t, k, cc); tk.Principal != bob {
		t.Errorf("cache holds a ticket of %s, want %s", tk.Principal, bob)
	}
	wantStopping(t, sock, s)
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// The units must load in a user manager: systemd-analyze verify --user
// checks every setting, the ExecStart binary and the man page that
// Documentation= names (ours, through MANPATH). It prints problems as
// warnings and still exits 0, so any output fails the test.
func TestSystemdUnitsVerify(t *testing.T) {
	t.Parallel()
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not found (Debian/Ubuntu package systemd): the unit files are not verified")
	}
	dir := t.TempDir()
	runtime := filepath.Join(dir, "runtime")
	manDir := filepath.Join(dir, "man", "man1")
	for _, d := range []string{runtime, manDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	man, err := filepath.Abs("man/krenew.1")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(man, filepath.Join(manDir, "krenew.1")); err != nil {
		t.Fatal(err)
	}
	args := []string{"verify", "--user"}
	if _, err := exec.LookPath("man"); err != nil {
		t.Log("man not found: Documentation= is not checked")
		args = append(args, "--man=no")
	}
	units, err := filepath.Glob(filepath.Join(unitDir, "*.service"))
	if err != nil || len(units) < 2 {
		t.Fatalf("units in %s: %v %v", unitDir, units, err)
	}
	for _, unit := range units {
		text := strings.ReplaceAll(string(readFile(t, unit)), "@bindir@", filepath.Dir(krenewBin))
		staged := filepath.Join(dir, filepath.Base(unit))
		if err := os.WriteFile(staged, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, staged)
	}
	cmd := exec.Command(analyze, args...)
	cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+runtime, "MANPATH="+filepath.Join(dir, "man"), "SYSTEMD_LOG_LEVEL=info")
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// Settings that need a mount or user namespace make a user unit fail with
// 226/NAMESPACE where unprivileged user namespaces are off, and PrivateTmp=
// would hide /tmp/krb5cc_UID; they belong in a local drop-in, not here.
// Capabilities and identities are not the user manager's to give.
func TestSystemdUnitsNeedNoNamespaces(t *testing.T) {
	units, err := filepath.Glob(filepath.Join(unitDir, "*.service"))
	if err != nil || len(units) == 0 {
		t.Fatalf("units in %s: %v %v", unitDir, units, err)
	}
	notForUserUnits := []string{"PrivateTmp", "PrivateUsers", "PrivateDevices", "PrivateNetwork", "PrivateIPC", "PrivateMounts",
		"ProtectSystem", "ProtectHome", "ProtectKernelTunables", "ProtectKernelModules", "ProtectKernelLogs",
		"ProtectClock", "ProtectHostname", "ProtectControlGroups", "ProtectProc", "ReadWritePaths", "ReadOnlyPaths",
		"InaccessiblePaths", "TemporaryFileSystem", "BindPaths", "BindReadOnlyPaths", "CapabilityBoundingSet", "User", "Group"}
	for _, unit := range units {
		for i, l := range strings.Split(string(readFile(t, unit)), "\n") {
			key, _, ok := strings.Cut(l, "=")
			if !ok || strings.HasPrefix(strings.TrimSpace(l), "#") {
				continue
			}
			if indexOf(notForUserUnits, strings.TrimSpace(key)) >= 0 {
				t.Errorf("%s:%d: %s does not work in every user manager", unit, i+1, strings.TrimSpace(l))
			}
		}
		if got := unitSetting(t, filepath.Base(unit), "Type"); got != "notify" {
			t.Errorf("%s: Type=%s, want notify", unit, got)
		}
		if args := execStart(t, filepath.Base(unit), "/"); indexOf(args, "--foreground") < 0 {
			t.Errorf("%s: ExecStart=%s lacks --foreground; a detaching krenew is not the unit's main process", unit, strings.Join(args, " "))
		}
	}
}
