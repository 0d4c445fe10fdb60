package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/krenew/krenew/ccache"
	"github.com/krenew/krenew/daemon"
	"github.com/krenew/krenew/prompt"
	"github.com/krenew/krenew/renew"
)

// daemonStartTimeout bounds the wait for the daemon's readiness report.
const daemonStartTimeout = 30 * time.Second

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
			return report(&failure{msg: fmt.Sprintf("cannot log to syslog: %v", err), hint: "run without -L"})
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
		return report(&failure{msg: fmt.Sprintf("the renewal daemon for %s did not start: %v", principal, err)})
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

// checkSyslog fails before the prompt, not after the ticket is in place,
// when -L cannot work.
func checkSyslog(o *options) error {
	if !o.syslog {
		return nil
	}
	probe, err := daemon.NewLogger(false, true)
	if err != nil {
		return &failure{msg: fmt.Sprintf("cannot log to syslog: %v", err), hint: "run without -L, or start a syslog daemon"}
	}
	return probe.Close()
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
		return report(&failure{msg: fmt.Sprintf("another user holds the krenew lock of %s", s.cacheName),
			hint: "that is an attack or a misconfiguration; use another cache with -k"}), true
	case err != nil:
		return report(&failure{msg: fmt.Sprintf("cannot tell whether a krenew daemon renews %s: %v", s.cacheName, err)}), true
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

// daemonArgs is the daemon's command line: everything it needs, with
// absolute paths (it runs in /), and nothing about passwords.
func daemonArgs(s *session, o *options, principal ccache.Principal) []string {
	args := []string{"-k", s.cacheName.String(), "-u", principal.String(),
		"-l", formatKrbDuration(o.lifetime), "-r", formatKrbDuration(o.renewable)}
	if o.keytabMode() {
		if path, err := o.keytabPath(); err == nil {
			args = append(args, "-f", path)
		}
	}
	if o.interval > 0 {
		args = append(args, "-K", strconv.Itoa(int(o.interval/time.Minute)))
	}
	if o.minLifetime > 0 {
		args = append(args, "-H", strconv.Itoa(int(o.minLifetime/time.Minute)))
	}
	if o.pidfile != "" {
		args = append(args, "-p", absPath(o.pidfile))
	}
	for _, f := range []struct {
		on   bool
		flag string
	}{{o.always, "-a"}, {o.exitOnError, "-x"}, {o.ignoreErrors, "-i"}, {o.syslog, "-L"}, {o.verbose, "-v"}, {o.aklog, "-t"}, {o.waitLock, "--wait-lock"}} {
		if f.on {
			args = append(args, f.flag)
		}
	}
	return args
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// runDaemonChild is the detached process: a fresh exec that never saw the
// password. What it writes to stderr before Ready reaches the user.
func runDaemonChild(ctx context.Context, s *session, o *options) int {
	log, principal, ok := startChild(s, o)
	if !ok {
		return exitFailure
	}
	defer log.Close()
	return serve(ctx, s, o, principal, log, daemon.Ready)
}

// startChild is what every detached child does first: its logger, then
// whose ticket it keeps (the parent put it in the cache). A failure is
// reported to the waiting parent.
func startChild(s *session, o *options) (*daemon.Logger, ccache.Principal, bool) {
	log, err := daemon.NewLogger(true, o.syslog)
	if err != nil {
		daemon.Fail(fmt.Sprintf("cannot log to syslog: %v", err))
		return nil, ccache.Principal{}, false
	}
	log.SetVerbose(o.verbose)
	cached, err := s.loadCache()
	if err != nil && !o.keytabMode() {
		log.Close()
		daemon.Fail(err.Error())
		return nil, ccache.Principal{}, false
	}
	principal, err := s.runPrincipal(o, cached)
	if err != nil {
		log.Close()
		daemon.Fail(err.Error())
		return nil, ccache.Principal{}, false
	}
	return log, principal, true
}

// serve holds the cache's lock and runs the renewal engine until it is
// done. ready (nil in the foreground) reports a successful start to the
// waiting parent. ctx ends with SIGTERM, SIGINT or SIGHUP; only a
// --wait-lock waiter needs it, as the engine reads its own signals.
func serve(ctx context.Context, s *session, o *options, principal ccache.Principal, log *daemon.Logger, ready func(string) error) int {
	fail := func(f *failure) int {
		if ready != nil {
			daemon.Fail(f.msg)
			return exitFailure
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
		return fail(&failure{msg: fmt.Sprintf("cannot lock %s: %v", s.cacheName, err)})
	}
	defer lock.Release()
	if o.pidfile != "" {
		path := absPath(o.pidfile)
		if err := daemon.WritePidfile(path, os.Getpid()); err != nil {
			return fail(&failure{msg: fmt.Sprintf("cannot write pidfile %s: %v", path, err)})
		}
		defer daemon.RemovePidfile(path, os.Getpid())
	}
	signals, stopSignals := daemon.NotifySignals()
	defer stopSignals()

	publish := func(st renew.Status) { lock.SetStatus(formatDaemonStatus(os.Getpid(), st)) }
	cfg := renew.Config{
		Principal: principal,
		CacheName: s.cacheName.String(),
		Store:     s.store,
		KDC:       s.client,
		Log:       log,
		Policy:    renew.Policy{MinLifetime: o.minLifetime, Interval: o.interval, Always: o.always},
		Errors:    errorMode(o),
		Signals:   signals,
		OnStatus:  publish,
	}
	if o.aklog {
		cfg.OnRenewed = func(ccache.Credential) error { return runAklog(s.cacheName.String()) }
	}
	if err := withKeytab(&cfg, s, o, principal); err != nil {
		return fail(asFailure(err))
	}
	if cfg.Policy.Always && cfg.Policy.Interval == 0 {
		// kstart renews with -a at each -K wake-up; without -K it wakes
		// hourly, as kstart does around a command.
		cfg.Policy.Interval = time.Hour
	}
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

// withKeytab makes the engine re-acquire from the keytab in keytab mode,
// with krbticket's retry defaults (1s doubling to 30s).
func withKeytab(cfg *renew.Config, s *session, o *options, principal ccache.Principal) error {
	if !o.keytabMode() {
		return nil
	}
	kt, err := s.keytab(o)
	if err != nil {
		return err
	}
	// This process reads the keytab's keys again and again: no core dumps.
	if err := prompt.Harden(); err != nil {
		cfg.Log.Warnf("cannot disable core dumps: %v", err)
	}
	cfg.Acquire = keytabAcquirer(s, o, kt, principal)
	cfg.BackoffMax = 30 * time.Second
	return nil
}

func errorMode(o *options) renew.ErrorMode {
	switch {
	case o.exitOnError:
		return renew.ExitOnError
	case o.ignoreErrors:
		return renew.IgnoreErrors
	}
	return renew.RetryWhileValid
}

func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
