package cli

import (
	"strconv"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/krenew/krenew/daemon"
)

// mode is what one invocation does; exactly one applies.
type mode int

const (
	modeDaemon  mode = iota // krenew, krenew --foreground, krenew -b
	modeCommand             // krenew -- cmd args
	modeOnce                // krenew --once
	modeStatus              // krenew --status
	modeStop                // krenew --stop
	modeList                // krenew --list
)

// options is the validated command line. Everything the rest of krenew
// needs from flags is here, already parsed.
type options struct {
	mode      mode
	command   []string
	principal string
	// lifetime and renewable are -l and -r, else the built-in defaults
	// until resolveLifetimes has looked at krb5.conf for the realm.
	lifetime          time.Duration
	renewable         time.Duration
	lifetimeSet       bool
	renewableSet      bool
	lifetimesResolved bool
	// lifetimeFromConfig: -l's value came from krb5.conf [appdefaults].
	lifetimeFromConfig bool
	keytab             string
	keytabPrincipal    bool
	passwordStdin      bool
	init               bool
	waitLock           bool
	cache              string
	interval           time.Duration // 0: not set
	minLifetime        time.Duration
	always             bool
	background         bool
	foreground         bool
	pidfile            string
	childPidfile       string
	hupChild           bool
	aklog              bool
	exitOnError        bool
	ignoreErrors       bool
	syslog             bool
	verbose            bool
	quiet              bool
	json               bool   // --status --json
	commandDir         string // "" = krenew's own working directory
	// shareCache: an explicit -k with a command renews that cache and
	// hands it to the command (kstart's meaning), instead of a copy.
	shareCache bool
	// privateCache is the cache a keytab command's -b child takes over
	// from its parent (internal --private-cache).
	privateCache string
	// explicitCache: the user named the cache with -k (the detached
	// child, which always gets -k, is told with --explicit-cache). Only
	// then may root use a cache another user owns.
	explicitCache bool
	// supervise: this is the fresh exec that runs the command after the
	// prompting process got the ticket (internal --supervise).
	supervise bool
	// happyCheck: kstart's -H without -K or a command, a one-shot check
	// that renews (or, with a keytab, re-acquires) only when needed.
	happyCheck bool
}

func optionsFrom(c *cli.Context) (*options, error) {
	return parseOptions(c, daemon.IsDaemon() || c.Bool(flagSupervise))
}

