package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/krenew/krenew/ccache"
	"github.com/krenew/krenew/daemon"
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

func errorf(format string, a ...any) {
	fmt.Fprintf(stderr, "krenew: error: %s\n", strings.TrimRight(fmt.Sprintf(format, a...), "."))
}

func hintf(format string, a ...any) {
	fmt.Fprintf(stderr, "krenew: hint: %s\n", fmt.Sprintf(format, a...))
}

// quiet (-q) silences notices; errors, hints and -v lines still show.
var quiet bool

func noticef(format string, a ...any) {
	if quiet {
		return
	}
	fmt.Fprintf(stderr, "krenew: %s\n", fmt.Sprintf(format, a...))
}

func verbosef(o *options, format string, a ...any) {
	if o.verbose {
		fmt.Fprintf(stderr, "krenew: %s\n", fmt.Sprintf(format, a...))
	}
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
		fmt.Fprintln(stderr, out)
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
		return &failure{msg: fmt.Sprintf("the account %s is locked or disabled", principal),
			hint: "ask your Kerberos administrator to unlock it"}
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
			hint: "run 'krenew --init' to get a renewable ticket"}
	case renew.KindTicketExpired:
		return &failure{msg: fmt.Sprintf("the ticket of %s in %s has expired and cannot be renewed", principal, cache),
			hint: "run 'krenew --init' (or kinit) to get a new ticket"}
	case renew.KindWrongKey:
		return &failure{msg: e.Err.Error(),
			hint: fmt.Sprintf("get a current keytab for %s (kadmin: ktadd -norandkey), or ask your Kerberos administrator", principal)}
	case renew.KindKeytab:
		return &failure{msg: e.Err.Error(), hint: "check the keytab's path and permissions (klist -k FILE lists its principals)"}
	case renew.KindPolicy:
		return &failure{msg: fmt.Sprintf("the KDC refused a ticket for %s: %v", principal, e.Err),
			hint: "try a shorter -l/-r, or ask your Kerberos administrator"}
	}
	return &failure{msg: e.Error()}
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

func cacheNameFailure(err error) *failure {
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
	switch {
	case errors.Is(err, ccache.ErrKCMUnavailable):
		// The error names the socket and the cache already.
		return &failure{msg: err.Error(),
			hint: "start the KCM daemon (systemctl start sssd-kcm.socket), or name another cache with -k"}
	case errors.Is(err, ccache.ErrSymlink):
		return &failure{msg: fmt.Sprintf("credential cache %s is a symbolic link; krenew does not follow links there", name),
			hint: "remove the link, or name the real file with -k"}
	case errors.Is(err, fs.ErrPermission):
		return &failure{msg: fmt.Sprintf("cannot %s credential cache %s: permission denied", op, name),
			hint: "check the owner and mode of the file and its directory, or use another cache with -k"}
	case errors.Is(err, ccache.ErrFormat), errors.Is(err, ccache.ErrUnsupportedVersion):
		return &failure{msg: fmt.Sprintf("%s is not a valid credential cache (%s)", name, formatCause(err)),
			hint: fmt.Sprintf("look at the file; if it is garbage, remove it (kdestroy -c %s)", name)}
	}
	return &failure{msg: fmt.Sprintf("cannot %s credential cache %s: %v", op, name, err)}
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

func noCacheFailure(cache string) *failure {
	return &failure{msg: fmt.Sprintf("no credential cache at %s", cache),
		hint: "run 'krenew --init' or kinit to get a ticket first"}
}

func noTGTFailure(principal, cache string) *failure {
	return &failure{msg: fmt.Sprintf("no ticket-granting ticket for %s in %s", principal, cache),
		hint: "run 'krenew --init' or kinit to get a ticket first"}
}

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

func keytabFailure(err error) *failure {
	var e *renew.Error
	if errors.As(err, &e) && e.Kind == renew.KindKeytab {
		return &failure{msg: e.Err.Error(), hint: "check the keytab's path and permissions (klist -k FILE lists its principals)"}
	}
	return &failure{msg: err.Error()}
}

func commandStartFailure(name string, err error) *failure {
	switch {
	case errors.Is(err, exec.ErrNotFound), errors.Is(err, fs.ErrNotExist):
		return &failure{msg: fmt.Sprintf("command not found: %s", name), code: exitNotFound}
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
