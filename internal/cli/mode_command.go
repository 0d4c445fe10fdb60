package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
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
func runCommandMode(ctx context.Context, s *session, o *options) error {
	if daemon.IsDaemon() {
		return runCommandChild(s, o)
	}
	if o.supervise {
		return runCommandSupervisor(s, o)
	}
	// A command that cannot run is reported before any prompt, and
	// before -b sends it where nobody would see the error.
	if _, err := exec.LookPath(o.command[0]); err != nil {
		return commandStartFailure(o.command[0], err)
	}
	if err := checkSyslog(o); err != nil {
		return err
	}
	var principal ccache.Principal
	var keytabCache *ccache.FileStore
	if o.keytabMode() && !o.shareCache {
		// k5start's idiom (-f/-U and a command, no -k): the keytab's
		// ticket is the command's alone; the user's own cache is not
		// touched.
		p, private, err := keytabPrivateCache(ctx, s, o)
		if err != nil {
			return err
		}
		principal, keytabCache = p, &private
	} else {
		p, _, err := ensureTicket(ctx, s, o)
		if err != nil {
			return err
		}
		principal = p
	}
	if o.background {
		args := commandDaemonArgs(s, o, principal)
		if keytabCache != nil {
			args = append([]string{"--" + flagPrivateCache, keytabCache.Path}, args...)
		}
		pid, _, err := daemon.Detach(ctx, args, daemonStartTimeout)
		if err != nil {
			if keytabCache != nil {
				_ = keytabCache.Remove()
			}
			return backgroundStartFailure(o.command[0], err)
		}
		noticef("running %s in the background with a renewed ticket of %s (krenew pid %d)", o.command[0], principal, pid)
		return nil
	}
	if freshExecNeeded(s) {
		return execWithoutPassword(s, o, principal, commandDaemonArgs(s, o, principal))
	}
	log, err := daemon.NewLogger(true, o.syslog)
	if err != nil {
		return syslogHintFailure(err)
	}
	defer log.Close()
	log.SetVerbose(o.verbose)
	cc, err := commandCacheFor(s, o, keytabCache)
	if err != nil {
		return err
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
	cred, err := s.client.InitialFromKeytab(ctx, o.initialRequest(principal), kt)
	if err != nil {
		if renew.KindOf(err) == renew.KindKeytab {
			return ccache.Principal{}, ccache.FileStore{}, keytabFailure(err, o.principal == "" && !o.keytabPrincipal)
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
// the waiting parent's /proc entries), else /dev/null. What it returns
// before it reports ready reaches the user through the waiting parent.
func runCommandChild(s *session, o *options) error {
	log, principal, err := startChild(s, o)
	if err != nil {
		return err
	}
	defer log.Close()
	stdio, err := inheritedStdio(os.Getppid())
	if err != nil {
		return err
	}
	var keytabCache *ccache.FileStore
	if o.privateCache != "" {
		keytabCache = &ccache.FileStore{Path: o.privateCache}
	}
	cc, err := commandCacheFor(s, o, keytabCache)
	if err != nil {
		return err
	}
	return superviseCommand(s, o, principal, cc, log, stdio, daemon.Ready)
}

// runCommandSupervisor is execWithoutPassword's fresh krenew: the ticket
// is in the cache, so it only runs the command beside the renewals, as
// the -b daemon does but in the foreground.
func runCommandSupervisor(s *session, o *options) error {
	log, principal, err := startChild(s, o)
	if err != nil {
		return err
	}
	defer log.Close()
	cc, err := commandCacheFor(s, o, nil)
	if err != nil {
		return err
	}
	return superviseCommand(s, o, principal, cc, log, [3]*os.File{os.Stdin, os.Stdout, os.Stderr}, nil)
}

// inheritedStdio opens what the parent's fds 0-2 point at, unless that is
// a terminal, which a background job must not keep.
func inheritedStdio(ppid int) ([3]*os.File, error) {
	var out [3]*os.File
	for fd := range 3 {
		path := fmt.Sprintf("/proc/%d/fd/%d", ppid, fd)
		// O_NONBLOCK: a FIFO whose writer is gone must not hang the
		// open; Fd below makes the descriptor blocking again for the
		// command. O_NOCTTY: a terminal is not kept, nor made ours.
		flag := os.O_WRONLY | os.O_APPEND | syscall.O_NONBLOCK | syscall.O_NOCTTY
		if fd == 0 {
			flag = os.O_RDONLY | syscall.O_NONBLOCK | syscall.O_NOCTTY
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
func superviseCommand(s *session, o *options, principal ccache.Principal, cc commandCache, log *daemon.Logger, stdio [3]*os.File, ready func(string) error) error {
	if cc.private {
		// The command may still use its tickets until it exits: the
		// private cache goes only when krenew is done with the command.
		defer cc.store.Remove()
	}
	cached, err := cc.store.Load()
	if err != nil {
		return err
	}
	tgt, err := s.currentTGT(cached, principal)
	if err != nil {
		return err
	}
	if o.aklog {
		if err := runAklog(cc.name); err != nil {
			return err
		}
	}
	cfg, err := keeperConfig(s, o, principal, cc.name, cc.store, commandLog{log})
	if err != nil {
		return err
	}
	j := &commandJob{o: o, log: log, stdio: stdio, principal: principal.String(), tgt: tgt, renewsAlone: cfg.Acquire == nil,
		env: append(environWithout("KRB5CCNAME", "_GO_DAEMON"), "KRB5CCNAME="+cc.name)}
	// USR1 is answered by the job, not by the engine, whose routine lines
	// are quiet in command mode: the status must show without -v.
	cfg.OnStatus = j.noteStatus
	k := keeper{cfg: cfg, log: log, pidfile: o.pidfile, watch: cc.path, ready: ready, startup: s.startup}
	return k.run(j)
}

// commandJob is the command of krenew -- cmd, run beside the engine: it
// gets krenew's signals, hears when renewal ends, and its exit status is
// krenew's.
type commandJob struct {
	o         *options
	log       *daemon.Logger
	env       []string
	stdio     [3]*os.File
	principal string
	tgt       ccache.Credential // the ticket the command starts with
	// renewsAlone: no keytab gets a new ticket when renewal runs out, so
	// the command is warned ahead of the end.
	renewsAlone bool

	// status is the engine's last renew.Status, nil until its first
	// turn; a USR1 that comes before then (the command may already be
	// running) is answered by that turn instead of being lost.
	mu        sync.Mutex
	status    *renew.Status
	statusDue bool

	cmd      *exec.Cmd
	done     chan int
	cleanups []func()
}

func (j *commandJob) start() error {
	cmd, handback, err := startCommand(j.o.command, j.env, j.stdio, j.o.commandDir)
	if err != nil {
		return err
	}
	j.cmd = cmd
	if j.o.childPidfile != "" {
		path := absPath(j.o.childPidfile)
		if err := daemon.WritePidfile(path, cmd.Process.Pid); err != nil {
			j.log.Errorf("cannot write child pidfile %s: %v", path, err)
		}
		j.cleanups = append(j.cleanups, func() { daemon.RemovePidfile(path, cmd.Process.Pid) })
	}
	j.done = make(chan int, 1)
	go func() {
		_ = cmd.Wait() // a non-zero status is the answer, not an error
		handback.restore()
		j.done <- exitStatus(cmd.ProcessState)
	}()
	if j.renewsAlone {
		j.warnAhead()
	}
	return nil
}

// warnAhead warns ahead of the end of the renewable lifetime (an hour, or
// a tenth of the whole, whichever is shorter) and when it comes.
func (j *commandJob) warnAhead() {
	name, till := j.principal, j.tgt.RenewTill
	lead := min(time.Hour, till.Sub(j.tgt.StartTime)/10)
	soon := time.AfterFunc(time.Until(till.Add(-lead)), func() {
		j.log.Warnf("renewable lifetime of %s ends at %s (in %s); %s will have no valid ticket after that",
			name, when(till), formatKrbDuration(time.Until(till).Round(time.Second)), j.o.command[0])
	})
	expired := time.AfterFunc(time.Until(till), func() {
		j.log.Warnf("the ticket of %s for %s expired at %s", name, j.o.command[0], when(till))
	})
	j.cleanups = append(j.cleanups, func() { soon.Stop(); expired.Stop() })
}

func (j *commandJob) stop() {
	for _, f := range j.cleanups {
		f()
	}
}

func (j *commandJob) exited() <-chan int { return j.done }

func (j *commandJob) signal(sig os.Signal) {
	if sig == syscall.SIGUSR1 {
		j.mu.Lock()
		defer j.mu.Unlock()
		if j.status == nil {
			j.statusDue = true
			return
		}
		j.log.Infof("%s", *j.status)
		return
	}
	_ = j.cmd.Process.Signal(sig)
}

func (j *commandJob) noteStatus(st renew.Status) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.status = &st
	if j.statusDue {
		j.statusDue = false
		j.log.Infof("%s", st)
	}
}

func (j *commandJob) renewalEnded(outcome renew.Outcome, err error) {
	name, command := j.principal, j.o.command[0]
	switch {
	case err != nil:
		// Worded as the daemon words it: a refused account gets its
		// message and hint, not only the KDC's code.
		j.mu.Lock()
		cache := ""
		if j.status != nil {
			cache = j.status.Cache
		}
		j.mu.Unlock()
		msg, hint := engineFailure(err, name, cache)
		j.log.Errorf("%s; no longer renewing the ticket of %s for %s", msg, name, command)
		if hint != "" {
			j.log.Errorf("hint: %s", hint)
		}
	case outcome == renew.LifetimeOver:
		j.log.Warnf("the ticket of %s for %s cannot be renewed any more; it expires at %s", name, command, when(j.tgt.RenewTill))
	case outcome == renew.CacheDestroyed:
		j.log.Warnf("the private cache of %s was removed; no longer renewing", command)
	}
	gaveUp := err != nil || outcome == renew.LifetimeOver || outcome == renew.CacheDestroyed
	if j.o.hupChild && gaveUp {
		j.log.Infof("sending SIGHUP to %s (pid %d)", command, j.cmd.Process.Pid)
		_ = j.cmd.Process.Signal(syscall.SIGHUP)
	}
}

// commandLog keeps the command's stderr quiet: routine renewals are
// logged only with -v; warnings and errors always.
type commandLog struct{ *daemon.Logger }

func (l commandLog) Infof(format string, a ...any) { l.Debugf(format, a...) }
