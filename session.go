package main

import (
	"errors"
	"fmt"
	"os"
	"os/user"

	"github.com/krenew/krenew/ccache"
	"github.com/krenew/krenew/renew"
)

// session is what every mode needs once the command line is valid: the
// Kerberos configuration, the cache, and a KDC client.
type session struct {
	conf      *renew.Krb5Conf
	cacheName ccache.Name
	store     ccache.Store
	client    *renew.Client
}

func newSession(o *options) (*session, error) {
	conf, err := renew.LoadKrb5Conf()
	if err != nil {
		return nil, &failure{msg: fmt.Sprintf("cannot load the Kerberos configuration: %v", err),
			hint: "check the files named in KRB5_CONFIG or /etc/krb5.conf"}
	}
	for _, w := range conf.Warnings {
		verbosef(o, "krb5.conf: %s", w)
	}
	name, err := ccache.Resolve(o.cache, os.Getenv("KRB5CCNAME"), conf.DefaultCCacheName)
	if err != nil {
		return nil, cacheNameFailure(err)
	}
	if name.ProcessBound() && (o.mode == modeDaemon && !o.foreground || o.mode == modeCommand && o.background) {
		return nil, processBoundFailure(name.String())
	}
	store, err := ccache.Open(name, ccache.OpenOptions{KCMSocket: conf.KCMSocket})
	if err != nil {
		return nil, cacheOpenFailure(name.String(), err)
	}
	ccache.Tidy(store)
	return &session{
		conf:      conf,
		cacheName: name,
		store:     store,
		client:    &renew.Client{Conf: conf},
	}, nil
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
		if u, err := user.Current(); err == nil {
			name = u.Username
		}
	}
	if name == "" {
		return ccache.Principal{}, &failure{msg: "cannot tell which principal to use", hint: "name it with -u"}
	}
	p, err := renew.ParsePrincipal(name, s.conf.DefaultRealm)
	if err != nil {
		return ccache.Principal{}, principalFailure(name, err, false)
	}
	return p, nil
}

// runPrincipal is principal, or in keytab mode the keytab's principal.
func (s *session) runPrincipal(o *options, cached *ccache.Cache) (ccache.Principal, error) {
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

// lockKey names the cache for the one-daemon-per-cache lock. Stores that
// resolve aliases (KEYRING:session:x and KEYRING:session:x:x are one cache
// while x is the primary) give their resolved name, so both spellings
// find the same daemon.
func (s *session) lockKey() string {
	if r, ok := s.store.(interface{ CacheName() (string, error) }); ok {
		if name, err := r.CacheName(); err == nil {
			return name
		}
	}
	return s.cacheName.LockKey()
}
