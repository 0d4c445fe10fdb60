package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/krenew/krenew/ccache"
	"github.com/krenew/krenew/daemon"
	"github.com/krenew/krenew/prompt"
	"github.com/krenew/krenew/renew"
)

// runCommandMode is krenew -- command: a ticket (prompting at most once,
// before the command starts), a private copy of the cache for the command,
// renewed while it runs, and the command's exit status.
func runCommandMode(ctx context.Context, s *session, o *options) int {
	if daemon.IsDaemon() {
		return runCommandChild(s, o)
	}
	// A command that cannot run is reported before any prompt, and
	// before -b sends it where nobody would see the error.
	if _, err := exec.LookPath(o.command[0]); err != nil {
		return report(commandStartFailure(o.command[0], err))
	}
	if err := checkSyslog(o); err != nil {
		return report(err)
	}
	var principal ccache.Principal
	var keytabCache *ccache.FileStore
	if o.keytabMode() && !o.shareCache {
		// k5start's idiom (-f/-U and a command, no -k): the keytab's
		// ticket is the command's alone; the user's own cache is not
		// touched.
		p, private, err := keytabPrivateCache(ctx, s, o)
		if err != nil {
			return report(err)
		}
		principal, keytabCache = p, &private
	} else {
		p, _, err := ensureTicket(ctx, s, o)
		if err != nil {
			return report(err)
		}
		principal = p
	}
	if o.background {
		args := commandDaemonArgs(s, o, principal)
		if keytabCache != nil {
			args = append([]string{"--" + flagPrivateCache, keytabCache.Path}, args...)
		}
		pid, _, err := daemon.Detach(args, daemonStartTimeout)
		if err != nil {
			if keytabCache != nil {
				_ = keytabCache.Remove()
			}
			return report(backgroundStartFailure(o.command[0], err))
		}
		noticef("running %s in the background with a renewed ticket of %s (krenew pid %d)", o.command[0], principal, pid)
		return exitOK
	}
	log, err := daemon.NewLogger(true, o.syslog)
	if err != nil {
		return report(syslogHintFailure(err))
	}
	defer log.Close()
	log.SetVerbose(o.verbose)
	cc, err := commandCacheFor(s, o, keytabCache)
	if err != nil {
		return report(err)
	}
	return superviseCommand(s, o, principal, cc, log, [3]*os.File{os.Stdin, os.Stdout, os.Stderr}, nil)
}

// commandCache is the cache the command runs with: a private one krenew
// removes when the command is done, or with an explicit -k the user's
// cache itself.
type commandCache struct {
	name    string // what KRB5CCNAME says
	path    string // the file to watch, "" if it cannot be watched
	store   ccache.Store
	private bool
}

// commandCacheFor picks the command's cache: the keytab's private cache
// already filled, the -k cache itself, or else a private copy of the
// cache krenew maintains.
func commandCacheFor(s *session, o *options, keytabCache *ccache.FileStore) (commandCache, error) {
	switch {
	case keytabCache != nil:
		return commandCache{name: "FILE:" + keytabCache.Path, path: keytabCache.Path, store: *keytabCache, private: true}, nil
	case o.shareCache:
		return commandCache{name: s.cacheName.String(), path: s.cacheName.Path, store: s.store}, nil
	}
	cached, err := s.loadCache()
	if err != nil {
		return commandCache{}, err
	}
	if cached == nil {
		return commandCache{}, noCacheFailure(s.cacheName.String())
	}
	cached.Version = 4
	private, err := ccache.CreatePrivate(os.TempDir(), fmt.Sprintf("krb5cc_%d_", os.Getuid()), cached)
	if err != nil {
		return commandCache{}, privateCacheFailure(o.command[0], err)
	}
	return commandCache{name: "FILE:" + private.Path, path: private.Path, store: private, private: true}, nil
}

