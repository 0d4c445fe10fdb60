package renew

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/krenew/krenew/ccache"
)

// Renewer is the KDC exchange the engine needs; *Client is one.
type Renewer interface {
	Renew(ctx context.Context, tgt ccache.Credential) (ccache.Credential, error)
}

// Store is the cache the engine keeps fresh; every ccache.Store is one.
type Store interface {
	Load() (*ccache.Cache, error)
	Update(fn func(old *ccache.Cache) (*ccache.Cache, error)) error
}

// Logger receives the engine's log lines, already phrased for people.
type Logger interface {
	Infof(format string, a ...any)
	Warnf(format string, a ...any)
	Errorf(format string, a ...any)
	Debugf(format string, a ...any)
}

// ErrorMode is what the engine does when a renewal fails.
type ErrorMode int

const (
	// RetryWhileValid retries with backoff as long as the ticket is valid,
	// and gives up on failures no retry can fix.
	RetryWhileValid ErrorMode = iota
	// ExitOnError (-x) gives up on the first failure.
	ExitOnError
	// IgnoreErrors (-i) never gives up: it keeps checking, also while the
	// cache is missing, so a ticket the user gets by hand is adopted.
	IgnoreErrors
)

// Outcome says why Run returned without an error.
type Outcome int

const (
	Stopped        Outcome = iota // context ended or a stop signal
	LifetimeOver                  // no renewal can extend the ticket any more
	CacheDestroyed                // the user removed the cache (kdestroy)
	OtherPrincipal                // the user put another principal's ticket in the cache
)

// Config is everything one renewal loop needs. Zero values get the
// defaults documented on each field.
type Config struct {
	Principal ccache.Principal
	CacheName string // for log lines
	Store     Store
	KDC       Renewer
	Clock     Clock  // default WallClock
	Log       Logger // required
	Policy    Policy
	Errors    ErrorMode
	// Backoff after a failed renewal: Initial doubles up to Max (default
	// 1s and 5m), plus up to 50% jitter, and never past the ticket's end.
	BackoffInitial, BackoffMax time.Duration
	// MaxSleep caps every sleep, so that a resume from suspend or a clock
	// jump is noticed within it (default 1 minute), and so is a change to
	// the cache that Changed does not report. With AlarmClock and Changed
	// both in place it can be long.
	MaxSleep time.Duration
	// Changed wakes the loop to re-read the cache, for example when a
	// watcher sees it written or removed (kdestroy, kinit). nil: none.
	Changed <-chan struct{}
	// Signals: SIGALRM renews now, SIGUSR1 logs the status, SIGHUP,
	// SIGTERM and SIGINT stop the loop. nil: none.
	Signals <-chan os.Signal
	// OnRenewed runs after each ticket written (aklog); an error is logged.
	OnRenewed func(ccache.Credential) error
	// Acquire, when set (keytab mode), gets a new ticket whenever renewal
	// cannot help: the renewable lifetime is used up, the ticket expired,
	// or the cache is gone or holds something else. The loop then never
	// ends by itself, and failures of Acquire are always retried.
	Acquire func(ctx context.Context) (ccache.Credential, error)
	// OnStatus receives the state after every change (for --status).
	OnStatus func(Status)
	// Rand returns a uniformly random duration in [0, max); default
	// math/rand. Tests make it deterministic.
	Rand func(max time.Duration) time.Duration
}

// Status is what the loop knows, for --status and SIGUSR1.
type Status struct {
	Principal   string
	Cache       string
	EndTime     time.Time
	RenewTill   time.Time
	NextRenewal time.Time // zero when no renewal is planned
	LastError   string
}

func (s Status) String() string {
	next := "none"
	if !s.NextRenewal.IsZero() {
		next = stamp(s.NextRenewal)
	}
	line := fmt.Sprintf("%s in %s: valid until %s, renewable until %s, next renewal %s",
		s.Principal, s.Cache, stamp(s.EndTime), stamp(s.RenewTill), next)
	if s.LastError != "" {
		line += "; last error: " + s.LastError
	}
	return line
}

