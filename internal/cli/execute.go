package cli

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// execute runs the mode the command line selected and returns the exit
// status. Failures are reported here, once, through report.
func execute(o *options) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	quiet = o.quiet
	s, err := newSession(o)
	if err != nil {
		return report(err)
	}
	switch {
	case o.mode == modeStatus:
		return runStatus(s, o)
	case o.mode == modeOnce:
		err = runOnce(ctx, s, o)
	case o.mode == modeDaemon:
		return runDaemonMode(ctx, s, o)
	default:
		return runCommandMode(ctx, s, o)
	}
	if err != nil {
		return report(err)
	}
	return exitOK
}