// parseOptions reads the flags as the user's krenew (child false) or as
// the detached child or the command's supervisor reads the argv its
// parent gave it (child true).
func parseOptions(c *cli.Context, child bool) (*options, error) {
	o := &options{
		command:         c.Args().Slice(),
		principal:       c.String(flagPrincipal),
		keytab:          c.String(flagKeytab),
		keytabPrincipal: c.Bool(flagKeytabPrincipal),
		passwordStdin:   c.Bool(flagPasswordStdin),
		init:            c.Bool(flagInit),
		waitLock:        c.Bool(flagWaitLock),
		cache:           c.String(flagCache),
		always:          c.Bool(flagAlways),
		background:      c.Bool(flagBackground),
		foreground:      c.Bool(flagForeground),
		pidfile:         c.String(flagPidfile),
		childPidfile:    c.String(flagChildPidfile),
		hupChild:        c.Bool(flagHupChild),
		aklog:           c.Bool(flagAklog),
		exitOnError:     c.Bool(flagExitOnError),
		ignoreErrors:    c.Bool(flagIgnoreErrors),
		syslog:          c.Bool(flagSyslog),
		verbose:         c.Bool(flagVerbose),
		quiet:           c.Bool(flagQuiet),
		json:            c.Bool(flagJSON),
		commandDir:      c.String(flagCommandDir),
		privateCache:    c.String(flagPrivateCache),
		// The detached child and the fresh exec after a prompt always get
		// -k; they are told with --explicit-cache whether the user gave it.
		explicitCache: c.Bool(flagExplicitCache) || c.IsSet(flagCache) && !child && !c.Bool(flagSupervise),
		supervise:     c.Bool(flagSupervise),
	}
	var err error
	if o.lifetime, o.lifetimeSet, err = durationFlag(c, flagLifetime, "l", builtinLifetime); err != nil {
		return nil, err
	}
	if o.renewable, o.renewableSet, err = durationFlag(c, flagRenewable, "r", builtinRenewable); err != nil {
		return nil, err
	}
	if o.interval, err = minutesFlag(c, flagInterval, "K", 1); err != nil {
		return nil, err
	}
	if o.minLifetime, err = minutesFlag(c, flagMinLifetime, "H", 0); err != nil {
		return nil, err
	}
	if err := oneModeFlag(c); err != nil {
		return nil, err
	}
	switch {
	case c.Bool(flagStop):
		o.mode = modeStop
	case c.Bool(flagList):
		o.mode = modeList
	case c.Bool(flagStatus):
		o.mode = modeStatus
	case c.Bool(flagOnce):
		o.mode = modeOnce
	case len(o.command) > 0:
		o.mode = modeCommand
		// The -b child always gets -k; only the parent knows whether the
		// user gave it, and says so with --share-cache.
		o.shareCache = c.Bool(flagShareCache) || c.IsSet(flagCache) && !child
	case c.IsSet(flagMinLifetime) && !c.IsSet(flagInterval) && !o.background && !o.foreground && !o.waitLock:
		// kstart's krenew -H N and k5start -H N: check once, renew or
		// re-acquire only if the ticket would not last N minutes.
		o.mode, o.happyCheck = modeOnce, true
	default:
		o.mode = modeDaemon
		// kstart's -K without -b stays in the foreground, where systemd
		// (Type=simple), runit and scripts expect it.
		if c.IsSet(flagInterval) && !o.background {
			o.foreground = true
		}
	}
	if err := o.validate(c); err != nil {
		return nil, err
	}
	return o, nil
}

// durationFlag parses -l or -r; unset, it is def for now (krb5.conf may
// say otherwise once the realm is known: resolveLifetimes).
func durationFlag(c *cli.Context, name, short string, def time.Duration) (time.Duration, bool, error) {
	if !c.IsSet(name) {
		return def, false, nil
	}
	d, err := parseKrbDuration(c.String(name))
	if err != nil {
		return 0, false, invalidValueUsage(flagLabel(name, short), err)
	}
	if d <= 0 {
		return 0, false, notPositiveUsage(flagLabel(name, short), c.String(name))
	}
	return d, true, nil
}

// minutesFlag parses kstart's minute counts (-K, -H).
func minutesFlag(c *cli.Context, name, short string, min int) (time.Duration, error) {
	if !c.IsSet(name) {
		return 0, nil
	}
	s := c.String(name)
	n, err := strconv.Atoi(s)
	if err != nil || n < min || n > 1<<20 {
		return 0, notMinutesUsage(flagLabel(name, short), s, min)
	}
	return time.Duration(n) * time.Minute, nil
}

