package cli

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"slices"
	"sync"
	"syscall"
)

// startup is krenew from the parsed command line until the keeper takes
// over the signals (or the mode ends). SIGINT, SIGTERM and SIGHUP end it:
// ctx is cancelled, which ends every wait that can be cancelled (a cache
// lock, the KDC, the daemon's start, --wait-lock), and the run then exits
// 128 + the signal's number, however the mode ended. Without this, a
// caught signal nobody looked at would leave krenew deaf to Ctrl-C while
// it waited.
type startup struct {
	ctx    context.Context
	cancel context.CancelFunc
	sigs   chan os.Signal
	mu     sync.Mutex
	over   bool
	sig    syscall.Signal // what interrupted the start-up; 0 if nothing did
	// held are the keeper's own signals (SIGALRM: renew now, SIGUSR1:
	// log the status) that came before it caught them. Uncaught, either
	// would have killed krenew, whose start is where a script's first
	// SIGALRM lands; caught, they are raised again for the keeper.
	held []syscall.Signal
}

var (
	startupSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP}
	heldSignals    = []os.Signal{syscall.SIGALRM, syscall.SIGUSR1}
)

func beginStartup() *startup {
	ctx, cancel := context.WithCancel(context.Background())
	st := &startup{ctx: ctx, cancel: cancel, sigs: make(chan os.Signal, 4)}
	signal.Notify(st.sigs, append(append([]os.Signal{}, startupSignals...), heldSignals...)...)
	go st.watch()
	return st
}

func (st *startup) watch() {
	for sig := range st.sigs {
		s, _ := sig.(syscall.Signal)
		st.mu.Lock()
		switch {
		case st.over:
		case s == syscall.SIGALRM || s == syscall.SIGUSR1:
			if !slices.Contains(st.held, s) {
				st.held = append(st.held, s)
			}
		case st.sig == 0:
			st.sig = s
			st.cancel()
		}
		st.mu.Unlock()
	}
}

// replay raises the held signals again, once the keeper catches them.
func (st *startup) replay() {
	st.mu.Lock()
	held := st.held
	st.held = nil
	st.mu.Unlock()
	for _, s := range held {
		_ = syscall.Kill(os.Getpid(), s)
	}
}

// interrupted is the signal that ended the start-up, 0 if none did.
func (st *startup) interrupted() syscall.Signal {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.sig
}

// end hands the signals over to the keeper, which must be catching them
// already: from now on they are the keeper's to act on (a daemon stops, a
// command gets them), and no longer cancel ctx. It returns the signal that
// interrupted the start-up before that, if any.
func (st *startup) end() syscall.Signal {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.over = true
	return st.sig
}

// stop lets the signals go; the watching goroutine ends with the process.
func (st *startup) stop() {
	signal.Stop(st.sigs)
	st.cancel()
}

// outcome is what a mode's result becomes when the start-up was
// interrupted: the run ends as the signal would have ended it, with one
// line saying so, whatever the mode was doing when it noticed. A failure
// that already says it was interrupted (the prompt's, the lock wait's) is
// kept, as is an exit status already reported.
func (st *startup) outcome(err error) error {
	sig := st.interrupted()
	if sig == 0 {
		return err
	}
	var code exitCode
	if errors.As(err, &code) {
		return err
	}
	var f *failure
	if errors.As(err, &f) && f.code > 128 {
		return err
	}
	return interruptedFailure(sig)
}
