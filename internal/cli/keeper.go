package cli

import (
	"context"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/krenew/krenew/ccache"
	"github.com/krenew/krenew/daemon"
	"github.com/krenew/krenew/prompt"
	"github.com/krenew/krenew/renew"
)

// keeper is the renewal framework of every long-running mode (the detached
// daemon, --foreground, and the cache around a command), as kstart's
// framework.c serves both krenew and k5start: the mode fills it in and run
// does the rest in one order, so that the pidfile, the signals, the
// readiness report, the idle tuning and the engine cannot differ between
// modes.
type keeper struct {
	cfg     renew.Config // from keeperConfig
	log     *daemon.Logger
	pidfile string // -p; "" for none
	watch   string // the cache file whose changes wake an idle keeper; "" if it cannot be watched
	// ready is the detached child's report to the waiting parent, nil in
	// the foreground; publish runs just before it, so that a --status
	// asked the moment krenew returns already sees the plan.
	ready   func(string) error
	publish func()
	// systemd is the status systemd shows once the keeper is ready; ""
	// keeps systemd out of it (a command's unit is the command's).
	systemd string
	// startup hands the signals over to the keeper; a signal that came
	// before that ends the run before anything starts.
	startup *startup
}

// job is what runs beside the engine and ends the keeper when it ends: the
// command of krenew -- cmd. Without one, the engine's end is the keeper's.
type job interface {
	// start runs once the keeper is ready; stop undoes what start set up.
	start() error
	stop()
	// signal gets every signal but SIGALRM, which forces a renewal.
	signal(os.Signal)
	// renewalEnded is told when the engine stops before the job does.
	renewalEnded(renew.Outcome, error)
	// exited delivers the job's exit status.
	exited() <-chan int
}

// run keeps the ticket until the engine ends (no job) or the job does,
// whose exit status is then krenew's. Failures before ready are returned
// for the mode's caller to report (to the parent, if detached); after it,
// they are logged.
func (k *keeper) run(j job) error {
	if k.pidfile != "" {
		remove, err := writePidfile(k.pidfile, os.Getpid())
		if err != nil {
			return err
		}
		defer remove()
	}
	var extra []os.Signal
	if j != nil {
		extra = append(extra, syscall.SIGQUIT) // forwarded to the command, like the others
	}
	signals, stopSignals := daemon.NotifySignals(extra...)
	defer stopSignals()
	if k.startup != nil {
		if sig := k.startup.end(); sig != 0 {
			return interruptedFailure(sig)
		}
		k.startup.replay()
	}
	if k.publish != nil {
		k.publish()
	}
	if k.ready != nil {
		if err := k.ready(strconv.Itoa(os.Getpid())); err != nil {
			return exitCode(exitFailure) // the parent is gone; nobody would see more
		}
	}
	if k.systemd != "" {
		// Under systemd (Type=notify) the unit counts as started only now.
		sd, err := daemon.NotifyReady(k.systemd)
		if err != nil {
			k.log.Errorf("cannot tell systemd that krenew is ready: %v", err)
		}
		defer sd.Stopping()
	}
	if j == nil {
		k.log.Debugf("renewing %s in %s (pid %d)", k.cfg.Principal, k.cfg.CacheName, os.Getpid())
		defer sleepQuietly(&k.cfg, k.watch, k.log)()
		k.cfg.Signals = signals
		if _, err := renew.Run(context.Background(), k.cfg); err != nil {
			msg, hint := engineFailure(err, k.cfg.Principal.String(), k.cfg.CacheName)
			k.log.Errorf("%s", msg)
			if hint != "" {
				k.log.Errorf("hint: %s", hint)
			}
			return exitCode(exitFailure)
		}
		return nil
	}
	if err := j.start(); err != nil {
		return err
	}
	defer j.stop()
	defer sleepQuietly(&k.cfg, k.watch, k.log)()
	return k.beside(j, signals)
}

// beside runs the engine while the job runs and routes the signals: a
// forced renewal to the engine, everything else to the job.
func (k *keeper) beside(j job, signals <-chan os.Signal) error {
	engineSigs := make(chan os.Signal, 4)
	k.cfg.Signals = engineSigs
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		outcome renew.Outcome
		err     error
	}
	engineDone := make(chan result, 1)
	go func() {
		outcome, err := renew.Run(ctx, k.cfg)
		engineDone <- result{outcome, err}
	}()
	for {
		select {
		case sig := <-signals:
			if sig != syscall.SIGALRM {
				j.signal(sig)
				continue
			}
			select {
			case engineSigs <- sig:
			default: // a renewal is already on its way
			}
		case r := <-engineDone:
			engineDone = nil
			j.renewalEnded(r.outcome, r.err)
		case code := <-j.exited():
			cancel()
			if engineDone != nil {
				<-engineDone
			}
			return exitCode(code)
		}
	}
}

// keeperConfig is the one renew.Config every keeper runs, built from the
// options in one place, so that the policy, -a's hourly default, the
// error mode, the aklog hook and keytab re-acquisition cannot differ
// between modes. Signals and the status callback are the keeper's and the
// mode's.
func keeperConfig(s *session, o *options, principal ccache.Principal, cacheName string, store renew.Store, log renew.Logger) (renew.Config, error) {
	cfg := renew.Config{
		Principal: principal,
		CacheName: cacheName,
		Store:     store,
		KDC:       s.client,
		Log:       log,
		Policy:    renew.Policy{MinLifetime: o.minLifetime, Interval: o.interval, Always: o.always},
		Errors:    errorMode(o),
		OnRenewed: aklogHook(o, cacheName),
	}
	if cfg.Policy.Always && cfg.Policy.Interval == 0 {
		// kstart renews with -a at each -K wake-up; without -K it wakes
		// hourly, as kstart does around a command.
		cfg.Policy.Interval = time.Hour
	}
	return cfg, withKeytab(&cfg, s, o, principal)
}

// writePidfile writes pid to the -p or -c path (made absolute: the
// daemon runs in /) and returns what removes it again.
func writePidfile(path string, pid int) (remove func(), err error) {
	path = absPath(path)
	if err := daemon.WritePidfile(path, pid); err != nil {
		return nil, pidfileFailure(path, err)
	}
	return func() { daemon.RemovePidfile(path, pid) }, nil
}

func aklogHook(o *options, cache string) func(ccache.Credential) error {
	if !o.aklog {
		return nil
	}
	return func(ccache.Credential) error { return runAklog(cache) }
}

// checkSyslog fails before the prompt, not after the ticket is in place,
// when -L cannot work.
func checkSyslog(o *options) error {
	if !o.syslog {
		return nil
	}
	probe, err := daemon.NewLogger(false, true)
	if err != nil {
		return syslogProbeFailure(err)
	}
	return probe.Close()
}

// withKeytab makes the engine re-acquire from the keytab in keytab mode,
// the way renew.Keep does.
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
	cfg.ReacquireFromKeytab(s.client, o.initialRequest(principal), kt)
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
