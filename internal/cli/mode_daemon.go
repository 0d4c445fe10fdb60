package cli

import (
	"context"
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/krenew/krenew/ccache"
	"github.com/krenew/krenew/daemon"
	"github.com/krenew/krenew/renew"
)

// runDaemonMode is plain krenew: make sure a renewable ticket is in place
// (prompting at most once), then renew it here (--foreground) or in a
// detached daemon until the renewable lifetime ends.
func runDaemonMode(ctx context.Context, s *session, o *options) int {
	if daemon.IsDaemon() {
		return runDaemonChild(ctx, s, o)
	}
	// The lock to look at is that of the principal's own cache, which in
	// a collection may not be the primary.
	if _, _, err := s.settle(o); err != nil {
		return report(err)
	}
	if !o.waitLock {
		if code, done := reportHolder(s, o); done {
			return code
		}
	}
	if err := checkSyslog(o); err != nil {
		return report(err)
	}
	principal, tgt, err := ensureTicket(ctx, s, o)
	if err != nil {
		return report(err)
	}
	if o.foreground {
		log, err := daemon.NewLogger(true, o.syslog)
		if err != nil {
			return report(syslogHintFailure(err))
		}
		defer log.Close()
		log.SetVerbose(o.verbose)
		return serve(ctx, s, o, principal, log, nil)
	}
	pid, _, err := daemon.Detach(daemonArgs(s, o, principal), daemonStartTimeout)
	if err != nil {
		// Two krenews started at once on one cache: the one that lost the
		// race for the lock has nothing to do.
		if code, done := reportHolder(s, o); done && !o.waitLock {
			return code
		}
		return report(daemonStartFailure(principal, err))
	}
	if holder, _, err := daemon.QueryHolder(s.lockKey()); o.waitLock && err == nil && holder != pid {
		noticef("pid %d will take over renewing %s in %s when pid %d exits", pid, principal, s.cacheName, holder)
		return exitOK
	}
	if o.keytabMode() {
		kt, _ := o.keytabPath()
		noticef("keeping %s in %s authenticated from %s (pid %d)", principal, s.cacheName, kt, pid)
		return exitOK
	}
	noticef("renewing %s in %s until %s (pid %d)", principal, s.cacheName, when(tgt.RenewTill), pid)
	return exitOK
}

// reportHolder says who already renews the cache, if anyone: a second
// krenew on the same cache must not start a second daemon (nor prompt).
// That is the normal case for krenew in cron and login scripts, so it is
// said only where someone reads it: at a terminal, or with -v.
func reportHolder(s *session, o *options) (int, bool) {
	pid, line, err := daemon.QueryHolder(s.lockKey())
	switch {
	case errors.Is(err, daemon.ErrNotHeld):
		return 0, false
	case errors.Is(err, daemon.ErrSquatted):
		return report(squattedLockFailure(s.cacheName.String())), true
	case err != nil:
		return report(holderQueryFailure(s.cacheName.String(), err)), true
	}
	st := parseDaemonStatus(line)
	who := st.principal
	if who == "" {
		who = "the ticket"
	}
	if o.verbose || isTerminal(os.Stderr) {
		noticef("%s in %s is already renewed by pid %d until %s", who, s.cacheName, pid, when(st.till))
	}
	return exitOK, true
}

// runDaemonChild is the detached process: a fresh exec that never saw the
// password. What it writes to stderr before Ready reaches the user.
func runDaemonChild(ctx context.Context, s *session, o *options) int {
	log, principal, err := startChild(s, o)
	if err != nil {
		return failDetached(err)
	}
	defer log.Close()
	return serve(ctx, s, o, principal, log, daemon.Ready)
}

// serve holds the cache's lock and runs the renewal engine until it is
// done. ready (nil in the foreground) reports a successful start to the
// waiting parent. ctx ends with SIGTERM, SIGINT or SIGHUP; only a
// --wait-lock waiter needs it, as the engine reads its own signals.
func serve(ctx context.Context, s *session, o *options, principal ccache.Principal, log *daemon.Logger, ready func(string) error) int {
	fail := func(f *failure) int {
		if ready != nil {
			return failDetached(f)
		}
		return report(f)
	}
	lock, err := daemon.AcquireLock(s.lockKey())
	var held *daemon.HolderError
	switch {
	case errors.As(err, &held) && o.waitLock:
		// --wait-lock: report the start now, take over when the holder
		// exits; the ticket it leaves is adopted like any newer ticket.
		if ready != nil {
			if err := ready(fmt.Sprintf("%d", os.Getpid())); err != nil {
				return exitFailure
			}
			ready = nil
		}
		log.Infof("waiting for pid %d, which renews %s, to exit", held.PID, s.cacheName)
		lock, err = daemon.WaitLock(ctx, s.lockKey())
		if ctx.Err() != nil {
			log.Infof("stopped while waiting for pid %d", held.PID)
			return exitOK
		}
		if err != nil {
			log.Errorf("cannot lock %s: %v", s.cacheName, err)
			return exitFailure
		}
		log.Infof("took over renewing %s", s.cacheName)
	case errors.As(err, &held) && ready == nil:
		code, _ := reportHolder(s, o)
		return code
	case err != nil:
		return fail(lockFailure(s.cacheName.String(), err))
	}
	defer lock.Release()
	if o.pidfile != "" {
		remove, err := writePidfile(o.pidfile, os.Getpid())
		if err != nil {
			return fail(asFailure(err))
		}
		defer remove()
	}
	signals, stopSignals := daemon.NotifySignals()
	defer stopSignals()

	publish := func(st renew.Status) { lock.SetStatus(formatDaemonStatus(os.Getpid(), st)) }
	cfg, err := keeperConfig(s, o, principal, s.cacheName.String(), s.store, log)
	if err != nil {
		return fail(asFailure(err))
	}
	cfg.Signals, cfg.OnStatus = signals, publish
	if cached, err := s.loadCache(); err == nil && cached != nil {
		if tgt, ok := cached.FindTGT(); ok {
			at, _ := cfg.Policy.NextRenewal(*tgt)
			publish(renew.Status{Principal: principal.String(), Cache: s.cacheName.String(),
				EndTime: tgt.EndTime, RenewTill: tgt.RenewTill, NextRenewal: at})
		}
	}
	if ready != nil {
		if err := ready(fmt.Sprintf("%d", os.Getpid())); err != nil {
			return exitFailure // the parent is gone; nobody would see more
		}
	}
	// Under systemd (Type=notify) the unit counts as started only now.
	sd, err := daemon.NotifyReady(fmt.Sprintf("renewing %s in %s", principal, s.cacheName))
	if err != nil {
		log.Errorf("cannot tell systemd that krenew is ready: %v", err)
	}
	defer sd.Stopping()
	log.Debugf("renewing %s in %s (pid %d)", principal, s.cacheName, os.Getpid())
	defer sleepQuietly(&cfg, s.cacheName.Path, log)()
	_, err = renew.Run(context.Background(), cfg)
	if err != nil {
		log.Errorf("%v", err)
		return exitFailure
	}
	return exitOK
}

func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
