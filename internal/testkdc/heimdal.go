package testkdc

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// HeimdalRealm is the realm every Heimdal test KDC serves, unlike Realm so
// that a message naming the wrong KDC's realm cannot pass.
const HeimdalRealm = "HEIMDAL.TEST"

// HeimdalRootEnv names the directory Debian's heimdal-kdc package and its
// libraries are unpacked into (`make heimdal`, .ci/heimdal-kdc). The
// package conflicts with MIT's clients, which the tests use as oracles, so
// it is never installed; its programs run from there.
const HeimdalRootEnv = "KRENEW_HEIMDAL"

// Heimdal is a running Heimdal KDC with its own database. The MIT tools
// and krenew talk to it through Env(); only the Heimdal programs see its
// libraries.
type Heimdal struct {
	Realm string
	// Dir holds the database, krb5.conf (the KDC's [kdc] section and the
	// clients' realm), the log and whatever a test puts there.
	Dir      string
	Port     int
	Krb5Conf string

	root string
	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// StartHeimdal runs a fresh Heimdal KDC for the duration of t with Alice
// and Service, the realm's and the principals' limits from opts. Pre-authentication is required, as Heimdal's default is.
// Where the unpacked package is missing the test is skipped, or fails
// when CI=true.
func StartHeimdal(t testing.TB, opts Options) *Heimdal {
	t.Helper()
	opts = opts.withDefaults()
	root, err := heimdalRoot()
	if err != nil {
		unavailable(t, "%v", err)
	}
	began := time.Now()
	dir := t.TempDir()
	port, release, err := reservePort()
	if err != nil {
		unavailable(t, "%v", err)
	}
	t.Cleanup(release)
	h := &Heimdal{Realm: HeimdalRealm, Dir: dir, Port: port, Krb5Conf: filepath.Join(dir, "krb5.conf"), root: root}
	t.Cleanup(h.Stop)
	if err := os.WriteFile(h.Krb5Conf, []byte(h.config()), 0o600); err != nil {
		t.Fatalf("testkdc: %v", err)
	}
	life, renew := durationArg(opts.MaxLife), durationArg(opts.MaxRenewLife)
	setup := [][]string{
		{"init", "--realm-max-ticket-life=" + life, "--realm-max-renewable-life=" + renew, h.Realm},
		{"add", "--password=" + AlicePassword, "--max-ticket-life=" + life, "--max-renewable-life=" + renew,
			"--attributes=requires-pre-auth", "--expiration-time=never", "--pw-expiration-time=never", "--policy=default", Alice},
		{"add", "--random-key", "--max-ticket-life=" + life, "--max-renewable-life=" + renew,
			"--attributes=", "--expiration-time=never", "--pw-expiration-time=never", "--policy=default", Service},
	}
	for _, args := range setup {
		if out, err := h.kadmin(args...); err != nil {
			unavailable(t, "setting up the heimdal realm: %v\n%s", err, out)
		}
	}
	if err := h.start(); err != nil {
		unavailable(t, "starting heimdal's kdc: %v\n%s", err, h.logTail())
	}
	t.Logf("testkdc: heimdal %s on 127.0.0.1:%d ready after %v (dir %s)", h.Realm, h.Port,
		time.Since(began).Round(time.Millisecond), h.Dir)
	return h
}

// heimdalRoot finds the unpacked package: $KRENEW_HEIMDAL, else .heimdal
// at the top of the module (where `make heimdal` puts it).
func heimdalRoot() (string, error) {
	root := os.Getenv(HeimdalRootEnv)
	if root == "" {
		top, err := moduleRoot()
		if err != nil {
			return "", err
		}
		root = filepath.Join(top, ".heimdal")
	}
	if _, err := os.Stat(filepath.Join(root, heimdalKDC)); err != nil {
		return "", fmt.Errorf("no unpacked heimdal-kdc in %s (run make heimdal, or set %s): %v", root, HeimdalRootEnv, err)
	}
	return root, nil
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Where Debian's packages put the programs.
const (
	heimdalKDC    = "usr/lib/heimdal-servers/kdc"
	heimdalKadmin = "usr/bin/kadmin.heimdal"
)

// config is both the KDC's configuration and the clients' krb5.conf: MIT's
// library ignores the [kdc] section.
func (h *Heimdal) config() string {
	return fmt.Sprintf(`[libdefaults]
	default_realm = %[1]s
	dns_lookup_kdc = false
	dns_lookup_realm = false
	rdns = false
	dns_canonicalize_hostname = false
	default_ccache_name = FILE:%[3]s/krb5cc_default
	default_keytab_name = FILE:%[3]s/krb5.keytab

[realms]
	%[1]s = {
		kdc = 127.0.0.1:%[2]d
	}

[kdc]
	database = {
		dbname = %[3]s/heimdal
		realm = %[1]s
		mkey_file = %[3]s/m-key
		acl_file = %[3]s/kadmind.acl
		log_file = %[3]s/iprop.log
	}
	num-kdc-processes = 1
	enable-kx509 = false

[logging]
	kdc = FILE:%[3]s/kdc.log
	default = FILE:%[3]s/heimdal.log
`, h.Realm, h.Port, h.Dir)
}

// heimdalCommand runs one of the unpacked programs with the unpacked
// libraries first and this realm's configuration.
func (h *Heimdal) heimdalCommand(prog string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(h.root, prog), args...)
	libs, _ := filepath.Glob(filepath.Join(h.root, "usr/lib/*-linux-gnu"))
	cmd.Env = append(h.Env(), "LD_LIBRARY_PATH="+strings.Join(libs, ":"))
	cmd.Dir = h.Dir
	return cmd
}

// HeimdalTool prepares one of Heimdal's own client programs (heimtools
// klist, kgetcred, ...) to run against this KDC: a second reader of the
// caches krenew writes, beside MIT's.
func (h *Heimdal) HeimdalTool(prog string, args ...string) *exec.Cmd {
	cmd := h.heimdalCommand(filepath.Join("usr/bin", prog), args...)
	cmd.WaitDelay = pipeGrace
	return cmd
}

// kadmin runs kadmin.heimdal -l (straight on the database) once.
func (h *Heimdal) kadmin(args ...string) (string, error) {
	cmd := h.heimdalCommand(heimdalKadmin, append([]string{"-c", h.Krb5Conf, "-l"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("kadmin.heimdal -l %s: %w", strings.Join(args, " "), err)
	}
	return string(out), nil
}

// Kadmin changes the database, as kadmin.heimdal -l ARGS; the running KDC
// sees the change at its next request. A failure fails the test.
func (h *Heimdal) Kadmin(t testing.TB, args ...string) string {
	t.Helper()
	out, err := h.kadmin(args...)
	if err != nil {
		t.Fatalf("testkdc: %v\n%s", err, out)
	}
	return out
}

func (h *Heimdal) start() error {
	cmd := h.heimdalCommand(heimdalKDC, "-c", h.Krb5Conf, "--addresses=127.0.0.1", fmt.Sprintf("--ports=%d", h.Port))
	done, err := launch(cmd, filepath.Join(h.Dir, "kdc.stderr"))
	if err != nil {
		return err
	}
	h.mu.Lock()
	h.cmd, h.done = cmd, done
	h.mu.Unlock()
	if err := h.waitReady(done); err != nil {
		h.Stop()
		return err
	}
	return nil
}

// waitReady returns once the KDC answers an AS-REQ from MIT's kinit for a
// principal it does not know.
func (h *Heimdal) waitReady(done <-chan struct{}) error {
	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-done:
			return errors.New("heimdal's kdc exited during startup")
		default:
		}
		out, ok := answersAS(h.Env(), h.Dir, h.Realm)
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("heimdal's kdc does not answer an AS-REQ within %v: %s", startTimeout, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop ends the KDC and its worker processes. Calling it again is harmless.
func (h *Heimdal) Stop() {
	h.mu.Lock()
	cmd, done := h.cmd, h.done
	h.cmd, h.done = nil, nil
	h.mu.Unlock()
	if cmd == nil {
		return
	}
	// The KDC's workers are in its process group (Setpgid), so the group
	// gets the signal. Never after the KDC is reaped: its pid, and so the
	// group id, may by then be another test's process group leader.
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

// Command prepares prog (an MIT tool, krenew, kstart's krenew) to run
// against this KDC with Env().
func (h *Heimdal) Command(t testing.TB, prog string, args ...string) *exec.Cmd {
	t.Helper()
	return toolCommand(t, h.Env(), prog, args...)
}

// Principal qualifies name with the realm.
func (h *Heimdal) Principal(name string) string {
	return name + "@" + h.Realm
}

// Env is os.Environ() pointed at this KDC, as KDC.Env is.
func (h *Heimdal) Env() []string {
	// The Heimdal programs get their libraries from heimdalCommand only.
	return append(cleanEnv("LD_LIBRARY_PATH"), "KRB5_CONFIG="+h.Krb5Conf)
}

// Log is what the KDC logged, which says why it refused a request.
func (h *Heimdal) Log() string {
	b, _ := os.ReadFile(filepath.Join(h.Dir, "kdc.log"))
	return string(b)
}

func (h *Heimdal) logTail() string {
	text := h.Log()
	if b, err := os.ReadFile(filepath.Join(h.Dir, "kdc.stderr")); err == nil {
		text += string(b)
	}
	if len(text) > 4000 {
		text = text[len(text)-4000:]
	}
	return text
}
