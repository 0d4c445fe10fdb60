package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/krenew/krenew/ccache"
	"github.com/krenew/krenew/daemon"
	"github.com/krenew/krenew/internal/escape"
	"github.com/krenew/krenew/prompt"
	"github.com/krenew/krenew/renew"
	"github.com/krenew/krenew/renew/krb5conf"
)

// Exit statuses, documented in krenew(1).
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitInterrupted = 130 // 128+SIGINT, what a shell reports for Ctrl-C
)

// All user-facing text goes through these helpers so that every line has
// the same shape: "krenew: error: ...", "krenew: hint: ...".
// stderr is where every message goes; a variable so that in-process tests
// can read what the user would see.
var stderr io.Writer = os.Stderr

// stdout is where --status prints, a variable for the same reason.
var stdout io.Writer = os.Stdout

// say writes one message line. escape.Line is the last defence against
// text from outside (a principal read from a cache, a KDC's e-text, a
// krb5.conf line) that reached a message unescaped: no control character
// gets to the terminal, and a message is always one line.
func say(kind, format string, a []any) {
	fmt.Fprintf(stderr, "krenew: %s%s\n", kind, escape.Line(fmt.Sprintf(format, a...)))
}

func errorf(format string, a ...any) {
	fmt.Fprintf(stderr, "krenew: error: %s\n", escape.Line(strings.TrimRight(fmt.Sprintf(format, a...), ".")))
}

func hintf(format string, a ...any) { say("hint: ", format, a) }

// quiet (-q) silences notices; errors, hints and -v lines still show.
var quiet bool

func noticef(format string, a ...any) {
	if quiet {
		return
	}
	say("", format, a)
}

func verbosef(o *options, format string, a ...any) {
	if o.verbose {
		say("", format, a)
	}
}

// shown is an untrusted value (a principal, a cache name, an error) for
// --status's text and JSON, which do not go through say.
func shown(v any) string { return escape.Line(fmt.Sprint(v)) }

// passwordPrompt is the prompt on the terminal; the principal may come
// from the cache file.
func passwordPrompt(principal string) string {
	return fmt.Sprintf("Password for %s: ", escape.Line(principal))
}

// when formats a ticket time for people: local time, to the second, the
// way klist prints it, but with the year first so it sorts.
func when(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Local().Format("2006-01-02 15:04:05 MST")
}

// fromNow says how far t is from now, in kinit's duration words.
func fromNow(t, now time.Time) string {
	d := t.Sub(now).Round(time.Second)
	if d < 0 {
		return formatKrbDuration(-d) + " ago"
	}
	return "in " + formatKrbDuration(d)
}

const usageText = `Usage:
    krenew [options] [--] [command [arg ...]]

Get a renewable Kerberos ticket (one password prompt) and keep it renewed
until its renewable lifetime ends; with a command, keep it renewed while the
command runs and exit with its status.

Modes:
    krenew                 get/check the ticket, detach, renew until renew-till
    krenew --foreground    the same without detaching
    krenew -- cmd [args]   run cmd with a private, renewed copy of the cache
    krenew --once          renew the ticket in the cache once (kinit -R)
    krenew --status        show the ticket and who renews it; exit 1 if none
    krenew --stop          end the daemon that renews the cache; keep the ticket
    krenew --list          list this user's krenew daemons

Options:
    -u, --principal NAME       client principal (default: the cache's, else $USER)
    -l, --lifetime DUR         requested ticket lifetime (default: krb5.conf,
                               else 7d)
    -r, --renewable DUR        requested renewable lifetime (default:
                               krb5.conf, else 14d)
    -f, --keytab FILE          authenticate from a keytab, not a password
    -U, --keytab-principal     use the first principal in the keytab
        --password-stdin       read the password from standard input
        --init                 get a new ticket even if the cache has a usable one
        --wait-lock            wait for another krenew on the cache to exit
    -k, --cache NAME           credential cache (default $KRB5CCNAME, krb5.conf,
                               FILE:/tmp/krb5cc_%{uid})
    -K, --interval MIN         longest sleep between checks, in minutes
    -H, --min-lifetime MIN     keep at least MIN minutes of lifetime left
    -a, --always               renew at every wake-up
    -b, --background           detach once the first ticket is in place
        --foreground           do not detach
        --once                 renew once and exit
        --status               show the cache's ticket
        --json                 with --status, print one JSON object
        --stop                 end the daemon that renews the cache
        --list                 list this user's daemons and their caches
    -p, --pidfile FILE         write krenew's pid to FILE
    -c, --child-pidfile FILE   write the command's pid to FILE
    -s, --hup-child            send SIGHUP to the command when renewal ends
    -t, --aklog                run $AKLOG after each new or renewed ticket
    -x, --exit-on-error        exit on the first renewal error
    -i, --ignore-errors        keep retrying through errors
    -L, --syslog               also log to syslog
    -v, --verbose              say more
    -q, --quiet                say nothing but errors
    -h, --help                 show this help
        --version              print the version

Durations: 7d, 1d12h, 90m, 45s, 1h30m, h:m[:s], or seconds.
Exit status: 0 success, 1 failure, 2 usage error, 130 interrupted;
with a command, the command's status. See krenew(1).
`

