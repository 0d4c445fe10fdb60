package renew

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/keytab"
)

// A keytab must be a regular file of keytab size: a FIFO is refused
// without waiting for a writer, a device (-f /dev/zero) is not read
// without bound, and a huge file is refused before it is read.
func TestKeytabRefusesHostileFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge")
	if err := os.WriteFile(huge, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(huge, 2*MaxKeytabSize); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ path, want string }{
		{fifo, "is not a regular file (a FIFO)"},
		{"/dev/zero", "is not a regular file (a character device)"},
		{dir, "is not a regular file (a directory)"},
		{huge, "is larger than 1024 KiB"},
		{filepath.Join(dir, "missing"), "cannot read keytab"},
	} {
		done := make(chan error, 1)
		go func() { _, err := Keytab{Path: tt.path}.FirstPrincipal(); done <- err }()
		select {
		case err := <-done:
			if KindOf(err) != KindKeytab || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("keytab %s: %v (kind %v), want a keytab error saying %q", tt.path, err, KindOf(err), tt.want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("reading keytab %s did not return", tt.path)
		}
	}
}

// A real keytab is still read.
func TestKeytabReadsRegularFile(t *testing.T) {
	kt := keytab.New()
	if err := kt.AddEntry("alice", "EXAMPLE.TEST", "secret", time.Now(), 3, etypeID.AES256_CTS_HMAC_SHA1_96); err != nil {
		t.Fatal(err)
	}
	b, err := kt.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "keytab")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := Keytab{Path: path}.FirstPrincipal()
	if err != nil || p.String() != "alice@EXAMPLE.TEST" {
		t.Errorf("FirstPrincipal = %v, %v", p, err)
	}
}
