package cli

import (
	"errors"
	"os"

	"github.com/krenew/krenew/ccache"
	"github.com/krenew/krenew/internal/osuser"
	"github.com/krenew/krenew/renew"
	"github.com/krenew/krenew/renew/krb5conf"
)

// session is what every mode needs once the command line is valid: the
// Kerberos configuration, the cache, and a KDC client.
type session struct {
	conf      *krb5conf.Conf
	cacheName ccache.Name
	store     ccache.Store
	client    *renew.Client
	// makePrimary, once a new or renewed ticket is in place, makes the
	// cache picked out of a collection its primary, as kinit does; nil
	// when there is nothing to switch.
	makePrimary func() error
	// explicit: the user named the cache with -k (options.explicitCache).
	explicit bool

	// startup ends with the first SIGINT, SIGTERM or SIGHUP, and so does
	// every wait for the cache's lock while it lasts.
	startup *startup

	// heldPassword: this process read the password. What was derived
	// from it is wiped, but a process that runs on for days is better a
	// fresh exec that never had it (command mode's supervisor).
	heldPassword bool
}

func newSession(o *options, st *startup) (*session, error) {
	conf, err := krb5conf.Load()
	if err != nil {
		return nil, krb5ConfFailure(err)
	}
	for _, w := range conf.Warnings {
		verbosef(o, "krb5.conf: %s", w)
	}
	// The detached child's -k is its parent's choice, explicit only if
	// the user's was.
	name, err := ccache.ResolveFor(o.cache, os.Getenv("KRB5CCNAME"), conf.DefaultCCacheName, ccache.OpenOptions{Explicit: o.explicitCache})
	if err != nil {
		return nil, cacheNameFailure(err, o.explicitCache)
	}
	if name.ProcessBound() && (o.mode == modeDaemon && !o.foreground || o.mode == modeCommand && o.background) {
		return nil, processBoundFailure(name.String())
	}
	s := &session{conf: conf, cacheName: name, client: &renew.Client{Conf: conf}, explicit: o.explicitCache, startup: st}
	store, err := ccache.Open(name, s.openOptions())
	if err != nil {
		return nil, cacheOpenFailure(name.String(), err)
	}
	ccache.Tidy(store)
	s.store = store
	return s, nil
}

// openOptions is how every cache of the session is opened: a cache the
// user named with -k is explicit, which lets root use another user's; a
// wait for the cache's lock ends with the start-up's first signal.
func (s *session) openOptions() ccache.OpenOptions {
	return ccache.OpenOptions{KCMSocket: s.conf.KCMSocket, Explicit: s.explicit, LockWait: ccache.LockWait{Cancel: s.startup.ctx.Done()}}
}

// principal decides whose ticket this run is about: -u, else the cache's
// default principal, else the user's name in the default realm, which is
// what kinit does.
func (s *session) principal(o *options, cached *ccache.Cache) (ccache.Principal, error) {
	if o.principal != "" {
		p, err := renew.ParsePrincipal(o.principal, s.conf.DefaultRealm)
		if err != nil {
			return ccache.Principal{}, principalFailure(o.principal, err, true)
		}
		return p, nil
	}
	if cached != nil && len(cached.DefaultPrincipal.Components) > 0 {
		return cached.DefaultPrincipal, nil
	}
	name := os.Getenv("USER")
	if name == "" {
		name, _ = osuser.Name(os.Getuid())
	}
	if name == "" {
		return ccache.Principal{}, noPrincipalFailure()
	}
	p, err := renew.ParsePrincipal(name, s.conf.DefaultRealm)
	if err != nil {
		return ccache.Principal{}, principalFailure(name, err, false)
	}
	return p, nil
}

// runPrincipal is principal, or in keytab mode the keytab's principal.
// Its realm decides the lifetimes a new ticket is asked with.
func (s *session) runPrincipal(o *options, cached *ccache.Cache) (ccache.Principal, error) {
	p, err := s.decidePrincipal(o, cached)
	if err != nil {
		return ccache.Principal{}, err
	}
	return p, s.resolveLifetimes(o, p.Realm)
}