// failure is an error already phrased for the user: one line, an optional
// hint, and the exit status it leads to.
type failure struct {
	msg  string
	hint string
	code int // 0 means exitFailure
	// output is what a detached child wrote before it failed, shown
	// first as the foreground would have shown it.
	output string
	// refused: a cache krenew will not touch at all (another user's, or
	// one others may write), which not even a keytab run may go past.
	refused bool
}

func (f *failure) Error() string { return f.msg }

func (f *failure) exitCode() int {
	if f.code != 0 {
		return f.code
	}
	return exitFailure
}

// failDetached hands err to the parent waiting in daemon.Detach, with its
// hint, and returns the exit status the parent then reports (see
// detachedFailure): the user sees what the foreground would have shown.
func failDetached(err error) int {
	f := asFailure(err)
	daemon.FailWith(f.msg, f.hint)
	return f.exitCode()
}

// detachedFailure is the parent's report of a child that did not start,
// what the child would have printed in the foreground where it said why:
// what it wrote before failing, its message after what (not wrapped in
// the daemon package's account of the start), its hint and exit status.
// A child that died without saying why is reported with all there is.
func detachedFailure(what string, err error) *failure {
	var se *daemon.StartError
	if !errors.As(err, &se) || se.Message == "" {
		return &failure{msg: fmt.Sprintf("%s: %v", what, err)}
	}
	f := &failure{msg: what + ": " + se.Message, hint: se.Hint, output: se.Output}
	if se.ExitCode > 0 {
		f.code = se.ExitCode
	}
	return f
}

func daemonStartFailure(principal ccache.Principal, err error) *failure {
	return detachedFailure(fmt.Sprintf("the renewal daemon for %s did not start", principal), err)
}

func backgroundStartFailure(command string, err error) *failure {
	return detachedFailure(fmt.Sprintf("cannot start %s in the background", command), err)
}

func syslogFailure(err error) *failure {
	return &failure{msg: fmt.Sprintf("cannot log to syslog: %v", err)}
}

// exitCode is an outcome already said, or not a failure at all: the
// command's own exit status, a --status that found no valid ticket, a
// daemon error its log has. exitWith prints nothing for it.
type exitCode int

func (c exitCode) Error() string { return fmt.Sprintf("exit status %d", int(c)) }

// exitWith turns what a mode returned into krenew's exit status. It is
// the one place a failure is reported: to the waiting parent while a
// detached child has not said it started, else on stderr.
func exitWith(err error) int {
	var code exitCode
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &code):
		return int(code)
	case daemon.IsDaemon() && !daemon.Reported():
		return failDetached(err)
	}
	return report(err)
}

// report prints err as krenew's one error line (plus hint) and returns the
// exit status. Errors that were not phrased yet are printed as they are.
func report(err error) int {
	var f *failure
	if !errors.As(err, &f) {
		f = &failure{msg: err.Error()}
	}
	if out := strings.TrimRight(f.output, "\n"); out != "" {
		// A detached child's lines, escaped there already; once more in
		// case they came from somewhere else.
		for _, line := range strings.Split(out, "\n") {
			fmt.Fprintln(stderr, escape.Line(line))
		}
	}
	errorf("%s", f.msg)
	if f.hint != "" {
		hintf("%s", f.hint)
	}
	return f.exitCode()
}

