package daemon

import (
	"os"
	"os/signal"
	"syscall"
)

// NotifySignals delivers the signals the renewal loop acts on (ALRM renew
// now, USR1 log status, HUP/TERM/INT exit or forward) plus extra (e.g.
// SIGQUIT for command mode) to the returned channel; stop restores the
// default handling. The channel is buffered so a burst is not lost while
// the loop is busy talking to a KDC.
func NotifySignals(extra ...os.Signal) (signals <-chan os.Signal, stop func()) {
	ch := make(chan os.Signal, 16)
	sigs := append([]os.Signal{syscall.SIGALRM, syscall.SIGUSR1, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT}, extra...)
	signal.Notify(ch, sigs...)
	return ch, func() { signal.Stop(ch) }
}
