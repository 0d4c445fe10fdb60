package cli

import (
	"time"

	"github.com/krenew/krenew/daemon"
	"github.com/krenew/krenew/renew/krb5conf"
)

// The lifetimes krenew asks for when neither the command line nor
// krb5.conf says: FreeIPA's client policy, -l 7d -r 14d.
const (
	builtinLifetime  = 7 * 24 * time.Hour
	builtinRenewable = 14 * 24 * time.Hour
)

// appdefaultsName is the application name krenew's [appdefaults] use.
const appdefaultsName = "krenew"

// requestedLifetime is -l or -r as it will be asked for, and where the
// value came from, for -v and for messages.
type requestedLifetime struct {
	value time.Duration
	from  string // "-l/--lifetime", "[appdefaults] krenew = { lifetime } in FILE", or builtinSource
	flag  bool   // given on the command line
	// kinits is a [libdefaults] value kinit would have used where krenew
	// fell back to its built-in default, worth a word with -v.
	kinits *krb5conf.Setting
}

const builtinSource = "krenew's built-in default"

// lifetimeKnob is one of the two lifetimes: its flag, its [appdefaults]
// option, kinit's [libdefaults] relation, and the built-in value.
type lifetimeKnob struct {
	flag, short, option, libdefault, what string
	builtin                               time.Duration
}

var (
	lifetimeKnobL = lifetimeKnob{flagLifetime, "l", "lifetime", "ticket_lifetime", "ticket lifetime", builtinLifetime}
	lifetimeKnobR = lifetimeKnob{flagRenewable, "r", "renewable", "renew_lifetime", "renewable lifetime", builtinRenewable}
)

// chooseLifetime decides one lifetime: the flag if given, else
// [appdefaults] for the realm (krb5conf's lookup, most specific first),
// else the built-in value. [libdefaults] ticket_lifetime and
// renew_lifetime are kinit's defaults and deliberately not used: RHEL's
// stock krb5.conf sets them to 24h and 7d, and ipa-client-install's sets
// ticket_lifetime = 24h, for kinit; honouring them would replace
// krenew's 7d/14d on the very machines whose policy it follows. A bad value in krb5.conf is an error naming it, not
// a silent fallback to another lifetime.
func chooseLifetime(conf *krb5conf.Conf, realm string, k lifetimeKnob, flag time.Duration, flagSet bool) (requestedLifetime, error) {
	if flagSet {
		return requestedLifetime{value: flag, from: flagLabel(k.flag, k.short), flag: true}, nil
	}
	if s, ok := conf.Appdefault(appdefaultsName, realm, k.option); ok {
		d, err := parseKrbDuration(s.Value)
		if err != nil {
			return requestedLifetime{}, confLifetimeFailure(s, k.what, flagLabel(k.flag, k.short), err)
		}
		if d <= 0 {
			return requestedLifetime{}, confLifetimeFailure(s, k.what, flagLabel(k.flag, k.short), errNotPositive)
		}
		return requestedLifetime{value: d, from: s.Where + " in " + s.File}, nil
	}
	r := requestedLifetime{value: k.builtin, from: builtinSource}
	if s, ok := conf.LibdefaultSetting(realm, k.libdefault); ok {
		r.kinits = &s
	}
	return r, nil
}

// resolveLifetimes settles -l and -r once the principal, and so the
// realm, is known; only runs that may ask for a new ticket look, so that
// a bad krb5.conf value never stands in the way of --status or a plain
// renewal.
func (s *session) resolveLifetimes(o *options, realm string) error {
	if o.lifetimesResolved || !o.mayRequestTicket() {
		return nil
	}
	l, err := chooseLifetime(s.conf, realm, lifetimeKnobL, o.lifetime, o.lifetimeSet)
	if err != nil {
		return err
	}
	r, err := chooseLifetime(s.conf, realm, lifetimeKnobR, o.renewable, o.renewableSet)
	if err != nil {
		return err
	}
	if r.value < l.value {
		return lifetimesFailure(r, l)
	}
	o.lifetime, o.renewable, o.lifetimesResolved = l.value, r.value, true
	o.lifetimeFromConfig = !o.lifetimeSet && l.from != builtinSource
	// The detached child and the fresh exec after a prompt are given both
	// as flags; the krenew before them said it.
	if !daemon.IsDaemon() && !o.supervise {
		verbosef(o, "%s", lifetimeSourceLine(lifetimeKnobL, l))
		verbosef(o, "%s", lifetimeSourceLine(lifetimeKnobR, r))
	}
	return nil
}

// mayRequestTicket: every mode but --status, and --once only with --init
// or a keytab, can ask the KDC for a new ticket.
func (o *options) mayRequestTicket() bool {
	switch o.mode {
	case modeStatus:
		return false
	case modeOnce:
		return o.init || o.keytabMode()
	}
	return true
}