// kdcFailure turns a KDC exchange error into the message for its kind.
// cache is the cache's display name, for the kinds that are about the
// ticket in it.
func kdcFailure(err error, principal, cache string) *failure {
	var e *renew.Error
	if !errors.As(err, &e) {
		return &failure{msg: err.Error()}
	}
	realm := e.Realm
	switch e.Kind {
	case renew.KindWrongPassword:
		return &failure{msg: fmt.Sprintf("password incorrect for %s", principal),
			hint: "check the password (Caps Lock?) and try again"}
	case renew.KindUnknownPrincipal:
		return &failure{msg: fmt.Sprintf("principal %s is not known to the KDC of %s", principal, realm),
			hint: "check the name given with -u (the default is your user name in the default realm)"}
	case renew.KindPasswordExpired:
		return &failure{msg: fmt.Sprintf("the password of %s has expired", principal),
			hint: fmt.Sprintf("change it with 'kpasswd %s', then run krenew again", principal)}
	case renew.KindClientRevoked:
		return accountRefused(e, principal)
	case renew.KindClockSkew:
		return &failure{msg: fmt.Sprintf("the clock of this machine differs too much from the KDC's for %s", principal),
			hint: "synchronise the clock (for example enable chrony or systemd-timesyncd)"}
	case renew.KindKDCUnreachable:
		if len(e.KDCs) == 0 { // the DNS lookup of the KDCs failed
			return &failure{msg: fmt.Sprintf("cannot find the KDCs of realm %s: %v", realm, e.Err),
				hint: fmt.Sprintf("check the DNS resolver, or add kdc lines for %s to krb5.conf", realm)}
		}
		return &failure{msg: fmt.Sprintf("cannot reach any KDC for realm %s (tried %s)", realm, strings.Join(e.KDCs, ", ")),
			hint: fmt.Sprintf("check the network and the kdc lines for %s in krb5.conf", realm)}
	case renew.KindRealmNotConfigured:
		return &failure{msg: fmt.Sprintf("realm %s is not configured", realmOrUnknown(realm)),
			hint: fmt.Sprintf("%v: add the realm to [realms] in krb5.conf, or point KRB5_CONFIG at a file that has it", e.Err)}
	case renew.KindNotRenewable:
		return &failure{msg: fmt.Sprintf("the ticket of %s in %s is not renewable", principal, cache),
			hint: fmt.Sprintf("run 'krenew --init' to get a renewable ticket; if the KDC issues %s none, ask your Kerberos administrator to allow renewable tickets (maxrenewlife)", principal)}
	case renew.KindLifetimeOver:
		return &failure{msg: fmt.Sprintf("the ticket of %s in %s cannot be renewed again: its renewable lifetime is used up", principal, cache),
			hint: "run 'krenew --init' (or kinit) to get a new ticket"}
	case renew.KindTicketExpired:
		return &failure{msg: fmt.Sprintf("the ticket of %s in %s has expired and cannot be renewed", principal, cache),
			hint: "run 'krenew --init' (or kinit) to get a new ticket"}
	case renew.KindWrongKey:
		return &failure{msg: e.Err.Error(),
			hint: fmt.Sprintf("get a current keytab for %s (kadmin: ktadd -norandkey), or ask your Kerberos administrator", principal)}
	case renew.KindKeytab:
		return &failure{msg: e.Err.Error(), hint: "check the keytab's path and permissions (klist -k FILE lists its principals)"}
	case renew.KindPolicy:
		if renew.PolicyRefused(e) {
			// All Heimdal says of a disabled or locked principal; -l/-r
			// are not the cause.
			what := "a ticket for " + principal
			if e.Renewing {
				what = "to renew the ticket of " + principal
			}
			return &failure{msg: fmt.Sprintf("the KDC refused %s: %s; the account may be disabled or locked", what, e.Said),
				hint: fmt.Sprintf("ask your Kerberos administrator whether %s is disabled, locked or not allowed to get tickets", principal)}
		}
		if e.Renewing { // -l/-r shaped no renewal: --once and the daemon reject them
			return &failure{msg: fmt.Sprintf("the KDC refused to renew the ticket of %s: %v", principal, e.Err),
				hint: "ask your Kerberos administrator"}
		}
		return &failure{msg: fmt.Sprintf("the KDC refused a ticket for %s: %v", principal, e.Err),
			hint: "try a shorter -l/-r, or ask your Kerberos administrator"}
	}
	return &failure{msg: e.Error()}
}

// engineFailure is how a keeper logs the failure that ended its engine. A
// refused account is worded as the foreground words it, with its hint, so
// that the log says whose account and what to do, not only the KDC's code;
// other failures keep the engine's own words.
func engineFailure(err error, principal, cache string) (msg, hint string) {
	if !renew.AccountRefused(err) {
		return err.Error(), ""
	}
	f := kdcFailure(err, principal, cache)
	return f.msg, f.hint
}

// accountRefused is a KDC that refuses the account itself, worded by what
// the KDC said is wrong with it (AD says, MIT and Heimdal mostly do not).
func accountRefused(e *renew.Error, principal string) *failure {
	switch e.Account {
	case renew.AccountDisabled:
		return &failure{msg: fmt.Sprintf("the account %s is disabled", principal),
			hint: "ask your Kerberos administrator to enable it"}
	case renew.AccountLockedOut:
		return &failure{msg: fmt.Sprintf("the account %s is locked out", principal),
			hint: "wait for the lockout to end, or ask your Kerberos administrator to unlock it"}
	case renew.AccountExpired:
		return &failure{msg: fmt.Sprintf("the account %s has expired", principal),
			hint: "ask your Kerberos administrator to extend it"}
	case renew.AccountRestricted:
		return &failure{msg: fmt.Sprintf("the account %s may not log on now or from this machine", principal),
			hint: "ask your Kerberos administrator about its logon hours and workstations"}
	}
	return &failure{msg: fmt.Sprintf("the account %s is disabled, locked or expired", principal),
		hint: "ask your Kerberos administrator to enable or unlock it"}
}