func (s *session) decidePrincipal(o *options, cached *ccache.Cache) (ccache.Principal, error) {
	if !o.keytabMode() {
		return s.principal(o, cached)
	}
	kt, err := s.keytab(o)
	if err != nil {
		return ccache.Principal{}, err
	}
	return s.keytabPrincipal(o, kt)
}

func (s *session) keytab(o *options) (renew.Keytab, error) {
	path, err := o.keytabPath()
	return renew.Keytab{Path: path}, err
}

// loadCache reads the cache; a missing cache is not an error here (nil),
// everything else is, so that a corrupt cache is never silently replaced.
func (s *session) loadCache() (*ccache.Cache, error) {
	c, err := s.store.Load()
	if errors.Is(err, ccache.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, s.cacheFailure("read", err)
	}
	return c, nil
}

// refused tells a cache krenew does not touch at all (another user's) from
// one that a keytab run may write over (a corrupt one).
func refused(err error) bool {
	var f *failure
	return errors.As(err, &f) && f.refused
}

// lockKey names the cache for the one-daemon-per-cache lock, canonical as
// ccache.LockKey makes it. Stores that resolve aliases
// (KEYRING:session:x and KEYRING:session:x:x are one cache while x is the
// primary) give their resolved name, so both spellings find the same
// daemon. The daemon package canonicalises again, which changes nothing,
// and reports a name LockKey rejects.
func (s *session) lockKey() string {
	name := s.cacheName.LockKey()
	if r, ok := s.store.(ccache.CacheNamer); ok {
		if resolved, err := r.CacheName(); err == nil {
			name = resolved
		}
	}
	if key, err := ccache.LockKey(name); err == nil {
		return key
	}
	return name
}

// settle loads the cache and decides whose ticket this run is about; in a
// collection (DIR:, KEYRING:, KCM:) whose primary holds someone else, the
// session moves to that principal's own cache there, or a new one, as
// kinit does, so another principal's ticket is never overwritten. That
// holds for a collection named with -k too, where kinit -c would write
// over the primary.
func (s *session) settle(o *options) (*ccache.Cache, ccache.Principal, error) {
	cached, err := s.loadCache()
	if err != nil && (!o.keytabMode() || refused(err)) {
		return nil, ccache.Principal{}, err
	}
	principal, err := s.runPrincipal(o, cached)
	if err != nil {
		return nil, ccache.Principal{}, err
	}
	if !s.cacheName.IsCollection() || cached != nil && cached.DefaultPrincipal.Equal(principal) {
		return cached, principal, nil
	}
	sel, err := ccache.ForPrincipal(s.cacheName, s.openOptions(), principal)
	if err != nil {
		return nil, ccache.Principal{}, s.cacheFailure("read", err)
	}
	s.cacheName, s.store, s.makePrimary = sel.Name, sel.Store, sel.MakePrimary
	if cached, err = s.loadCache(); err != nil && (!o.keytabMode() || refused(err)) {
		return nil, ccache.Principal{}, err
	}
	return cached, principal, nil
}

// switchPrimary makes the principal's cache the collection's primary
// after kinit's part of the work (a new ticket, or --once's renewal).
func (s *session) switchPrimary(o *options) {
	if s.makePrimary == nil {
		return
	}
	if err := s.makePrimary(); err != nil {
		// The ticket is in its cache; only the default did not move.
		noticef("the ticket is in %s, but it could not be made the collection's primary: %v", s.cacheName, err)
		return
	}
	s.makePrimary = nil
	verbosef(o, "%s is now the collection's primary cache", s.cacheName)
}

// kcmDaemonInstalled tells which KCM daemon's files this machine has, for
// the hint when none answers: "sssd", "heimdal" or "".
func kcmDaemonInstalled() string {
	switch {
	case fileExists("/usr/libexec/sssd/sssd_kcm"), fileExists("/usr/lib/systemd/system/sssd-kcm.socket"), fileExists("/lib/systemd/system/sssd-kcm.socket"):
		return "sssd"
	case fileExists("/usr/sbin/kcm"), fileExists("/usr/lib/heimdal-servers/kcm"):
		return "heimdal"
	}
	return ""
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
