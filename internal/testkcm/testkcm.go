// Package testkcm runs a throwaway KCM daemon for tests of KCM: credential
// caches: Heimdal's kcm (/usr/sbin/kcm, Start) or sssd-kcm (StartSSSD,
// the KCM of RHEL, Fedora and FreeIPA clients).
//
// Heimdal's kcm up to at least 7.8 ignores its -s option and always
// listens on /var/run/.heim_org.h5l.kcm-socket. So that tests neither
// need nor disturb a system daemon there, kcm runs in a private mount
// namespace in which a temporary directory is bind-mounted over /var/run:
// its socket and pid file land in that directory, reachable by path from
// outside. As root this needs no more than unshare(CLONE_NEWNS); other
// users get an unprivileged user namespace, in which kcm sees every client
// as uid 0.
//
// Where the daemon is not installed, or the namespace cannot be made, the
// test is skipped, except under CI=true, where that is a failure.
package testkcm

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// SocketName is the file Heimdal's kcm creates in /var/run.
const SocketName = ".heim_org.h5l.kcm-socket"

// startTimeout bounds how long Start waits for the socket to answer.
const startTimeout = 15 * time.Second

// Options configure a daemon.
type Options struct {
	// NoNameConstraints starts kcm with -n, so that users other than
	// root may create caches whose names do not begin with their uid.
	NoNameConstraints bool
}

// KCM is a running KCM daemon.
type KCM struct {
	// Dir is the daemon's private directory. For Heimdal it stands in for
	// /var/run: it holds the socket, kcm.pid and kcm's (empty) krb5.conf;
	// for sssd-kcm see StartSSSD.
	Dir string
	// Socket is the daemon's unix socket, for krb5.conf's kcm_socket.
	Socket string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	log  string
}

// kcmBinary finds Heimdal's kcm, which Debian installs in /usr/sbin.
func kcmBinary() (string, error) {
	for _, p := range []string{"/usr/sbin/kcm", "/usr/local/sbin/kcm"} {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", errors.New("/usr/sbin/kcm not found (install heimdal-kcm)")
}

// Start runs kcm until the test ends.
func Start(t testing.TB, opts Options) *KCM {
	t.Helper()
	kcm, err := kcmBinary()
	if err != nil {
		unavailable(t, "%v", err)
	}
	for _, tool := range []string{"/bin/sh", "mount"} {
		if _, err := exec.LookPath(tool); err != nil {
			unavailable(t, "%s not found: %v", tool, err)
		}
	}
	// Not t.TempDir: a unix socket path must fit in 108 bytes, and
	// TempDir names grow with the test name.
	dir, err := os.MkdirTemp("", "testkcm-")
	if err != nil {
		t.Fatalf("testkcm: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	// Like /var/run, other users may reach the socket; kcm itself decides
	// by the peer's uid what they may do.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatalf("testkcm: %v", err)
	}
	k := &KCM{Dir: dir, Socket: filepath.Join(dir, SocketName), log: filepath.Join(dir, "kcm.log")}
	if len(k.Socket) >= 108 {
		t.Fatalf("testkcm: socket path %s is too long for a unix socket", k.Socket)
	}
	t.Cleanup(k.Stop)
	if err := k.start(kcm, opts); err != nil {
		unavailable(t, "starting %s: %v%s\n%s", kcm, err, startFix(err), k.logText())
	}
	return k
}

func (k *KCM) start(kcm string, opts Options) error {
	conf := filepath.Join(k.Dir, "kcm-krb5.conf")
	if err := os.WriteFile(conf, nil, 0o600); err != nil {
		return err
	}
	// -s is passed too, pointing at where the socket ends up anyway, so a
	// kcm that honours it behaves the same.
	script := `mount --bind "$1" /var/run && shift && exec "$@"`
	args := []string{"/bin/sh", "-c", script, "sh", k.Dir, kcm, "-s", k.Socket}
	if opts.NoNameConstraints {
		args = append(args, "-n")
	}
	// Heimdal reads KRB5_CONFIG; an empty one keeps /etc/krb5.conf out.
	return k.run(args, []string{"KRB5_CONFIG=" + conf})
}

// run starts argv in a private mount namespace (see procAttr), with its
// output in the log, and waits until the socket answers.
func (k *KCM) run(argv, env []string) error {
	out, err := os.OpenFile(k.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Dir = k.Dir
	cmd.Stdout, cmd.Stderr = out, out
	attr, err := procAttr()
	if err != nil {
		out.Close()
		return err
	}
	cmd.SysProcAttr = attr
	if err := cmd.Start(); err != nil {
		out.Close()
		return err
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		out.Close()
		close(done)
	}()
	k.mu.Lock()
	k.cmd, k.done = cmd, done
	k.mu.Unlock()
	if err := k.waitReady(done); err != nil {
		k.Stop()
		return err
	}
	return nil
}

// waitReady returns once a connection to the socket succeeds.
func (k *KCM) waitReady(done <-chan struct{}) error {
	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-done:
			return errors.New("kcm exited during startup")
		default:
		}
		if c, err := net.DialTimeout("unix", k.Socket, time.Second); err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("kcm did not listen on %s within %v", k.Socket, startTimeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Stop ends kcm and waits for it. Calling it again is harmless.
func (k *KCM) Stop() {
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

// Running reports whether kcm is up.
func (k *KCM) Running() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.cmd == nil {
		return false
	}
	select {
	case <-k.done:
		return false
	default:
		return true
	}
}

func (k *KCM) logText() string {
	b, _ := os.ReadFile(k.log)
	return string(b)
}

// Krb5Conf writes a copy of the krb5.conf at base with kcm_socket set to
// this daemon in [libdefaults] and returns its path, for MIT's tools,
// which read the socket only from krb5.conf (not from KRB5_KCM_SOCKET).
func (k *KCM) Krb5Conf(t testing.TB, base string) string {
	t.Helper()
	text, err := os.ReadFile(base)
	if err != nil {
		t.Fatalf("testkcm: %v", err)
	}
	out := filepath.Join(k.Dir, "krb5.conf")
	if err := os.WriteFile(out, []byte(WithSocket(string(text), k.Socket)), 0o600); err != nil {
		t.Fatalf("testkcm: %v", err)
	}
	return out
}

// WithSocket adds kcm_socket = socket to the [libdefaults] section of a
// krb5.conf text, creating the section if there is none. MIT takes the
// first value of a relation, so the line goes first in the section.
func WithSocket(conf, socket string) string {
	line := "\tkcm_socket = " + socket + "\n"
	lines := strings.SplitAfter(conf, "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) == "[libdefaults]" {
			if !strings.HasSuffix(l, "\n") {
				lines[i] = l + "\n"
			}
			return strings.Join(lines[:i+1], "") + line + strings.Join(lines[i+1:], "")
		}
	}
	return "[libdefaults]\n" + line + "\n" + conf
}

func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("testkcm: "+format, args...)
	}
	t.Skipf("testkcm: "+format, args...)
}