func realmOrUnknown(r string) string {
	if r == "" {
		return "(none)"
	}
	return r
}

func nonRenewableIssued(principal string, written bool, cache string) *failure {
	f := &failure{msg: fmt.Sprintf("the KDC issued a non-renewable ticket for %s", principal)}
	if written {
		f.hint = fmt.Sprintf("the ticket was written to %s but cannot be kept alive; ask your Kerberos administrator to allow renewable tickets (maxrenewlife) for %s", cache, principal)
	} else {
		f.hint = fmt.Sprintf("%s was left as it was; ask your Kerberos administrator to allow renewable tickets (maxrenewlife) for %s", cache, principal)
	}
	return f
}

// noRenewalPastEnd says what is true of a ticket renewable only up to its
// own end: it is renewable, and yet nothing can keep it alive longer.
func noRenewalPastEnd(principal, cache string, tgt ccache.Credential) string {
	return fmt.Sprintf("the ticket of %s in %s is renewable, but the realm allows no renewal past its end (valid until %s, renewable until %s)",
		principal, cache, when(tgt.EndTime), when(tgt.RenewTill))
}

func noRenewalPastEndFailure(principal, cache string, tgt ccache.Credential, written bool) *failure {
	f := &failure{msg: noRenewalPastEnd(principal, cache, tgt)}
	what := cache + " was left as it was"
	if written {
		what = "the ticket was written to " + cache
	}
	f.hint = fmt.Sprintf("%s; a daemon cannot keep it alive: ask your Kerberos administrator for a max_renewable_life longer than max_life for %s", what, principal)
	return f
}

// notLongEnoughFailure is kstart's "ticket cannot be renewed for long
// enough" for -H: not even a renewal would leave the lifetime asked for.
func notLongEnoughFailure(principal, cache string, tgt ccache.Credential, minLifetime time.Duration) *failure {
	return &failure{msg: fmt.Sprintf("the ticket of %s in %s cannot be renewed for long enough: it is renewable until %s, and -H asks for %d minutes",
		principal, cache, when(tgt.RenewTill), int(minLifetime/time.Minute)),
		hint: "get a new ticket with 'krenew --init' or kinit"}
}

// principalFailure: a bad -u is a usage error (2); a bad name krenew
// derived itself ($USER) is not the command line's fault (1).
func principalFailure(name string, err error, fromFlag bool) *failure {
	var e *renew.Error
	if errors.As(err, &e) && e.Kind == renew.KindRealmNotConfigured {
		return &failure{msg: fmt.Sprintf("principal %s has no realm and krb5.conf sets no default_realm", name),
			hint: "write the principal as name@REALM, or set default_realm in krb5.conf"}
	}
	f := &failure{msg: fmt.Sprintf("invalid principal %q: %v", name, err)}
	if fromFlag {
		f.code = exitUsage
	} else {
		f.hint = "name the principal with -u"
	}
	return f
}

func cacheNameFailure(err error, explicit bool) *failure {
	var ue *ccache.UnsafeError
	if errors.As(err, &ue) {
		return unsafeCacheFailure("", ue, explicit)
	}
	if errors.Is(err, ccache.ErrUnsupportedType) {
		return &failure{msg: err.Error(),
			hint: "use a FILE, DIR, KEYRING or KCM cache, for example: krenew -k FILE:/tmp/krb5cc_$(id -u)"}
	}
	return &failure{msg: fmt.Sprintf("invalid credential cache name: %v", err),
		hint: "check -k, KRB5CCNAME and default_ccache_name in krb5.conf"}
}

func cacheOpenFailure(name string, err error) *failure {
	return &failure{msg: fmt.Sprintf("cannot open credential cache %s: %v", name, err)}
}

func processBoundFailure(name string) *failure {
	return &failure{msg: fmt.Sprintf("credential cache %s ends with the process that made it, so a background krenew cannot renew it", name),
		hint: "use KEYRING:session: or KEYRING:persistent:, or keep krenew in the foreground with --foreground"}
}