func (c *Config) withDefaults() {
	if c.Clock == nil {
		c.Clock = WallClock{}
	}
	if c.BackoffInitial <= 0 {
		c.BackoffInitial = time.Second
	}
	if c.BackoffMax <= 0 {
		c.BackoffMax = 5 * time.Minute
	}
	if c.MaxSleep <= 0 {
		c.MaxSleep = time.Minute
	}
	if c.Rand == nil {
		c.Rand = func(max time.Duration) time.Duration {
			if max <= 0 {
				return 0
			}
			return rand.N(max)
		}
	}
}

// errCacheGone and errOtherPrincipal end a cache update that found the
// cache changed under the engine; they become outcomes, not failures.
var (
	errCacheGone      = errors.New("cache gone")
	errOtherPrincipal = errors.New("other principal")
	errAdoptNewer     = errors.New("newer ticket in cache")
)

// loop is the engine's state; it lives in the one goroutine that runs Run.
type loop struct {
	cfg     Config
	name    string
	cur     ccache.Credential
	plan    time.Time // when the next renewal is due
	retryAt time.Time // after a failure: when to try again
	// One jitter draw per ticket (keyed by its end time), so that the plan
	// does not move at every wake-up.
	jitter    time.Duration
	jitterFor time.Time
	nextTick  time.Time // -a: the next -K wake-up, which renews
	tick      bool      // -a: a wake-up is due; it renews as soon as the floor allows
	// When the KDC last renewed the ticket (or the keytab replaced it): the
	// floor between two renewals counts from here, not from the ticket's
	// start, which is in whole seconds and in the KDC's clock.
	last     time.Time
	failures int
	lastErr  string
	missing  bool // the cache is gone and -i waits for it
	force    bool // SIGALRM: renew now whatever the plan or the floor
	needNew  bool // keytab mode: the cache has no usable ticket; acquire one
	// After odd replies (oddity): how many in a row, no unforced request
	// for oddWait after the last one (at oddAt), and which kinds were
	// logged, so that a KDC that keeps answering oddly is logged once,
	// not at every try.
	odd       int
	oddAt     time.Time
	oddWait   time.Duration
	oddLogged [oddCount]bool
}

// Run renews the principal's TGT in the store until the renewable
// lifetime is used up, the cache is destroyed or replaced, a stop signal
// arrives or ctx ends; all of that returns a nil error. It returns an
// error, already phrased for the log, when renewal fails for good: the
// ticket expired, the KDC refused, or (-x) the first failure.
func Run(ctx context.Context, cfg Config) (Outcome, error) {
	cfg.withDefaults()
	l := &loop{cfg: cfg, name: cfg.Principal.String()}
	for {
		outcome, done, err := l.turn(ctx)
		if done || err != nil {
			return outcome, err
		}
		l.publish()
		if outcome, done := l.sleep(ctx); done {
			return outcome, nil
		}
	}
}

