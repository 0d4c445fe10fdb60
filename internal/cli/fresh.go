package cli

import (
	"os"
	"syscall"

	"github.com/krenew/krenew/ccache"
)

// freshExecNeeded: this process read the password and is about to run on
// (the command's supervisor, --foreground) for as long as the ticket is
// kept, which may be days. Everything krenew derives from the password
// is wiped (package renew), but the Go runtime may have left copies on
// stacks nobody can clear; a fresh exec leaves none. A process-bound
// cache (KEYRING:process:) would not survive the exec, so with one krenew
// stays the process it is.
func freshExecNeeded(s *session) bool {
	return s.heldPassword && !s.cacheName.ProcessBound()
}

// execWithoutPassword replaces this process with a fresh krenew that takes
// over from the stored ticket, with args (what the detached child would
// get) and the internal --supervise. An exec keeps the pid, the process
// group, the terminal, the stdio and the parent, so the shell's wait, job
// control, -p, systemd and signals see no difference. It returns only if
// the exec failed.
func execWithoutPassword(s *session, o *options, principal ccache.Principal, args []string) error {
	exe, err := os.Executable()
	if err == nil {
		err = syscall.Exec(exe, append([]string{os.Args[0]}, freshArgs(o, args)...), os.Environ())
	}
	return freshExecFailure(principal.String(), s.cacheName.String(), err)
}

// freshArgs is the fresh krenew's command line after argv[0]: the
// detached child's, marked as the takeover, and as quiet as this one.
func freshArgs(o *options, args []string) []string {
	out := []string{"--" + flagSupervise}
	if o.quiet {
		out = append(out, "-q")
	}
	return append(out, args...)
}
