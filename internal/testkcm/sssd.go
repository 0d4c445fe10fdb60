package testkcm

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// sssdResponder is sssd-kcm's KCM responder (sssd 2.x, Debian's sssd-kcm
// package); sssd itself only generates its configuration database.
const (
	sssdResponder = "/usr/libexec/sssd/sssd_kcm"
	sssdMonitor   = "/usr/sbin/sssd"
)

// StartSSSD runs sssd-kcm's responder standalone on a socket of its own
// until the test ends. It has the same CI behaviour as Start: where
// sssd-kcm is missing or cannot run, the test is skipped, under CI=true
// it fails.
//
// sssd keeps its configuration and caches under compiled-in paths
// (/etc/sssd, /var/lib/sss: the secrets database holding every cache is
// /var/lib/sss/secrets/secrets.ldb), so the responder runs in a private
// mount namespace with directories of Dir bind-mounted over both: neither
// a system sssd's caches nor its configuration are read or touched, and
// two daemons share nothing. `sssd --genconf-section=kcm` fills the
// configuration database from a minimal sssd.conf (services = kcm,
// socket_path in Dir), which the responder reads instead of sssd.conf.
// The responder runs as root (--uid 0 --gid 0), or as the namespace's
// root for other users, and logs to Dir/kcm.log.
func StartSSSD(t testing.TB) *KCM {
	t.Helper()
	for _, p := range []string{sssdResponder, sssdMonitor} {
		if _, err := os.Stat(p); err != nil {
			unavailable(t, "%s not found (install sssd-kcm): %v", p, err)
		}
	}
	for _, tool := range []string{"/bin/sh", "mount"} {
		if _, err := exec.LookPath(tool); err != nil {
			unavailable(t, "%s not found: %v", tool, err)
		}
	}
	dir, err := os.MkdirTemp("", "sssdkcm-") // short: see Start
	if err != nil {
		t.Fatalf("testkcm: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatalf("testkcm: %v", err)
	}
	k := &KCM{Dir: dir, Socket: filepath.Join(dir, "kcm.socket"), log: filepath.Join(dir, "kcm.log")}
	t.Cleanup(k.Stop)
	if err := k.startSSSD(); err != nil {
		unavailable(t, "starting sssd-kcm (%s): %v%s\n%s", sssdResponder, err, startFix(err), k.logText())
	}
	return k
}

func (k *KCM) startSSSD() error {
	for _, d := range []string{"etc/conf.d", "lib/db", "lib/secrets", "lib/pipes/private", "lib/mc", "lib/pubconf"} {
		if err := os.MkdirAll(filepath.Join(k.Dir, d), 0o700); err != nil {
			return err
		}
	}
	conf := "[sssd]\nservices = kcm\n\n[kcm]\nsocket_path = " + k.Socket + "\n"
	if err := os.WriteFile(filepath.Join(k.Dir, "etc", "sssd.conf"), []byte(conf), 0o600); err != nil {
		return err
	}
	for _, d := range []string{"/var/lib/sss", "/etc/sssd"} {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			return errors.New(d + " is missing: it is where sssd-kcm's own files are bind-mounted over")
		}
	}
	script := `mount --bind "$1/lib" /var/lib/sss && mount --bind "$1/etc" /etc/sssd &&
` + sssdMonitor + ` -c /etc/sssd/sssd.conf --genconf-section=kcm --logger=stderr &&
exec ` + sssdResponder + ` --uid 0 --gid 0 --logger=stderr`
	return k.run([]string{"/bin/sh", "-c", script, "sh", k.Dir}, nil)
}