// cacheFailure phrases a read or write problem with the cache, naming it.
func (s *session) cacheFailure(op string, err error) *failure {
	name := s.cacheName.String()
	var ue *ccache.UnsafeError
	var busy *ccache.LockBusyError
	switch {
	case errors.As(err, &ue):
		return unsafeCacheFailure(name, ue, s.explicit)
	case errors.As(err, &busy) && busy.Canceled && s.startup != nil && s.startup.interrupted() != 0:
		return &failure{msg: fmt.Sprintf("interrupted by %s while waiting for the lock of credential cache %s, held by %s",
			unix.SignalName(s.startup.interrupted()), name, busy.HolderText()), code: 128 + int(s.startup.interrupted())}
	case errors.As(err, &busy):
		return &failure{msg: fmt.Sprintf("credential cache %s is locked by %s; gave up waiting after %s", name, busy.HolderText(), formatWait(busy.Waited)),
			hint: "a cache lock held for seconds means a hung or hostile process: stop it, or name another cache with -k"}
	case errors.Is(err, ccache.ErrKCMUnavailable):
		// The error names the socket and the cache already.
		return &failure{msg: err.Error(), hint: startKCMHint(kcmDaemonInstalled())}
	case errors.Is(err, ccache.ErrSymlink):
		return &failure{msg: fmt.Sprintf("credential cache %s is a symbolic link; krenew does not follow links there", name),
			hint: "remove the link, or name the real file with -k"}
	case errors.Is(err, fs.ErrPermission):
		return &failure{msg: fmt.Sprintf("cannot %s credential cache %s: permission denied", op, name),
			hint: "check the owner and mode of the file and its directory, or use another cache with -k"}
	case errors.Is(err, ccache.ErrTooLarge):
		return &failure{msg: fmt.Sprintf("credential cache %s is too large: %s", name, tooLargeCause(err)),
			hint: fmt.Sprintf("a real cache holds a few kilobytes; look at it, and remove it if it is garbage (kdestroy -c %s)", name)}
	case errors.Is(err, ccache.ErrFormat), errors.Is(err, ccache.ErrUnsupportedVersion):
		return &failure{msg: fmt.Sprintf("%s is not a valid credential cache (%s)", name, formatCause(err)),
			hint: fmt.Sprintf("look at the file; if it is garbage, remove it (kdestroy -c %s)", name)}
	}
	return &failure{msg: fmt.Sprintf("cannot %s credential cache %s: %v", op, name, err)}
}

// unsafeCacheFailure refuses a cache file, collection directory or primary
// file that another user owns or may write, or a link in a collection:
// the attack it stops is a cache planted in /tmp with the attacker's own
// ticket, which the victim's programs would then use. cache is the
// cache's name once it is known ("" while the name is being resolved).
func unsafeCacheFailure(cache string, e *ccache.UnsafeError, explicit bool) *failure {
	what := e.Role + " " + e.Path
	switch {
	case e.Role == "credential cache" && cache != "":
		what = "credential cache " + cache
	case e.Role == "primary file":
		what = fmt.Sprintf("%s, the primary file of credential cache collection %s", e.Path, filepath.Dir(e.Path))
	}
	f := &failure{refused: true}
	switch e.Reason {
	case ccache.NotOwned:
		f.msg = fmt.Sprintf("refusing %s: it is owned by %s, not by %s", what, ccache.UserLabel(e.Owner), ccache.UserLabel(e.User))
		f.hint = "another user may have put it there to make you use their tickets; name another cache with -k or KRB5CCNAME, and have it removed"
		if e.User == 0 && !explicit {
			f.hint += "; as root, name it with -k to renew another user's cache on purpose"
		}
	case ccache.WritableByOthers:
		f.msg = fmt.Sprintf("refusing %s: other users than its owner can write to it (mode %04o)", what, e.Mode.Perm())
		f.hint = fmt.Sprintf("anyone could have filled it; if it is yours, make it private (chmod go-w %s), else name another cache with -k", e.Path)
	default:
		f.msg = fmt.Sprintf("refusing %s: it is a symbolic link, and krenew follows no links in a credential cache collection", what)
		f.hint = "name the directory itself, not a link to it, with -k or KRB5CCNAME"
		if e.Role == "primary file" {
			f.hint = "replace the link with the file itself (kswitch writes it), or name another cache with -k"
		}
	}
	return f

}

// formatWait says how long a wait lasted, to the tenth of a second.
func formatWait(d time.Duration) string { return d.Round(100 * time.Millisecond).String() }

// interruptedFailure ends a start-up interrupted by sig as the signal
// would have: 128 + its number (130 for SIGINT, 143 for SIGTERM).
func interruptedFailure(sig syscall.Signal) *failure {
	return &failure{msg: fmt.Sprintf("interrupted by %s", unix.SignalName(sig)), code: 128 + int(sig)}
}