// validate rejects combinations that cannot mean anything, so that a typo
// is reported before a password is asked for.
func (o *options) validate(c *cli.Context) error {
	set := func(name string) bool { return c.IsSet(name) }
	hasCommand := len(o.command) > 0
	if o.json && o.mode != modeStatus {
		return jsonWithoutStatusUsage()
	}
	// With one of them from krb5.conf, resolveLifetimes checks the pair.
	if o.lifetimeSet && o.renewableSet && o.renewable < o.lifetime {
		return lifetimesUsage(formatKrbDuration(o.renewable), formatKrbDuration(o.lifetime))
	}
	if !hasCommand {
		for _, f := range []struct{ name, short string }{{flagChildPidfile, "c"}, {flagHupChild, "s"}} {
			if set(f.name) {
				return needsCommandUsage(flagLabel(f.name, f.short))
			}
		}
	}
	if o.mode == modeOnce || o.mode == modeStatus || o.mode == modeStop || o.mode == modeList {
		what := map[mode]string{modeOnce: "--once", modeStatus: "--status", modeStop: "--stop", modeList: "--list"}[o.mode]
		if hasCommand {
			return noCommandUsage(what, o.command[0])
		}
		for _, f := range []struct{ name, short string }{
			{flagAlways, "a"}, {flagBackground, "b"}, {flagForeground, ""}, {flagPidfile, "p"},
			{flagInterval, "K"}, {flagWaitLock, ""}, {flagExitOnError, "x"}, {flagIgnoreErrors, "i"},
			{flagAklog, "t"}, {flagSyslog, "L"}, {flagMinLifetime, "H"},
		} {
			// After the one renewal, -t and kstart's -H still mean something;
			// kstart's one-shot -H also takes its logging and error flags.
			onceToo := f.name == flagAklog || f.name == flagMinLifetime ||
				o.happyCheck && (f.name == flagSyslog || f.name == flagExitOnError || f.name == flagIgnoreErrors)
			if set(f.name) && !(onceToo && o.mode == modeOnce) {
				return notWithUsage(flagLabel(f.name, f.short), what)
			}
		}
	}
	if o.mode == modeOnce && !o.init && !o.keytabMode() {
		// Without --init no ticket is requested, so these would be
		// silently ignored; say so instead.
		for _, f := range []struct{ name, short string }{
			{flagLifetime, "l"}, {flagRenewable, "r"}, {flagPasswordStdin, ""},
		} {
			if set(f.name) {
				return newTicketOnlyUsage(flagLabel(f.name, f.short))
			}
		}
	}
	if o.mode == modeStatus || o.mode == modeStop || o.mode == modeList {
		what := map[mode]string{modeStatus: "--status", modeStop: "--stop", modeList: "--list"}[o.mode]
		for _, f := range []struct{ name, short string }{
			{flagInit, ""}, {flagPasswordStdin, ""}, {flagKeytab, "f"}, {flagKeytabPrincipal, "U"},
			{flagLifetime, "l"}, {flagRenewable, "r"},
		} {
			if set(f.name) {
				return notWithUsage(flagLabel(f.name, f.short), what)
			}
		}
	}
	if o.mode == modeList {
		// --list shows every cache of this user's daemons.
		for _, f := range []struct{ name, short string }{{flagCache, "k"}, {flagPrincipal, "u"}} {
			if set(f.name) {
				return notWithUsage(flagLabel(f.name, f.short), "--list")
			}
		}
	}
	switch {
	case o.background && o.foreground:
		return conflictUsage("-b/--background", "--foreground")
	case o.exitOnError && o.ignoreErrors:
		return conflictUsage("-x/--exit-on-error", "-i/--ignore-errors")
	case o.keytabPrincipal && o.principal != "":
		return conflictUsage("-U/--keytab-principal", "-u/--principal")
	case o.passwordStdin && (o.keytab != "" || o.keytabPrincipal):
		return notWithUsage("--password-stdin", "a keytab (-f/-U)")
	case o.waitLock && hasCommand:
		return daemonOnlyUsage("--wait-lock", "a command gets its own private cache")
	case o.foreground && hasCommand:
		return daemonOnlyUsage("--foreground", "a command already runs in the foreground")
	}
	if set(flagKeytab) && o.keytab == "" {
		return needsNameUsage("-f/--keytab", "a file name")
	}
	if set(flagCache) && o.cache == "" {
		return needsNameUsage("-k/--cache", "a cache name")
	}
	if set(flagPrincipal) && o.principal == "" {
		return needsNameUsage("-u/--principal", "a principal name")
	}
	if set(flagPidfile) && o.pidfile == "" {
		return needsNameUsage("-p/--pidfile", "a file name")
	}
	if set(flagChildPidfile) && o.childPidfile == "" {
		return needsNameUsage("-c/--child-pidfile", "a file name")
	}
	return nil
}

func flagLabel(name, short string) string {
	if short == "" {
		return "--" + name
	}
	return "-" + short + "/--" + name
}

// oneModeFlag: --once, --status, --stop and --list each select a mode of
// their own; two of them mean nothing.
func oneModeFlag(c *cli.Context) error {
	var given []string
	for _, name := range []string{flagOnce, flagStatus, flagStop, flagList} {
		if c.Bool(name) {
			given = append(given, "--"+name)
		}
	}
	if len(given) > 1 {
		return conflictUsage(given[0], given[1])
	}
	return nil
}