// keytabPrivateCache gets the keytab's ticket straight into a new private
// cache, as k5start does for a command without -k.
func keytabPrivateCache(ctx context.Context, s *session, o *options) (ccache.Principal, ccache.FileStore, error) {
	principal, err := s.runPrincipal(o, nil)
	if err != nil {
		return ccache.Principal{}, ccache.FileStore{}, err
	}
	kt, err := s.keytab(o)
	if err != nil {
		return ccache.Principal{}, ccache.FileStore{}, err
	}
	if err := prompt.Harden(); err != nil {
		verbosef(o, "cannot disable core dumps: %v", err)
	}
	cred, err := keytabAcquirer(s, o, kt, principal)(ctx)
	if err != nil {
		if renew.KindOf(err) == renew.KindKeytab {
			return ccache.Principal{}, ccache.FileStore{}, keytabFailure(err)
		}
		return ccache.Principal{}, ccache.FileStore{}, kdcFailure(err, principal.String(), "a private cache")
	}
	c := &ccache.Cache{Version: 4, DefaultPrincipal: principal}
	c.PutCredential(cred)
	private, err := ccache.CreatePrivate(os.TempDir(), fmt.Sprintf("krb5cc_%d_", os.Getuid()), c)
	if err != nil {
		return ccache.Principal{}, ccache.FileStore{}, privateCacheFailure(o.command[0], err)
	}
	verbosef(o, "got a ticket for %s from %s in %s, valid until %s", principal, kt.Path, private.Path, when(cred.EndTime))
	return principal, private, nil
}

// commandDaemonArgs is the -b child's command line: the daemon's options,
// the directory the command runs in (the daemon itself runs in /), and
// the command with a path that still resolves from there.
func commandDaemonArgs(s *session, o *options, principal ccache.Principal) []string {
	args := daemonArgs(s, o, principal)
	cwd, _ := os.Getwd()
	args = append(args, "--"+flagCommandDir, cwd)
	if o.childPidfile != "" {
		args = append(args, "-c", absPath(o.childPidfile))
	}
	if o.hupChild {
		args = append(args, "-s")
	}
	if o.shareCache {
		args = append(args, "--"+flagShareCache)
	}
	argv := append([]string(nil), o.command...)
	if strings.Contains(argv[0], "/") {
		argv[0] = absPath(argv[0])
	}
	return append(append(args, "--"), argv...)
}

// runCommandChild is the -b daemon. Its stdio are /dev/null; the command
// gets whatever the user redirected krenew's stdio to (reopened through
// the waiting parent's /proc entries), else /dev/null.
func runCommandChild(s *session, o *options) int {
	log, principal, err := startChild(s, o)
	if err != nil {
		return failDetached(err)
	}
	defer log.Close()
	stdio, err := inheritedStdio(os.Getppid())
	if err != nil {
		return failDetached(err)
	}
	var keytabCache *ccache.FileStore
	if o.privateCache != "" {
		keytabCache = &ccache.FileStore{Path: o.privateCache}
	}
	cc, err := commandCacheFor(s, o, keytabCache)
	if err != nil {
		return failDetached(err)
	}
	return superviseCommand(s, o, principal, cc, log, stdio, daemon.Ready)
}

// inheritedStdio opens what the parent's fds 0-2 point at, unless that is
// a terminal, which a background job must not keep.
func inheritedStdio(ppid int) ([3]*os.File, error) {
	var out [3]*os.File
	for fd := range 3 {
		path := fmt.Sprintf("/proc/%d/fd/%d", ppid, fd)
		flag := os.O_WRONLY | os.O_APPEND
		if fd == 0 {
			flag = os.O_RDONLY
		}
		f, err := os.OpenFile(path, flag, 0)
		if err == nil {
			if _, terr := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS); terr == nil {
				f.Close()
				f = nil
			}
		}
		if f == nil {
			if f, err = os.OpenFile(os.DevNull, os.O_RDWR, 0); err != nil {
				return out, err
			}
		}
		out[fd] = f
	}
	return out, nil
}

// superviseCommand runs the command with its cache, renews that cache
// until the command exits, and returns the command's status. ready (the
// -b child's) is called once everything before the command's start has
// worked.
func superviseCommand(s *session, o *options, principal ccache.Principal, cc commandCache, log *daemon.Logger, stdio [3]*os.File, ready func(string) error) int {
	if cc.private {
		// The command may still use its tickets until it exits: the
		// private cache goes only when krenew is done with the command.
		defer cc.store.Remove()
	}
	fail := func(f *failure) int {
		if ready != nil {
			return failDetached(f)
		}
		return report(f)
	}
	cached, err := cc.store.Load()
	if err != nil {
		return fail(asFailure(err))
	}
	tgt, err := s.currentTGT(cached, principal)
	if err != nil {
		return fail(asFailure(err))
	}
	privName := cc.name
	if o.aklog {
		if err := runAklog(privName); err != nil {
			return fail(asFailure(err))
		}
	}
	if o.pidfile != "" {
		remove, err := writePidfile(o.pidfile, os.Getpid())
		if err != nil {
			return fail(asFailure(err))
		}
		defer remove()
	}
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGALRM, syscall.SIGUSR1, syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	if ready != nil {
		if err := ready(strconv.Itoa(os.Getpid())); err != nil {
			return exitFailure
		}
	}

	env := append(environWithout("KRB5CCNAME", "_GO_DAEMON"), "KRB5CCNAME="+privName)
	cmd, handback, err := startCommand(o.command, env, stdio, o.commandDir)
	if err != nil {
		return report(err)
	}
	if o.childPidfile != "" {
		path := absPath(o.childPidfile)
		if err := daemon.WritePidfile(path, cmd.Process.Pid); err != nil {
			log.Errorf("cannot write child pidfile %s: %v", path, err)
		}
		defer daemon.RemovePidfile(path, cmd.Process.Pid)
	}
	cfg, err := keeperConfig(s, o, principal, privName, cc.store, commandLog{log})
	if err != nil {
		log.Errorf("%v", err)
	}
	defer sleepQuietly(&cfg, cc.path, log)()
	return watchCommand(o, log, cmd, handback, sigs, cfg, tgt)
}