// turn re-reads the cache, renews (or acquires) if due, and plans the
// next turn. done means Run should return.
func (l *loop) turn(ctx context.Context) (Outcome, bool, error) {
	now := l.cfg.Clock.Now()
	outcome, done, err := l.refresh(now)
	if done || err != nil || l.missing {
		return outcome, done, err
	}
	if !l.needNew && !l.cur.EndTime.After(now) {
		why := "(was the system suspended, or the KDC unreachable, until then?)"
		if l.failures > 0 && l.lastErr != "" {
			// The KDC answered, and said no until the end: asking about a
			// suspend would send the user the wrong way.
			why = "after every renewal since failed, the last with: " + l.lastErr
		}
		err := fmt.Errorf("the ticket of %s in %s expired at %s and cannot be renewed %s",
			l.name, l.cfg.CacheName, stamp(l.cur.EndTime), why)
		switch {
		case l.cfg.Acquire != nil:
			l.cfg.Log.Infof("the ticket of %s expired at %s; getting a new one", l.name, stamp(l.cur.EndTime))
			l.needNew = true
		case l.cfg.Errors != IgnoreErrors:
			return Stopped, true, err
		default:
			// -i: wait for the user to put a fresh ticket in the cache.
			l.noteFailure(err, now)
			return Stopped, false, nil
		}
	}
	acquire := l.needNew
	at := now
	if !acquire {
		var ok bool
		at, ok = l.cfg.Policy.NextRenewal(l.cur)
		if !ok {
			if l.cfg.Acquire == nil {
				l.cfg.Log.Infof("renewable lifetime of %s ends at %s; exiting", l.name, stamp(l.cur.RenewTill))
				return LifetimeOver, true, nil
			}
			// Renewal cannot extend it: replace it when a renewal would
			// have been due.
			acquire, at = true, l.cfg.Policy.refreshPoint(l.cur)
		}
	}
	var due bool
	if l.nextTick, due = l.cfg.Policy.tick(now, l.nextTick); due {
		l.tick = true
	}
	switch {
	case l.failures > 0:
		l.plan = l.retryAt
	case l.needNew:
		l.plan = now
	default:
		l.plan = l.withJitter(at)
	}
	if l.tick {
		l.plan = now
	}
	if !l.needNew {
		// Last, so that nothing planned above (-H, jitter, -a, a retry,
		// times from a KDC whose clock is off) can undo it. A missing
		// ticket is another matter: nothing was renewed.
		l.plan = maxTime(l.plan, l.floor(now))
	}
	if now.Before(l.plan) && !l.force {
		return Stopped, false, nil
	}
	forced := l.force
	l.force, l.tick = false, false
	if acquire {
		return l.acquire(ctx, now)
	}
	return l.renew(ctx, now, forced)
}

// withJitter is Policy.jittered with one draw per ticket.
func (l *loop) withJitter(at time.Time) time.Time {
	if !l.jitterFor.Equal(l.cur.EndTime) {
		l.jitter = l.cfg.Rand(l.cfg.Policy.jitterBound(l.cur))
		l.jitterFor = l.cur.EndTime
	}
	return l.cfg.Policy.jittered(l.cur, at, l.jitter)
}

// floor is Policy.notBefore for the ticket in hand and the last renewal.
func (l *loop) floor(now time.Time) time.Time {
	if l.last.After(now) {
		// The clock was set back: a renewal that seems to lie in the future
		// must not hold the next one off for as long as the clock moved.
		l.last = now
	}
	if l.oddAt.After(now) {
		l.oddAt = now
	}
	return maxTime(l.cfg.Policy.notBefore(l.cur, l.last), l.oddUntil())
}