// openFilesFailure is a limit on open files too low for krenew to run.
func openFilesFailure(limit, need uint64) *failure {
	return &failure{msg: fmt.Sprintf("the open-files limit is %d, and krenew needs at least %d", limit, need),
		hint: fmt.Sprintf("raise it with 'ulimit -n %d' (in a systemd unit, LimitNOFILE=)", max(need, 1024))}
}

// formatCause drops the wrappers that repeat what the message already
// says (the path, "malformed credential cache").
func formatCause(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return strings.TrimPrefix(err.Error(), ccache.ErrFormat.Error()+": ")
}

func tooLargeCause(err error) string {
	return strings.TrimPrefix(formatCause(err), ccache.ErrTooLarge.Error()+": ")
}

func noCacheFailure(cache string) *failure {
	return &failure{msg: fmt.Sprintf("no credential cache at %s", cache), hint: getTicketHint}
}

func noTGTFailure(principal, cache string) *failure {
	return &failure{msg: fmt.Sprintf("no ticket-granting ticket for %s in %s", principal, cache), hint: getTicketHint}
}

// getTicketHint names the ways to a first ticket; 'krenew --init' alone
// would start a daemon, which a --once or --status user did not ask for.
const getTicketHint = "get one with kinit or 'krenew --once --init', or run 'krenew' to get one and keep it renewed"

func otherPrincipalFailure(want, have, cache string) *failure {
	return &failure{msg: fmt.Sprintf("%s holds a ticket of %s, not %s", cache, have, want),
		hint: fmt.Sprintf("use 'krenew --init -u %s' to replace it, or name another cache with -k", want)}
}

func passwordFailure(err error, principal string) *failure {
	switch {
	case errors.Is(err, prompt.ErrNoTerminal):
		return &failure{msg: fmt.Sprintf("no terminal to prompt for the password of %s", principal),
			hint: "run krenew from a terminal, or give the password on standard input with --password-stdin"}
	case errors.Is(err, prompt.ErrInterrupted):
		code := exitInterrupted
		var ie *prompt.InterruptedError
		if errors.As(err, &ie) {
			code = ie.ExitStatus()
		}
		return &failure{msg: fmt.Sprintf("password prompt for %s interrupted", principal), code: code}
	}
	return &failure{msg: fmt.Sprintf("cannot read the password of %s: %v", principal, err)}
}

func asFailure(err error) *failure {
	if f, ok := err.(*failure); ok {
		return f
	}
	return &failure{msg: err.Error()}
}

// keytabFailure: with neither -u nor -U the principal was host/<name>,
// kinit -k's default, which is rarely what a user keytab holds; then the
// fix is to name one, not the keytab's path.
func keytabFailure(err error, defaultPrincipal bool) *failure {
	var e *renew.Error
	if errors.As(err, &e) && e.Kind == renew.KindKeytab {
		hint := "check the keytab's path and permissions (klist -k FILE lists its principals)"
		if defaultPrincipal && e.Principal != "" {
			hint = fmt.Sprintf("without -u krenew uses %s, as kinit -k does; name the principal with -u, or use the keytab's first with -U (klist -k FILE lists them)", e.Principal)
		}
		return &failure{msg: e.Err.Error(), hint: hint}
	}
	return &failure{msg: err.Error()}
}

func commandStartFailure(name string, err error) *failure {
	switch {
	case errors.Is(err, exec.ErrNotFound), errors.Is(err, fs.ErrNotExist):
		f := &failure{msg: fmt.Sprintf("command not found: %s", name), code: exitNotFound}
		if modeWord(name) {
			// krenew status: a mode word without its dashes ran as a command.
			f.hint = fmt.Sprintf("did you mean 'krenew --%s'? a word after the options is a command to run", name)
		}
		return f
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.ENOEXEC), errors.Is(err, syscall.EISDIR):
		return &failure{msg: fmt.Sprintf("cannot execute %s: %v", name, unwrapAll(err)), code: exitNotExecutable}
	}
	return &failure{msg: fmt.Sprintf("cannot run %s: %v", name, err), code: exitNotExecutable}
}

func unwrapAll(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}

func aklogEmptyFailure() *failure {
	return &failure{msg: "AKLOG is set but names no program", hint: "unset AKLOG or set it to the aklog program"}
}

func aklogNotFoundFailure(prog string) *failure {
	return &failure{msg: fmt.Sprintf("cannot run %s for -t: not found", prog),
		hint: "install aklog (Debian: openafs-client) or set AKLOG to the program that gets your tokens"}
}

func aklogExitFailure(prog, cacheName string, status int) *failure {
	return &failure{msg: fmt.Sprintf("%s failed for %s (exit status %d)", prog, cacheName, status)}
}

func aklogRunFailure(prog string, err error) *failure {
	return &failure{msg: fmt.Sprintf("cannot run %s for -t: %v", prog, err)}
}

