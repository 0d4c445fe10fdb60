package testkcm

import (
	"encoding/binary"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// getDefaultCache asks the daemon for the default cache name with a raw
// KCM request, independently of package ccache.
func getDefaultCache(t *testing.T, socket string) string {
	t.Helper()
	c, err := net.DialTimeout("unix", socket, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", socket, err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	req := []byte{0, 0, 0, 4, 2, 0, 0, 20} // length 4; version 2.0; GET_DEFAULT_CACHE
	if _, err := c.Write(req); err != nil {
		t.Fatal(err)
	}
	var hdr [8]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil {
		t.Fatal(err)
	}
	body := make([]byte, binary.BigEndian.Uint32(hdr[:4]))
	if _, err := io.ReadFull(c, body); err != nil {
		t.Fatal(err)
	}
	if outer := binary.BigEndian.Uint32(hdr[4:]); outer != 0 || len(body) < 5 || binary.BigEndian.Uint32(body) != 0 {
		t.Fatalf("unexpected reply: status %d, body %x", outer, body)
	}
	return strings.TrimRight(string(body[4:]), "\x00")
}

func TestStartServesOnPrivateSocketAndStops(t *testing.T) {
	_, sysErr := os.Lstat("/var/run/" + SocketName)
	k := Start(t, Options{})
	if filepath.Dir(k.Socket) != k.Dir {
		t.Errorf("socket %s is not in %s", k.Socket, k.Dir)
	}
	if name := getDefaultCache(t, k.Socket); name == "" {
		t.Error("empty default cache name")
	}
	if _, err := os.Stat(filepath.Join(k.Dir, "kcm.pid")); err != nil {
		t.Errorf("kcm's pid file is not in the private /var/run: %v", err)
	}
	if os.IsNotExist(sysErr) {
		if _, err := os.Lstat("/var/run/" + SocketName); !os.IsNotExist(err) {
			t.Errorf("kcm created the system socket /var/run/%s: %v", SocketName, err)
		}
	}
	if !k.Running() {
		t.Fatal("Running is false while kcm serves")
	}
	k.Stop()
	k.Stop()
	wantStopped(t, k)
}

// wantStopped checks what Stop promises: not running, nothing listening.
func wantStopped(t *testing.T, k *KCM) {
	t.Helper()
	if k.Running() {
		t.Error("Running is true after Stop")
	}
	if c, err := net.DialTimeout("unix", k.Socket, time.Second); err == nil {
		c.Close()
		t.Error("socket still accepts connections after Stop")
	}
}

func TestTwoDaemonsAreIndependent(t *testing.T) {
	a := Start(t, Options{})
	b := Start(t, Options{NoNameConstraints: true})
	if a.Socket == b.Socket {
		t.Fatalf("both daemons use %s", a.Socket)
	}
	a.Stop()
	if getDefaultCache(t, b.Socket) == "" {
		t.Error("second daemon stopped answering when the first stopped")
	}
}

func TestWithSocket(t *testing.T) {
	cases := []struct{ in, want string }{
		{"[libdefaults]\n\tdefault_realm = X\n", "[libdefaults]\n\tkcm_socket = /s\n\tdefault_realm = X\n"},
		{"[realms]\n X = {}\n", "[libdefaults]\n\tkcm_socket = /s\n\n[realms]\n X = {}\n"},
		{"[libdefaults]", "[libdefaults]\n\tkcm_socket = /s\n"},
		{"", "[libdefaults]\n\tkcm_socket = /s\n\n"},
	}
	for _, c := range cases {
		if got := WithSocket(c.in, "/s"); got != c.want {
			t.Errorf("WithSocket(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestKrb5ConfCopiesBase(t *testing.T) {
	k := Start(t, Options{})
	base := filepath.Join(t.TempDir(), "krb5.conf")
	if err := os.WriteFile(base, []byte("[libdefaults]\n\tdefault_realm = EXAMPLE.TEST\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(k.Krb5Conf(t, base))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "kcm_socket = "+k.Socket+"\n") || !strings.Contains(string(b), "default_realm = EXAMPLE.TEST") {
		t.Errorf("krb5.conf copy lacks the socket or the base settings:\n%s", b)
	}
}

func TestStartSSSDServesOnPrivateSocketAndStops(t *testing.T) {
	sysDB := "/var/lib/sss/secrets/secrets.ldb"
	_, sysErr := os.Stat(sysDB)
	k := StartSSSD(t)
	if filepath.Dir(k.Socket) != k.Dir {
		t.Errorf("socket %s is not in %s", k.Socket, k.Dir)
	}
	if name := getDefaultCache(t, k.Socket); name == "" {
		t.Error("empty default cache name")
	}
	// sssd-kcm keeps its caches in the private directory bound over
	// /var/lib/sss, never in the system's.
	if _, err := os.Stat(filepath.Join(k.Dir, "lib", "secrets", "secrets.ldb")); err != nil {
		t.Errorf("sssd-kcm's database is not in the private /var/lib/sss: %v", err)
	}
	if os.IsNotExist(sysErr) {
		if _, err := os.Stat(sysDB); !os.IsNotExist(err) {
			t.Errorf("sssd-kcm created the system database %s: %v", sysDB, err)
		}
	}
	k.Stop()
	wantStopped(t, k)
}