// refresh reads the cache so that kdestroy, kinit as someone else, or a
// newer ticket are noticed before anything is written.
func (l *loop) refresh(now time.Time) (Outcome, bool, error) {
	c, err := l.cfg.Store.Load()
	switch {
	case errors.Is(err, ccache.ErrNotFound) && l.cfg.Acquire != nil:
		if !l.needNew {
			l.cfg.Log.Infof("credential cache %s is gone; getting a new ticket", l.cfg.CacheName)
		}
		l.needNew = true
		return Stopped, false, nil
	case errors.Is(err, ccache.ErrNotFound):
		if l.cfg.Errors == IgnoreErrors {
			if !l.missing {
				l.cfg.Log.Warnf("credential cache %s is gone; waiting for it to come back", l.cfg.CacheName)
			}
			l.missing = true
			l.plan = now.Add(l.cfg.MaxSleep)
			return Stopped, false, nil
		}
		l.cfg.Log.Infof("credential cache %s was destroyed; exiting", l.cfg.CacheName)
		return CacheDestroyed, true, nil
	case err != nil:
		// A KCM daemon that is restarting comes back by itself, so it is
		// retried while there is something to renew (once the last ticket
		// seen has expired, renewing it is impossible). Anything else, a
		// symlink planted at the path or a garbage file, needs the user.
		transient := errors.Is(err, ccache.ErrKCMUnavailable) &&
			(l.cfg.Acquire != nil || l.cur.EndTime.IsZero() || now.Before(l.cur.EndTime))
		return l.failed(fmt.Errorf("cannot read credential cache %s: %v", l.cfg.CacheName, err), now, !transient)
	}
	if l.missing {
		l.cfg.Log.Infof("credential cache %s is back", l.cfg.CacheName)
		l.missing = false
	}
	if !c.DefaultPrincipal.Equal(l.cfg.Principal) && l.cfg.Acquire != nil {
		l.cfg.Log.Infof("credential cache %s holds a ticket of %s; replacing it with one of %s", l.cfg.CacheName, c.DefaultPrincipal, l.name)
		l.needNew = true
		return Stopped, false, nil
	}
	if !c.DefaultPrincipal.Equal(l.cfg.Principal) {
		l.cfg.Log.Infof("credential cache %s now holds a ticket of %s, not %s; leaving it alone and exiting",
			l.cfg.CacheName, c.DefaultPrincipal, l.name)
		return OtherPrincipal, true, nil
	}
	tgt, ok := c.FindTGT()
	if !ok && l.cfg.Acquire != nil {
		l.needNew = true
		return Stopped, false, nil
	}
	if !ok {
		return l.failed(fmt.Errorf("credential cache %s holds no ticket-granting ticket for %s", l.cfg.CacheName, l.name), now, true)
	}
	if l.cur.Ticket == nil {
		l.cur = *tgt
	} else if tgt.EndTime.After(l.cur.EndTime) || tgt.RenewTill.After(l.cur.RenewTill) {
		if !bytes.Equal(tgt.Ticket, l.cur.Ticket) {
			l.cfg.Log.Infof("adopted a newer ticket of %s found in %s (valid until %s)", l.name, l.cfg.CacheName, stamp(tgt.EndTime))
			l.failures, l.lastErr = 0, ""
		}
		l.cur = *tgt
	}
	return Stopped, false, nil
}

// acquire gets a new ticket (keytab mode) and writes it, replacing
// whatever the cache held for another principal.
func (l *loop) acquire(ctx context.Context, now time.Time) (Outcome, bool, error) {
	cred, err := l.cfg.Acquire(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return Stopped, true, nil
		}
		// Retried: a fixed keytab or a KDC back must be picked up without
		// a restart. -x still means exit, and a refused account (disabled,
		// expired) is permanent: no keytab fixes it.
		return l.failed(err, now, AccountRefused(err))
	}
	werr := l.cfg.Store.Update(func(c *ccache.Cache) (*ccache.Cache, error) {
		if c == nil || !c.DefaultPrincipal.Equal(l.cfg.Principal) {
			c = &ccache.Cache{Version: 4, DefaultPrincipal: l.cfg.Principal}
		}
		c.PutCredential(cred)
		return c, nil
	})
	if werr != nil {
		return l.failed(fmt.Errorf("cannot write credential cache %s: %v", l.cfg.CacheName, werr), now, false)
	}
	l.cur = cred
	l.last = now
	l.needNew = false
	l.failures, l.lastErr = 0, ""
	l.cfg.Log.Infof("got a new ticket for %s: valid until %s, renewable until %s", l.name, stamp(cred.EndTime), stamp(cred.RenewTill))
	if l.cfg.OnRenewed != nil {
		if err := l.cfg.OnRenewed(cred); err != nil {
			l.cfg.Log.Warnf("%v", err)
		}
	}
	l.plan = now
	return Stopped, false, nil
}