func pidfileFailure(path string, err error) *failure {
	// The path is in the message already; the daemon package's own
	// account of it would say it twice.
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &failure{msg: fmt.Sprintf("cannot write pidfile %s: %v", path, err)}
}

// syslogProbeFailure is -L failing before the prompt; syslogHintFailure
// the same in the foreground after it.
func syslogProbeFailure(err error) *failure {
	return &failure{msg: fmt.Sprintf("cannot log to syslog: %v", err), hint: "run without -L, or start a syslog daemon"}
}

func syslogHintFailure(err error) *failure {
	return &failure{msg: fmt.Sprintf("cannot log to syslog: %v", err), hint: "run without -L"}
}

func keytabTypeFailure(kind, name string) *failure {
	return &failure{msg: fmt.Sprintf("keytab type %s is not supported (%s)", kind, name), hint: "use a keytab file"}
}

func hostnameFailure(err error) *failure {
	return &failure{msg: fmt.Sprintf("cannot tell this host's name: %v", err), hint: "name the principal with -u or -U"}
}

func freshExecFailure(principal, cache string, err error) *failure {
	return &failure{msg: fmt.Sprintf("cannot restart krenew without the password in memory: %v", err),
		hint: fmt.Sprintf("the ticket of %s is in %s; run the same krenew command again", principal, cache)}
}

func privateCacheFailure(command string, err error) *failure {
	return &failure{msg: fmt.Sprintf("cannot create a private credential cache for %s: %v", command, err)}
}

func squattedLockFailure(cache string) *failure {
	return &failure{msg: fmt.Sprintf("another user holds the krenew lock of %s", cache),
		hint: "that is an attack or a misconfiguration; use another cache with -k"}
}

func holderQueryFailure(cache string, err error) *failure {
	return &failure{msg: fmt.Sprintf("cannot tell whether a krenew daemon renews %s: %v", cache, err)}
}

func lockFailure(cache string, err error) *failure {
	return &failure{msg: fmt.Sprintf("cannot lock %s: %v", cache, err)}
}

func krb5ConfFailure(err error) *failure {
	return &failure{msg: fmt.Sprintf("cannot load the Kerberos configuration: %v", err),
		hint: "check the files named in KRB5_CONFIG or /etc/krb5.conf"}
}

func noPrincipalFailure() *failure {
	return &failure{msg: "cannot tell which principal to use", hint: "name it with -u"}
}

// usageError is a command line krenew cannot run: its message, always
// followed by the pointer to --help, and exit status 2.
type usageError struct{ msg, hint string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{msg: fmt.Sprintf(format, a...)} }

// usageFailure phrases a flag-parsing or validation failure; nothing
// else can fail inside app.Run.
func usageFailure(err error) *failure {
	var ue *usageError
	if !errors.As(err, &ue) {
		ue = &usageError{msg: err.Error()}
	}
	hint := ue.hint
	if hint == "" {
		hint = "see 'krenew --help' for usage"
	}
	return &failure{msg: ue.msg, hint: hint, code: exitUsage}
}

// The usage errors options.go and getopt.go find, phrased here with the
// rest. label is a flag as the user may have typed it, e.g. -K/--interval.

// unknownOptionUsage suggests near when a typo is a likely one.
func unknownOptionUsage(option, near string) *usageError {
	ue := &usageError{msg: "unknown option " + option}
	if near != "" {
		ue.hint = fmt.Sprintf("did you mean %s? see 'krenew --help' for usage", near)
	}
	return ue
}

func optionNeedsValueUsage(option string) *usageError {
	return &usageError{msg: fmt.Sprintf("option %s needs a value", option)}
}

func optionTwiceUsage(option, as string) *usageError {
	return &usageError{msg: fmt.Sprintf("option %s given twice (as %s and %s)", option, as, option)}
}

func takesNoValueUsage(value, option string) *usageError {
	return &usageError{msg: fmt.Sprintf("invalid value %s for %s: it takes no value", value, option)}
}

func conflictUsage(a, b string) error { return usagef("%s and %s cannot be used together", a, b) }

func notWithUsage(label, what string) error { return usagef("%s cannot be used with %s", label, what) }

func invalidValueUsage(label string, err error) error {
	return usagef("invalid value for %s: %v", label, err)
}

func notPositiveUsage(label, value string) error {
	return usagef("invalid value for %s: %q is not a positive duration", label, value)
}

func notMinutesUsage(label, value string, min int) error {
	return usagef("invalid value for %s: %q is not a whole number of minutes (at least %d)", label, value, min)
}

func lifetimesUsage(renewable, lifetime string) error {
	return usagef("the renewable lifetime (-r %s) is shorter than the ticket lifetime (-l %s)", renewable, lifetime)
}