// watchCommand renews while the command runs, forwards signals to it and
// returns its exit status.
func watchCommand(o *options, log *daemon.Logger, cmd *exec.Cmd, handback *terminalHandback,
	sigs <-chan os.Signal, cfg renew.Config, tgt ccache.Credential) int {
	engineSigs := make(chan os.Signal, 4)
	cfg.Signals = engineSigs
	// USR1 is answered here, not by the engine, whose routine lines are
	// quiet in command mode: the status must show without -v.
	var status atomic.Value
	cfg.OnStatus = func(st renew.Status) { status.Store(st) }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type engineResult struct {
		outcome renew.Outcome
		err     error
	}
	engineDone := make(chan engineResult, 1)
	go func() {
		outcome, err := renew.Run(ctx, cfg)
		engineDone <- engineResult{outcome, err}
	}()
	exited := make(chan *os.ProcessState, 1)
	go func() {
		_ = cmd.Wait() // a non-zero status is the answer, not an error
		exited <- cmd.ProcessState
	}()

	// Warn ahead of the end of the renewable lifetime (an hour, or a tenth
	// of the whole, whichever is shorter) and when it comes.
	name := cfg.Principal.String()
	lead := min(time.Hour, tgt.RenewTill.Sub(tgt.StartTime)/10)
	var warnSoon, expired <-chan time.Time
	if cfg.Acquire == nil { // a keytab gets a new ticket instead
		warnSoon = time.After(time.Until(tgt.RenewTill.Add(-lead)))
		expired = time.After(time.Until(tgt.RenewTill))
	}
	for {
		select {
		case sig := <-sigs:
			switch sig {
			case syscall.SIGUSR1:
				if st, ok := status.Load().(renew.Status); ok {
					log.Infof("%s", st)
				}
			case syscall.SIGALRM:
				select {
				case engineSigs <- sig:
				default:
				}
			default:
				_ = cmd.Process.Signal(sig)
			}
		case r := <-engineDone:
			engineDone = nil
			switch {
			case r.err != nil:
				log.Errorf("%v; no longer renewing the ticket of %s for %s", r.err, name, o.command[0])
			case r.outcome == renew.LifetimeOver:
				log.Warnf("the ticket of %s for %s cannot be renewed any more; it expires at %s", name, o.command[0], when(tgt.RenewTill))
			case r.outcome == renew.CacheDestroyed:
				log.Warnf("the private cache of %s was removed; no longer renewing", o.command[0])
			}
			gaveUp := r.err != nil || r.outcome == renew.LifetimeOver || r.outcome == renew.CacheDestroyed
			if o.hupChild && gaveUp {
				log.Infof("sending SIGHUP to %s (pid %d)", o.command[0], cmd.Process.Pid)
				_ = cmd.Process.Signal(syscall.SIGHUP)
			}
		case <-warnSoon:
			log.Warnf("renewable lifetime of %s ends at %s (in %s); %s will have no valid ticket after that",
				name, when(tgt.RenewTill), formatKrbDuration(time.Until(tgt.RenewTill).Round(time.Second)), o.command[0])
		case <-expired:
			log.Warnf("the ticket of %s for %s expired at %s", name, o.command[0], when(tgt.RenewTill))
		case state := <-exited:
			handback.restore()
			cancel()
			if engineDone != nil {
				<-engineDone
			}
			return exitStatus(state)
		}
	}
}

// commandLog keeps the command's stderr quiet: routine renewals are
// logged only with -v; warnings and errors always.
type commandLog struct{ *daemon.Logger }

func (l commandLog) Infof(format string, a ...any) { l.Debugf(format, a...) }
