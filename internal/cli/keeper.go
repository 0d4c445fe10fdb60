package cli

import (
	"time"

	"github.com/krenew/krenew/ccache"
	"github.com/krenew/krenew/daemon"
	"github.com/krenew/krenew/prompt"
	"github.com/krenew/krenew/renew"
)

// keeperConfig is the renewal framework every long-running mode runs (the
// detached daemon, --foreground, and the cache around a command): one
// renew.Config built from the options in one place, so that the policy,
// -a's hourly default, the error mode, the aklog hook and keytab
// re-acquisition cannot differ between modes. Signals and the status
// callback are the mode's. A keytab that cannot be read is returned with
// the config otherwise complete; the mode decides whether that is fatal.
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
