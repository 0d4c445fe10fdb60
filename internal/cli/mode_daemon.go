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
func runDaemonMode(ctx context.Context, s *session, o *options) error {
	if daemon.IsDaemon() {
		return runDaemonChild(ctx, s, o)
	}
	if o.supervise && o.foreground {
		return runForegroundSupervisor(ctx, s, o)
	}
	// The lock to look at is that of the principal's own cache, which in
	// a collection may not be the primary.
	if _, _, err := s.settle(o); err != nil {
		return err
	}
	if !o.waitLock {
		if held, err := reportHolder(s, o); held || err != nil {
			return err
		}
	}
	if err := checkSyslog(o); err != nil {
		return err
	}
	principal, tgt, err := ensureTicket(ctx, s, o)
	if err != nil {
		return err
	}
	if o.foreground {
		if freshExecNeeded(s) {
			return execWithoutPassword(s, o, principal, append(daemonArgs(s, o, principal), "--"+flagForeground))
		}
		log, err := daemon.NewLogger(true, o.syslog)
		if err != nil {
			return syslogHintFailure(err)
		}
		defer log.Close()
		log.SetVerbose(o.verbose)
		sayForegroundStart(log, s, o, principal, tgt)
		return serve(ctx, s, o, principal, log, nil)
	}
	pid, _, err := daemon.Detach(ctx, daemonArgs(s, o, principal), daemonStartTimeout)
	if err != nil {
		// Two krenews started at once on one cache: the one that lost the
		// race for the lock has nothing to do.
		if !o.waitLock {
			if held, herr := reportHolder(s, o); held || herr != nil {
				return herr
			}
		}
		return daemonStartFailure(principal, err)
	}
	if holder, _, err := daemon.QueryHolder(s.lockKey()); o.waitLock && err == nil && holder != pid {
		noticef("pid %d will take over renewing %s in %s when pid %d exits", pid, principal, s.cacheName, holder)
		return nil
	}
	if o.keytabMode() {
		kt, _ := o.keytabPath()
		noticef("keeping %s in %s authenticated from %s (pid %d)", principal, s.cacheName, kt, pid)
		return nil
	}
	noticef("renewing %s in %s until %s (pid %d)", principal, s.cacheName, when(tgt.RenewTill), pid)
	return nil
}

// reportHolder says who already renews the cache, if anyone: a second
// krenew on the same cache must not start a second daemon (nor prompt).
// That is the normal case for krenew in cron and login scripts, so it is
// said only where someone reads it: at a terminal, or with -v.
func reportHolder(s *session, o *options) (held bool, err error) {
	pid, st, err := daemon.QueryStatus(s.lockKey())
	switch {
	case errors.Is(err, daemon.ErrNotHeld):
		return false, nil
	case errors.Is(err, daemon.ErrSquatted):
		return true, squattedLockFailure(s.cacheName.String())
	case err != nil:
		return true, holderQueryFailure(s.cacheName.String(), err)
	}
	who := st.Principal
	if who == "" {
		who = "the ticket"
	}
	if o.verbose || isTerminal(os.Stderr) {
		noticef("%s in %s is already renewed by pid %d until %s", who, s.cacheName, pid, when(st.RenewTill))
	}
	return true, nil
}

// runDaemonChild is the detached process: a fresh exec that never saw the
// password. What it returns before it reports ready reaches the user
// through the waiting parent.
func runDaemonChild(ctx context.Context, s *session, o *options) error {
	log, principal, err := startChild(s, o)
	if err != nil {
		return err
	}
	defer log.Close()
	return serve(ctx, s, o, principal, log, daemon.Ready)
}

// runForegroundSupervisor is --foreground's fresh exec after a prompt
// (execWithoutPassword): the ticket is in the cache, so it only keeps it.
func runForegroundSupervisor(ctx context.Context, s *session, o *options) error {
	log, principal, err := startChild(s, o)
	if err != nil {
		return err
	}
	defer log.Close()
	if cached, err := s.loadCache(); err == nil && cached != nil {
		if tgt, ok := cached.FindTGT(); ok {
			sayForegroundStart(log, s, o, principal, *tgt)
		}
	}
	return serve(ctx, s, o, principal, log, nil)
}

// sayForegroundStart logs the line the detached start prints, so that a
// foreground run does not say nothing until its first renewal, hours
// later (issue 18).
func sayForegroundStart(log *daemon.Logger, s *session, o *options, principal ccache.Principal, tgt ccache.Credential) {
	switch {
	case o.waitLock:
		// serve says whom it waits for.
	case o.keytabMode():
		kt, _ := o.keytabPath()
		log.Infof("keeping %s in %s authenticated from %s", principal, s.cacheName, kt)
	default:
		log.Infof("renewing %s in %s until %s", principal, s.cacheName, when(tgt.RenewTill))
	}
}

// serve holds the cache's lock and keeps the ticket in it until the
// engine is done. ready (nil in the foreground) reports a successful start
// to the waiting parent. ctx ends with SIGTERM, SIGINT or SIGHUP; only a
// --wait-lock waiter needs it, as the engine reads its own signals.
func serve(ctx context.Context, s *session, o *options, principal ccache.Principal, log *daemon.Logger, ready func(string) error) error {
	lock, err := daemon.AcquireLock(s.lockKey())
	var held *daemon.HolderError
	switch {
	case errors.As(err, &held) && o.waitLock:
		// --wait-lock: report the start now, take over when the holder
		// exits; the ticket it leaves is adopted like any newer ticket.
		if ready != nil {
			if err := ready(fmt.Sprintf("%d", os.Getpid())); err != nil {
				return exitCode(exitFailure)
			}
			ready = nil
		}
		log.Infof("waiting for pid %d, which renews %s, to exit", held.PID, s.cacheName)
		lock, err = daemon.WaitLock(ctx, s.lockKey())
		if ctx.Err() != nil {
			// A daemon asked to stop exits 0, waiting or not; this is
			// not a start-up to report as interrupted.
			log.Infof("stopped while waiting for pid %d", held.PID)
			return exitCode(exitOK)
		}
		if err != nil {
			log.Errorf("cannot lock %s: %v", s.cacheName, err)
			return exitCode(exitFailure)
		}
		log.Infof("took over renewing %s", s.cacheName)
	case errors.As(err, &held) && ready == nil:
		_, err := reportHolder(s, o)
		return err
	case err != nil:
		return lockFailure(s.cacheName.String(), err)
	}
	defer lock.Release()

	cfg, err := keeperConfig(s, o, principal, s.cacheName.String(), s.store, log)
	if err != nil {
		return err
	}
	publish := func(st renew.Status) {
		lock.Publish(daemon.Status{PID: os.Getpid(), Principal: st.Principal, Cache: s.cacheName.String(), EndTime: st.EndTime,
			RenewTill: st.RenewTill, NextRenewal: st.NextRenewal, LastError: st.LastError})
	}
	cfg.OnStatus = publish
	k := keeper{cfg: cfg, log: log, pidfile: o.pidfile, watch: s.cacheName.Path, ready: ready, startup: s.startup,
		systemd: fmt.Sprintf("renewing %s in %s", principal, s.cacheName)}
	k.publish = func() {
		if cached, err := s.loadCache(); err == nil && cached != nil {
			if tgt, ok := cached.FindTGT(); ok {
				at, _ := cfg.Policy.NextRenewal(*tgt)
				publish(renew.Status{Principal: principal.String(), Cache: s.cacheName.String(),
					EndTime: tgt.EndTime, RenewTill: tgt.RenewTill, NextRenewal: at})
			}
		}
	}
	return k.run(nil)
}

func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
