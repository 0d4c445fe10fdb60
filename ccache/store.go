package ccache

import "fmt"

// Store is one credential cache of any type. The renewal engine and the
// command line read and replace caches only through it, so every type gives
// the same guarantees: Load never returns a partial cache; Update is a
// read-modify-write in which readers see the old or the new content, never
// an empty or half-written cache, and other credentials and configuration
// entries survive because fn gets the whole cache; a failed Update leaves
// the cache as it was.
//
// Load and Update report a missing cache with an error matching
// ErrNotFound (Update passes nil to fn instead). Update's fn may return
// (nil, nil) to leave the cache alone.
type Store interface {
	Load() (*Cache, error)
	Update(fn func(old *Cache) (*Cache, error)) error
	Remove() error
}

// CacheNamer is the optional interface of a Store whose name resolves to
// another spelling of the same cache (KeyringStore: "KEYRING:session:x"
// is "KEYRING:session:x:x" while x is the primary). CacheName returns the
// resolved name, the one MIT's klist prints; the command line uses it so
// that every spelling of a cache finds the same daemon.
type CacheNamer interface {
	CacheName() (string, error)
}

// staleTempRemover is the optional interface of a Store that can leave
// temporary files behind when a writer crashes; Tidy calls it.
type staleTempRemover interface {
	removeStaleTemps()
}

var (
	_ CacheNamer       = (*KeyringStore)(nil)
	_ CacheNamer       = namedPrincipalGuard{}
	_ staleTempRemover = FileStore{}
	_ staleTempRemover = principalGuard{}
)

// OpenOptions is what opening a cache may need from the Kerberos
// configuration.
type OpenOptions struct {
	// KCMSocket is krb5.conf's kcm_socket; empty means KRB5_KCM_SOCKET from
	// the environment, else the built-in default.
	KCMSocket string
	// Explicit: the cache was named explicitly (krenew -k), not found
	// through KRB5CCNAME or the defaults. Root may then use a FILE or DIR
	// cache that another user owns (and keeps that owner when it replaces
	// the file), so that "sudo krenew -k FILE:/home/alice/cc" works; a
	// cache planted where root's default cache would be is still
	// refused. It changes nothing for other users, and nothing for
	// KEYRING and KCM caches, whose owners the kernel and the KCM daemon
	// enforce.
	Explicit bool

	// LockWait bounds the wait for the lock of a FILE or DIR cache.
	LockWait LockWait
}

// Open returns the store for a parsed cache name.
func Open(n Name, o OpenOptions) (Store, error) {
	switch n.Type {
	case "FILE":
		return FileStore{Path: n.Path, Explicit: o.Explicit, Wait: o.LockWait}, nil
	case "DIR":
		return openDir(n, o), nil
	case "KEYRING":
		return openKeyring(n)
	case "KCM":
		return openKCM(n, o)
	}
	return nil, fmt.Errorf("credential cache type %s is not supported", n.Type)
}