// renew asks the KDC to renew the ticket in hand. forced is SIGALRM: the
// user asked for this renewal, so it is written as kinit -R would write it
// even when the KDC gave no later end time.
func (l *loop) renew(ctx context.Context, now time.Time, forced bool) (Outcome, bool, error) {
	renewed, err := l.cfg.KDC.Renew(ctx, l.cur)
	if err != nil {
		if ctx.Err() != nil {
			return Stopped, true, nil
		}
		if KindOf(err) == KindBadReply && !l.cfg.Policy.giveUp(l.cfg.Errors, false) {
			// A reply krenew refused: the next one would be refused too.
			l.oddReply(now)
			return l.failedOnce(err, now, l.oddLogged[oddRejected])
		}
		if !retryable(err) && !AccountRefused(err) && l.cfg.Acquire != nil && l.cfg.Errors != ExitOnError {
			// A keytab can replace a ticket the KDC will not renew, but
			// not get one for an account the KDC refuses.
			l.cfg.Log.Warnf("%v; getting a new ticket instead", err)
			l.needNew = true
			l.plan = now
			return Stopped, false, nil
		}
		return l.failed(err, now, !retryable(err))
	}
	l.last = now
	kinds, phrases := oddities(l.cur, renewed, forced)
	if len(kinds) == 0 {
		l.odd, l.oddAt, l.oddLogged = 0, time.Time{}, [oddCount]bool{}
	}
	if !forced && !renewed.EndTime.After(l.cur.EndTime) {
		// Asked within the second the ticket was issued in, a KDC whose
		// max_life has shrunk, or one that shortens tickets on purpose: the
		// ticket in hand lasts as long, so keep it and back off rather than
		// ask again at once. Not an error for -x: nothing is wrong with
		// the ticket.
		l.oddReply(now)
		l.logOdd(kinds, phrases, "keeping the ticket in %s and not asking again for %s", l.cfg.CacheName, l.oddWait.Round(time.Second))
		return Stopped, false, nil
	}
	werr := l.cfg.Store.Update(func(c *ccache.Cache) (*ccache.Cache, error) {
		if c == nil {
			return nil, errCacheGone
		}
		if !c.DefaultPrincipal.Equal(l.cfg.Principal) {
			return nil, errOtherPrincipal
		}
		if tgt, ok := c.FindTGT(); ok && tgt.EndTime.After(renewed.EndTime) {
			return nil, errAdoptNewer
		}
		c.PutCredential(renewed)
		return c, nil
	})
	switch {
	case errors.Is(werr, errCacheGone):
		if l.cfg.Errors == IgnoreErrors {
			return Stopped, false, nil // refresh notices and waits
		}
		l.cfg.Log.Infof("credential cache %s was destroyed; exiting", l.cfg.CacheName)
		return CacheDestroyed, true, nil
	case errors.Is(werr, errOtherPrincipal), errors.Is(werr, errAdoptNewer):
		return Stopped, false, nil // the next refresh reports or adopts it
	case werr != nil:
		return l.failed(fmt.Errorf("cannot write credential cache %s: %v", l.cfg.CacheName, werr), now, false)
	}
	l.cur = renewed
	l.failures, l.lastErr = 0, ""
	l.cfg.Log.Infof("renewed %s: valid until %s, renewable until %s", l.name,
		stamp(renewed.EndTime), stamp(renewed.RenewTill))
	if len(kinds) > 0 {
		l.oddReply(now)
		l.logOdd(kinds, phrases, "not asking again for %s", l.oddWait.Round(time.Second))
	}
	if l.cfg.OnRenewed != nil {
		if err := l.cfg.OnRenewed(renewed); err != nil {
			l.cfg.Log.Warnf("%v", err)
		}
	}
	// The next turn comes at once: a final renewal may already be due, or
	// the renewable lifetime may be used up.
	l.plan = now
	return Stopped, false, nil
}

// oddReply backs off after an odd reply: no unforced request for the
// ticket in hand before oddUntil.
func (l *loop) oddReply(now time.Time) {
	l.odd++
	l.oddAt, l.oddWait = now, l.cfg.Policy.oddDelay(now, l.cur, l.odd)
	l.plan = l.floor(now)
}

// oddUntil is when the back-off after the last odd reply ends (zero:
// there was none).
func (l *loop) oddUntil() time.Time {
	if l.oddAt.IsZero() {
		return time.Time{}
	}
	return l.oddAt.Add(l.oddWait)
}

