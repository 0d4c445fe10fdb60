package ccache

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/krenew/krenew/internal/testkcm"
	"github.com/krenew/krenew/internal/testkdc"
)

// startSSSDKCM runs sssd-kcm's responder (sssd 2.x, /usr/libexec/sssd/
// sssd_kcm) on a socket of its own until the test ends, or skips the
// test. sssd keeps its configuration and caches under compiled-in paths
// (/etc/sssd, /var/lib/sss), so it runs in a private mount namespace
// with temporary directories bound over those; sssd --genconf-section
// fills its configuration database from a minimal sssd.conf, which the
// responder reads instead of sssd.conf itself. .ci/run installs
// sssd-kcm, the RHEL/Fedora default KCM, so under CI=true a missing or
// failing one fails the test; elsewhere it skips.
func startSSSDKCM(t *testing.T) string {
	t.Helper()
	const responder = "/usr/libexec/sssd/sssd_kcm"
	for _, p := range []string{responder, "/usr/sbin/sssd"} {
		if _, err := os.Stat(p); err != nil {
			sssdUnavailable(t, "sssd-kcm not installed: %v", err)
		}
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		sssdUnavailable(t, "unshare not found: %v", err)
	}
	dir, err := os.MkdirTemp("", "sssdkcm-") // short: the socket path must fit in 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	socket := filepath.Join(dir, "kcm.socket")
	for _, d := range []string{"etc/conf.d", "lib/db", "lib/secrets", "lib/pipes/private", "lib/mc", "lib/pubconf"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	conf := "[sssd]\nservices = kcm\n\n[kcm]\nsocket_path = " + socket + "\n"
	if err := os.WriteFile(filepath.Join(dir, "etc", "sssd.conf"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	script := `mount --bind "$1/lib" /var/lib/sss && mount --bind "$1/etc" /etc/sssd &&
sssd -c /etc/sssd/sssd.conf --genconf-section=kcm --logger=stderr &&
exec ` + responder + ` --uid 0 --gid 0 --logger=stderr`
	args := []string{"-m", "--propagation", "private"}
	if os.Geteuid() != 0 {
		args = append([]string{"-r"}, args...)
	}
	cmd := exec.Command("unshare", append(args, "sh", "-c", script, "sh", dir)...)
	logf, err := os.Create(filepath.Join(dir, "sssd.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		sssdUnavailable(t, "starting sssd_kcm: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); logf.Close(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		select {
		case <-done:
			b, _ := os.ReadFile(filepath.Join(dir, "sssd.log"))
			sssdUnavailable(t, "sssd_kcm exited:\n%s", b)
		default:
		}
		if c, err := net.Dial("unix", socket); err == nil {
			c.Close()
			return socket
		}
	}
	sssdUnavailable(t, "sssd_kcm did not open its socket within 10s")
	return ""
}

func sssdHarness(t *testing.T) *collHarness {
	t.Helper()
	socket := startSSSDKCM(t)
	k := testkdc.Start(t, testkdc.Options{})
	base, err := os.ReadFile(k.Krb5Conf)
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(k.Dir, "krb5-sssd.conf")
	if err := os.WriteFile(conf, []byte(testkcm.WithSocket(string(base), socket)), 0o600); err != nil {
		t.Fatal(err)
	}
	k.Krb5Conf = conf
	return newCollHarness(t, k, "KCM:", OpenOptions{KCMSocket: socket})
}

func TestCollectionSSSDKCMKrenewBesideMIT(t *testing.T) {
	testKrenewBesideMIT(t, sssdHarness(t))
}

func TestCollectionSSSDKCMFindsMITCache(t *testing.T) {
	testFindsMITCache(t, sssdHarness(t), func(mit, ours string) bool {
		return len(mit) > len("KCM:") && len(ours) > len("KCM:") && mit != ours
	})
}

func TestCollectionSSSDKCMEmpty(t *testing.T) {
	testEmptyCollection(t, sssdHarness(t))
}

func TestCollectionSSSDKCMRenewKeepsPrimary(t *testing.T) {
	testRenewKeepsPrimary(t, sssdHarness(t))
}

func sssdUnavailable(t *testing.T, format string, a ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, a...)
	}
	t.Skipf(format, a...)
}
