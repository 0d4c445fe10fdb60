package cli

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"strings"
)

// runAklog runs $AKLOG (default aklog) against the cache after a new or
// renewed ticket, as kstart's -t does, so AFS tokens follow the ticket.
func runAklog(cacheName string) error {
	prog := os.Getenv("AKLOG")
	if prog == "" {
		prog = "aklog"
	}
	fields := strings.Fields(prog)
	if len(fields) == 0 {
		return aklogEmptyFailure()
	}
	cmd := exec.Command(fields[0], fields[1:]...)
	cmd.Env = append(environWithout("KRB5CCNAME", "_GO_DAEMON", "NOTIFY_SOCKET"), "KRB5CCNAME="+cacheName)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, exec.ErrNotFound), errors.Is(err, fs.ErrNotExist):
		return aklogNotFoundFailure(fields[0])
	case errors.As(err, &ee):
		return aklogExitFailure(fields[0], cacheName, ee.ExitCode())
	}
	return aklogRunFailure(fields[0], err)
}

// environWithout is the environment minus the named variables; children
// must not inherit go-daemon's marker, systemd's notify socket or a stale
// cache name.
func environWithout(names ...string) []string {
	var out []string
next:
	for _, kv := range os.Environ() {
		for _, n := range names {
			if strings.HasPrefix(kv, n+"=") {
				continue next
			}
		}
		out = append(out, kv)
	}
	return out
}