func jsonWithoutStatusUsage() error {
	return &usageError{msg: "--json only applies to --status", hint: "run 'krenew --status --json'"}
}

func needsCommandUsage(label string) error {
	return usagef("%s needs a command to run (krenew [options] -- command)", label)
}

func noCommandUsage(mode, command string) error {
	return usagef("%s does not run a command (got %q)", mode, command)
}

func newTicketOnlyUsage(label string) error {
	return usagef("%s only applies to a new ticket; add --init", label)
}

func daemonOnlyUsage(label, why string) error { return usagef("%s is for the daemon; %s", label, why) }

func needsNameUsage(label, what string) error { return usagef("%s needs %s", label, what) }

func instanceUsage(principal string) error {
	return usagef("-i is --ignore-errors in krenew, not k5start's client instance; "+
		"write the instance in the principal: -u %s", principal)
}

var errNotPositive = errors.New("not a positive duration")

// confLifetimeFailure is a bad lifetime in krb5.conf: it names the file
// and the relation, and the flag that overrides it.
func confLifetimeFailure(s krb5conf.Setting, what, label string, err error) *failure {
	return &failure{msg: fmt.Sprintf("invalid %s %q in %s: %s: %v", what, s.Value, s.File, s.Where, err),
		hint: fmt.Sprintf("fix it there (kinit's forms: 7d, 1d12h, 90m, h:m:s, seconds), or give %s", label)}
}

// lifetimesFailure: -r shorter than -l where krb5.conf or the built-in
// default supplied one of them. It is the command line's to fix (2) when
// a flag is involved, else krb5.conf's (1).
func lifetimesFailure(r, l requestedLifetime) *failure {
	f := &failure{msg: fmt.Sprintf("the renewable lifetime %s (%s) is shorter than the ticket lifetime %s (%s)",
		formatKrbDuration(r.value), r.from, formatKrbDuration(l.value), l.from),
		hint: "give -r/--renewable at least as long as the lifetime, or set both in [appdefaults] krenew in krb5.conf"}
	if r.flag || l.flag {
		f.code = exitUsage
	}
	return f
}

// lifetimeSourceLine is -v's account of one requested lifetime.
func lifetimeSourceLine(k lifetimeKnob, r requestedLifetime) string {
	line := fmt.Sprintf("%s %s, ", k.what, formatKrbDuration(r.value))
	if r.from == builtinSource {
		line += r.from
	} else {
		line += "from " + r.from
	}
	if r.kinits != nil {
		line += fmt.Sprintf(" (%s = %s in %s is kinit's default, not krenew's: set [appdefaults] krenew = { %s = ... } for krenew)",
			r.kinits.Where, r.kinits.Value, r.kinits.File, k.option)
	}
	return line
}

func noDaemonFailure(cache string) *failure {
	return &failure{msg: fmt.Sprintf("no krenew daemon renews %s", cache),
		hint: "'krenew --list' shows the caches that krenew daemons renew"}
}

func stopFailure(cache string, pid int, err error) *failure {
	return &failure{msg: fmt.Sprintf("cannot stop the krenew daemon (pid %d) that renews %s: %v", pid, cache, err),
		hint: fmt.Sprintf("if it is stopped (SIGSTOP), 'kill -CONT %d'; or end it with 'kill -9 %d'", pid, pid)}
}

func listFailure(err error) *failure {
	return &failure{msg: fmt.Sprintf("cannot list krenew daemons: %v", err)}
}

// stoppedNotice is --stop's one line: which daemon ended, and that the
// ticket is still there.
func stoppedNotice(pid int, principal, cache string) {
	if principal == "" {
		principal = "the ticket"
	}
	noticef("stopped krenew pid %d, which renewed %s in %s; the ticket stays in the cache", pid, principal, cache)
}

// modeWord: the words of krenew's modes and actions, which a user may
// type without their dashes.
func modeWord(name string) bool {
	switch name {
	case flagStatus, flagOnce, flagStop, flagList, flagInit, flagForeground, "version", "help":
		return true
	}
	return false
}

// startKCMHint names the KCM daemon this machine has: sssd-kcm on RHEL,
// Fedora and FreeIPA clients, Heimdal's kcm on Debian with heimdal-kcm.
func startKCMHint(installed string) string {
	switch installed {
	case "sssd":
		return "start the KCM daemon (systemctl start sssd-kcm.socket), or name another cache with -k"
	case "heimdal":
		return "start the KCM daemon (service heimdal-kcm start), or name another cache with -k"
	}
	return "no KCM daemon is installed (sssd-kcm or heimdal-kcm): install and start one, or name another cache with -k"
}
