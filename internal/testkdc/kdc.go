package testkdc

import (
	"context"
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

// Realm is the realm every test KDC serves.
const Realm = "KRENEW.TEST"

// Principals Start creates in every KDC.
const (
	// Alice may get renewable tickets up to the realm's limits.
	Alice         = "alice"
	AlicePassword = "alice-secret-pw"
	// Bob has a maximum renewable life of 0. Note how the MIT KDC treats
	// that: a request without the renewable option gets a ticket without
	// the R flag, but a request WITH it (kinit -r, or any client asking
	// for a renewable ticket) gets the R flag with renew-till equal to the
	// start time. Within that same second the KDC even "renews" it, into
	// a ticket that has already ended; later it refuses. A client must
	// judge renewability by renew-till beyond the end time, not by the
	// flag alone.
	Bob         = "bob"
	BobPassword = "bob-secret-pw"
	// Service is a random-key service principal, a target for kvno.
	Service = "host/svc.krenew.test"
)

// Limits used when Options leaves them zero.
const (
	DefaultMaxLife      = 10 * 24 * time.Hour
	DefaultMaxRenewLife = 30 * 24 * time.Hour
)

// masterPassword only protects a throwaway database; it is never typed.
const masterPassword = "testkdc-master-pw"

// startTimeout bounds how long Start and Restart wait for the KDC to answer.
const startTimeout = 15 * time.Second

// Options configure a KDC. The zero value is a realm with 10 day tickets,
// renewable for 30 days, that requires pre-authentication.
type Options struct {
	// MaxLife and MaxRenewLife apply to the realm, to krbtgt and, as
	// defaults, to every principal created later. The KDC grants the
	// minimum of the realm, client and krbtgt limits.
	MaxLife, MaxRenewLife time.Duration
	// KDCs is reserved for multi-KDC realms; it is ignored.
	KDCs int
	// NoPreauth lets principals authenticate without pre-authentication,
	// like old or deliberately weak KDCs do.
	NoPreauth bool
}

func (o Options) withDefaults() Options {
	if o.MaxLife <= 0 {
		o.MaxLife = DefaultMaxLife
	}
	if o.MaxRenewLife <= 0 {
		o.MaxRenewLife = DefaultMaxRenewLife
	}
	return o
}

// KDC is a running MIT krb5kdc with its own database and configuration.
type KDC struct {
	Realm string
	// Dir holds the database, the configurations, the log and any keytab
	// or cache a test puts there.
	Dir string
	// Port is the UDP and TCP port on 127.0.0.1.
	Port int
	// Krb5Conf is the clients' krb5.conf: this realm is the default and
	// its only KDC is 127.0.0.1:Port.
	Krb5Conf string
	// KDCConf is the KDC's kdc.conf (KRB5_KDC_PROFILE).
	KDCConf string
	// DefaultCCache is Krb5Conf's default_ccache_name, inside Dir, so a
	// tool run without KRB5CCNAME or -c never touches /tmp/krb5cc_UID.
	DefaultCCache string
	// DefaultKeytab is Krb5Conf's default_keytab_name, inside Dir.
	DefaultKeytab string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// Start runs a fresh KDC for the duration of t, with Alice, Bob and Service
// already in its database. Where MIT's KDC programs are missing or the KDC
// does not come up, the test is skipped, or fails when CI=true.
func Start(t testing.TB, opts Options) *KDC {
	t.Helper()
	opts = opts.withDefaults()
	for _, tool := range []string{"krb5kdc", "kdb5_util", "kadmin.local", "kinit", "klist"} {
		if _, err := lookTool(tool); err != nil {
			unavailable(t, "%s not found (install krb5-kdc krb5-admin-server krb5-user): %v", tool, err)
		}
	}
	began := time.Now()
	// Cleanups run last-registered first: Stop must run before the port is
	// released and before TempDir removes the database under the KDC.
	dir := t.TempDir()
	port, release, err := reservePort()
	if err != nil {
		unavailable(t, "%v", err)
	}
	t.Cleanup(release)
	k := &KDC{
		Realm:         Realm,
		Dir:           dir,
		Port:          port,
		Krb5Conf:      filepath.Join(dir, "krb5.conf"),
		KDCConf:       filepath.Join(dir, "kdc.conf"),
		DefaultCCache: "FILE:" + filepath.Join(dir, "krb5cc_default"),
		DefaultKeytab: "FILE:" + filepath.Join(dir, "krb5.keytab"),
	}
	t.Cleanup(k.Stop)
	if err := k.writeConfigs(opts); err != nil {
		t.Fatalf("testkdc: writing configuration: %v", err)
	}
	if err := k.createDatabase(opts); err != nil {
		unavailable(t, "creating the kdc database: %v", err)
	}
	if err := k.start(); err != nil {
		unavailable(t, "starting krb5kdc: %v\n%s", err, k.logTail())
	}
	t.Logf("testkdc: %s on 127.0.0.1:%d ready after %v (dir %s)", k.Realm, k.Port,
		time.Since(began).Round(time.Millisecond), k.Dir)
	return k
}

// createDatabase makes the realm and the standard principals.
func (k *KDC) createDatabase(opts Options) error {
	if _, err := k.runTool("", "kdb5_util", "create", "-s", "-P", masterPassword, "-r", k.Realm); err != nil {
		return err
	}
	queries := [][]string{
		{"modprinc", "-maxlife", durationArg(opts.MaxLife), "-maxrenewlife", durationArg(opts.MaxRenewLife), "krbtgt/" + k.Realm},
		{"addprinc", "-pw", AlicePassword, Alice},
		{"addprinc", "-pw", BobPassword, "-maxrenewlife", "0", Bob},
		{"addprinc", "-randkey", Service},
	}
	for _, q := range queries {
		if _, err := k.kadmin(joinQuery(q)); err != nil {
			return err
		}
	}
	return nil
}

// durationArg renders d for kadmin's getdate parser.
func durationArg(d time.Duration) string {
	return fmt.Sprintf("%d seconds", seconds(d))
}

// start launches krb5kdc in the foreground and waits until it answers.
func (k *KDC) start() error {
	path, err := lookTool("krb5kdc")
	if err != nil {
		return err
	}
	logStart := fileSize(k.logPath())
	// -n keeps it in the foreground so this process owns it and can stop it.
	cmd := exec.Command(path, "-n", "-r", k.Realm)
	cmd.Env = k.Env()
	cmd.Dir = k.Dir
	done, err := launch(cmd, k.stderrPath())
	if err != nil {
		return err
	}
	k.mu.Lock()
	k.cmd, k.done = cmd, done
	k.mu.Unlock()
	if err := k.waitReady(done, logStart); err != nil {
		k.Stop()
		return err
	}
	return nil
}

// waitReady returns once the KDC has opened its sockets and answered an
// AS-REQ. The probe asks for a principal that does not exist, so it works
// whatever a test did to the real principals before a Restart.
func (k *KDC) waitReady(done <-chan struct{}, logStart int64) error {
	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-done:
			return errors.New("krb5kdc exited during startup")
		default:
		}
		if strings.Contains(readFrom(k.logPath(), logStart), "commencing operation") {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("krb5kdc did not start within %v", startTimeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if out, ok := answersAS(k.Env(), k.Dir, k.Realm); !ok {
		return fmt.Errorf("krb5kdc does not answer an AS-REQ: %s", out)
	}
	return nil
}

// launch starts a KDC program in the background, its output going to
// logPath, and closes done once it has exited; it dies with the test
// binary (kdcProcAttr).
func launch(cmd *exec.Cmd, logPath string) (done chan struct{}, err error) {
	out, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = kdcProcAttr()
	if err := cmd.Start(); err != nil {
		out.Close()
		return nil, err
	}
	done = make(chan struct{})
	go func() {
		_ = cmd.Wait()
		out.Close()
		close(done)
	}()
	return done, nil
}

// answersAS asks realm's KDC, with MIT's kinit and env, for a principal
// that does not exist, which works whatever a test did to the real ones:
// a KDC that says so is serving.
func answersAS(env []string, dir, realm string) (out string, ok bool) {
	path, err := lookTool("kinit")
	if err != nil {
		return err.Error(), false
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "-c", "FILE:"+filepath.Join(dir, "probe.ccache"), "testkdc-readiness-probe@"+realm)
	cmd.Env = env
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader("")
	b, _ := cmd.CombinedOutput()
	return string(b), strings.Contains(string(b), "not found in Kerberos database")
}

// Stop ends the KDC and waits for it to exit. Calling it again is harmless.
func (k *KDC) Stop() {
	k.mu.Lock()
	cmd, done := k.cmd, k.done
	k.cmd, k.done = nil, nil
	k.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// Restart stops the KDC if it runs and starts it again on the same port with
// the same database, as after an outage.
func (k *KDC) Restart(t testing.TB) {
	t.Helper()
	k.Stop()
	if err := k.start(); err != nil {
		t.Fatalf("testkdc: restarting krb5kdc: %v\n%s", err, k.logTail())
	}
}

// Running reports whether the KDC process is up.
func (k *KDC) Running() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.cmd != nil
}

// Principal qualifies name with the realm.
func (k *KDC) Principal(name string) string {
	return name + "@" + k.Realm
}

// Env is os.Environ() pointed at this KDC: KRB5_CONFIG and KRB5_KDC_PROFILE
// are set; KRB5CCNAME, KRB5_KTNAME, KRB5_CLIENT_KTNAME and KRB5_TRACE are
// removed so the caller's own Kerberos setup cannot leak into a test.
func (k *KDC) Env() []string {
	return append(cleanEnv(), "KRB5_CONFIG="+k.Krb5Conf, "KRB5_KDC_PROFILE="+k.KDCConf)
}

// cleanEnv is os.Environ() without the variables that would point a
// Kerberos program at the caller's own setup, nor also.
func cleanEnv(also ...string) []string {
	drop := map[string]bool{
		"KRB5_CONFIG": true, "KRB5_KDC_PROFILE": true, "KRB5CCNAME": true,
		"KRB5_KTNAME": true, "KRB5_CLIENT_KTNAME": true, "KRB5_TRACE": true,
	}
	for _, name := range also {
		drop[name] = true
	}
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !drop[name] {
			env = append(env, kv)
		}
	}
	return env
}
