package cli

import (
	"path/filepath"
	"strconv"
	"time"

	"github.com/krenew/krenew/ccache"
	"github.com/krenew/krenew/daemon"
)

// daemonStartTimeout bounds the wait for the daemon's readiness report.
const daemonStartTimeout = 30 * time.Second

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
	}{{o.always, "-a"}, {o.exitOnError, "-x"}, {o.ignoreErrors, "-i"}, {o.syslog, "-L"}, {o.verbose, "-v"}, {o.aklog, "-t"}, {o.waitLock, "--wait-lock"},
		{o.explicitCache, "--" + flagExplicitCache}} {
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

// startChild is what every detached child does first: its logger, then
// whose ticket it keeps (the parent put it in the cache). The caller
// hands an error to the waiting parent with failDetached.
func startChild(s *session, o *options) (*daemon.Logger, ccache.Principal, error) {
	log, err := daemon.NewLogger(true, o.syslog)
	if err != nil {
		return nil, ccache.Principal{}, syslogFailure(err)
	}
	log.SetVerbose(o.verbose)
	cached, err := s.loadCache()
	if err != nil && (!o.keytabMode() || refused(err)) {
		log.Close()
		return nil, ccache.Principal{}, err
	}
	principal, err := s.runPrincipal(o, cached)
	if err != nil {
		log.Close()
		return nil, ccache.Principal{}, err
	}
	return log, principal, nil
}
