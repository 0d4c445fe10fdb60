package prompt

import (
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func TestHarden(t *testing.T) {
	got := startHelper(t, "harden", &syscall.SysProcAttr{}, nil).wait(t)
	wantReport(t, got, map[string]string{"err": "none", "dumpable": "0", "corecur": "0"})
	// Sanity check that the helper, not this process, was changed.
	if d, err := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0); err != nil || d != 1 {
		t.Errorf("test process dumpable = %d, %v; the test must not harden itself", d, err)
	}
}
