package daemon

import (
	"os"
	"syscall"
	"testing"
	"time"
)

func TestNotifySignals(t *testing.T) {
	ch, stop := NotifySignals(syscall.SIGQUIT)
	defer stop()
	for _, sig := range []syscall.Signal{syscall.SIGALRM, syscall.SIGUSR1, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT} {
		if err := syscall.Kill(os.Getpid(), sig); err != nil {
			t.Fatal(err)
		}
		select {
		case got := <-ch:
			if got != sig {
				t.Errorf("sent %v, received %v", sig, got)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%v not delivered to the channel", sig)
		}
	}
}
