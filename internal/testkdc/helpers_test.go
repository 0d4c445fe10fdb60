package testkdc

import (
	"path/filepath"
	"testing"
)

func cachePath(t *testing.T, name string) string {
	t.Helper()
	return "FILE:" + filepath.Join(t.TempDir(), name)
}

// kinit gets a TGT for principal into cache with the password on stdin.
func kinit(t *testing.T, k *KDC, cache, principal, password string, args ...string) {
	t.Helper()
	args = append(append([]string{"-c", cache}, args...), principal)
	stdout, stderr, code := k.RunStdin(t, password+"\n", "kinit", args...)
	if code != 0 {
		t.Fatalf("kinit %v: exit %d\nstdout: %s\nstderr: %s\n%s", args, code, stdout, stderr, k.logTail())
	}
}
