package prompt

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Harden keeps the password out of core files and away from same-user
// debuggers for the process that will hold it: the soft RLIMIT_CORE becomes 0
// and the process is marked non-dumpable (which also makes /proc/<pid>/mem
// and ptrace unavailable to other processes of the same user).
//
// The hard core limit is left alone so a command krenew starts could raise
// its soft limit again; rlimits are inherited across exec, the dumpable flag
// is not.
func Harden() error {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_CORE, &lim); err != nil {
		return fmt.Errorf("read core file limit: %w", err)
	}
	lim.Cur = 0
	if err := unix.Setrlimit(unix.RLIMIT_CORE, &lim); err != nil {
		return fmt.Errorf("disable core files: %w", err)
	}
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("mark process non-dumpable: %w", err)
	}
	return nil
}
