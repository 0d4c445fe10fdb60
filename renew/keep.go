package renew

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	"github.com/krenew/krenew/ccache"
	"github.com/krenew/krenew/renew/krb5conf"
)

// KeepConfig says whose ticket Keep maintains, from which keytab, where.
type KeepConfig struct {
	// Principal, e.g. "HTTP/web.example.com@EXAMPLE.COM"; without a realm,
	// krb5.conf's default realm. Empty: the keytab's first principal.
	Principal string
	// Keytab is the keytab file's path. It is read at every acquisition,
	// so replacing it after a key rotation needs no restart.
	Keytab string
	// Cache is the credential cache name; empty means what kinit would
	// use ($KRB5CCNAME, krb5.conf's default_ccache_name, /tmp/krb5cc_UID).
	Cache string
	// Lifetime and Renewable are requested from the KDC; zero means 1 day
	// and 7 days. The KDC may grant less.
	Lifetime, Renewable time.Duration
	// BackoffInitial and BackoffMax space retries after failures; zero
	// means krbticket's 1 second and 30 seconds.
	BackoffInitial, BackoffMax time.Duration
	// Log receives what happens; nil discards it.
	Log Logger
}

// Keep keeps a valid TGT for the principal in the cache until ctx ends:
// it gets one from the keytab, renews it at half-life, gets a new one when
// renewal runs out, the ticket expired or the cache was removed, and
// retries with backoff through KDC outages. It is the engine the krenew
// command uses for -f. Keep returns nil when ctx ends, and an error when
// the configuration cannot work (no krb5.conf realm, bad principal,
// unsupported cache type) or the cache cannot be read. KDC and keytab
// failures are retried, never returned. It takes no lock against other writers of the
// cache beyond the per-update file lock: to have one maintainer per cache
// across processes, run the krenew command instead.
func Keep(ctx context.Context, cfg KeepConfig) error {
	conf, err := krb5conf.Load()
	if err != nil {
		return err
	}
	name, err := ccache.Resolve(cfg.Cache, os.Getenv("KRB5CCNAME"), conf.DefaultCCacheName)
	if err != nil {
		return err
	}
	store, err := ccache.Open(name, ccache.OpenOptions{KCMSocket: conf.KCMSocket, Explicit: cfg.Cache != ""})
	if err != nil {
		return err
	}
	kt := Keytab{Path: cfg.Keytab}
	var principal ccache.Principal
	if cfg.Principal == "" {
		principal, err = kt.FirstPrincipal()
	} else {
		principal, err = ParsePrincipal(cfg.Principal, conf.DefaultRealm)
	}
	if err != nil {
		return err
	}
	if cfg.Lifetime <= 0 {
		cfg.Lifetime = 24 * time.Hour
	}
	if cfg.Renewable <= 0 {
		cfg.Renewable = 7 * 24 * time.Hour
	}
	logger := cfg.Log
	if logger == nil {
		logger = discard{log.New(io.Discard, "", 0)}
	}
	client := &Client{Conf: conf}
	req := InitialRequest{Principal: principal, Lifetime: cfg.Lifetime, Renewable: cfg.Renewable}
	run := Config{
		Principal:      principal,
		CacheName:      name.String(),
		Store:          store,
		KDC:            client,
		Log:            logger,
		BackoffInitial: cfg.BackoffInitial,
		BackoffMax:     cfg.BackoffMax,
	}
	run.ReacquireFromKeytab(client, req, kt)
	_, err = Run(ctx, run)
	if err != nil {
		return fmt.Errorf("keeping a ticket for %s in %s: %w", principal, name, err)
	}
	return nil
}

type discard struct{ *log.Logger }

func (d discard) Infof(f string, a ...any)  {}
func (d discard) Warnf(f string, a ...any)  {}
func (d discard) Errorf(f string, a ...any) {}
func (d discard) Debugf(f string, a ...any) {}
