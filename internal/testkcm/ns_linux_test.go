package testkcm

import (
	"syscall"
	"testing"
)

// Where / is a mount point (here), an EINVAL gets no chroot advice; in a
// chroot the advice was checked by hand (issue 18).
func TestStartFixOnlyWithoutARootMount(t *testing.T) {
	if !rootIsMountPoint() {
		t.Skip("/ is not a mount point here: the advice applies, nothing to check against")
	}
	if fix := startFix(syscall.EINVAL); fix != "" {
		t.Errorf("startFix(EINVAL) = %q with / a mount point", fix)
	}
}