// logOdd warns about an odd reply once per kind and per run of odd
// replies; later ones of kinds already reported go to the debug log.
func (l *loop) logOdd(kinds []oddity, phrases []string, then string, a ...any) {
	fresh := false
	for _, k := range kinds {
		fresh = fresh || !l.oddLogged[k]
		l.oddLogged[k] = true
	}
	msg := fmt.Sprintf("the KDC's renewal of %s %s; %s", l.name, strings.Join(phrases, ", "), fmt.Sprintf(then, a...))
	l.lastErr = msg
	if fresh {
		l.cfg.Log.Warnf("%s", msg)
	} else {
		l.cfg.Log.Debugf("%s", msg)
	}
}

// failedOnce is failed for a failure already logged (logged): the retry
// goes to the debug log.
func (l *loop) failedOnce(err error, now time.Time, logged bool) (Outcome, bool, error) {
	if !logged {
		l.oddLogged[oddRejected] = true
		return l.failed(err, now, false)
	}
	if l.cfg.Policy.giveUp(l.cfg.Errors, false) {
		return Stopped, true, err
	}
	l.noteFailureTo(l.cfg.Log.Debugf, err, now)
	return Stopped, false, nil
}

// failed applies the error mode: give up (an error for Run), or retry
// after a backoff that never reaches past the ticket's end.
func (l *loop) failed(err error, now time.Time, permanent bool) (Outcome, bool, error) {
	if l.cfg.Policy.giveUp(l.cfg.Errors, permanent) {
		return Stopped, true, err
	}
	l.noteFailure(err, now)
	return Stopped, false, nil
}

func (l *loop) noteFailure(err error, now time.Time) {
	l.noteFailureTo(l.cfg.Log.Warnf, err, now)
}

func (l *loop) noteFailureTo(logf func(string, ...any), err error, now time.Time) {
	l.failures++
	l.lastErr = err.Error()
	delay := l.cfg.Policy.backoff(l.cur, l.failures, l.cfg.BackoffInitial, l.cfg.BackoffMax, l.cfg.Rand)
	var floor time.Time
	if !l.needNew {
		floor = l.floor(now)
	}
	delay = l.cfg.Policy.retryDelay(now, delay, l.cur, floor)
	l.retryAt = now.Add(delay)
	l.plan = l.retryAt
	logf("%v; retrying in %s", err, delay.Round(time.Second))
}

// sleep waits for the planned time, a signal or ctx, never longer than
// MaxSleep or the -K interval, so that a resume from suspend or a clock
// jump is noticed within a minute while an idle loop wakes about once a
// minute.
func (l *loop) sleep(ctx context.Context) (Outcome, bool) {
	now := l.cfg.Clock.Now()
	wakeup := l.cfg.Clock.After(l.cfg.Policy.sleepFor(now, l.plan, l.nextTick, l.cfg.MaxSleep))
	for {
		select {
		case <-ctx.Done():
			return Stopped, true
		case <-wakeup:
			return Stopped, false
		case <-l.cfg.Changed:
			return Stopped, false
		case sig := <-l.cfg.Signals:
			switch sig {
			case syscall.SIGALRM:
				l.cfg.Log.Infof("SIGALRM: renewing now")
				l.force = true
				return Stopped, false
			case syscall.SIGUSR1:
				l.cfg.Log.Infof("%s", l.status())
			default:
				l.cfg.Log.Infof("%s: exiting", sigName(sig))
				return Stopped, true
			}
		}
	}
}

func (l *loop) status() Status {
	s := Status{Principal: l.name, Cache: l.cfg.CacheName, EndTime: l.cur.EndTime, RenewTill: l.cur.RenewTill, LastError: l.lastErr}
	if _, ok := l.cfg.Policy.NextRenewal(l.cur); ok || l.cfg.Acquire != nil {
		s.NextRenewal = l.plan // with a keytab, possibly a new ticket
	}
	return s
}

func (l *loop) publish() {
	if l.cfg.OnStatus != nil {
		l.cfg.OnStatus(l.status())
	}
}

func sigName(s os.Signal) string {
	if ss, ok := s.(syscall.Signal); ok {
		switch ss {
		case syscall.SIGHUP:
			return "SIGHUP"
		case syscall.SIGTERM:
			return "SIGTERM"
		case syscall.SIGINT:
			return "SIGINT"
		}
	}
	return s.String()
}
