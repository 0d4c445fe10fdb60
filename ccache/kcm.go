package ccache

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// parseKCMName accepts "KCM:" (the daemon's default cache for this user,
// looked up each time the cache is used, as MIT does when it resolves the
// name) and "KCM:<name>". Names travel NUL-terminated, so a NUL cannot be
// part of one, and a newline would corrupt krenew's status files.
func parseKCMName(residual string) (Name, error) {
	if strings.ContainsAny(residual, "\x00\n") {
		return Name{}, fmt.Errorf("the KCM cache name %q contains a NUL or newline", residual)
	}
	return Name{Type: "KCM", Residual: residual}, nil
}

// openKCM picks the socket as MIT does, krb5.conf's kcm_socket first, then
// (a krenew addition; MIT reads only krb5.conf) KRB5_KCM_SOCKET, then the
// built-in path. Nothing is contacted until the store is used.
func openKCM(n Name, o OpenOptions) (Store, error) {
	socket := o.KCMSocket
	if socket == "" {
		socket = os.Getenv("KRB5_KCM_SOCKET")
	}
	if socket == "" {
		socket = DefaultKCMSocket
	}
	return &KCMStore{Name: n.Residual, Socket: socket}, nil
}

// KCMStore is a cache held by a KCM daemon (Heimdal's kcm or sssd-kcm),
// spoken to over its unix socket the way MIT's libkrb5 does.
//
// Reading takes one consistent snapshot: with the daemons that lack MIT's
// GET_CRED_LIST (Heimdal) credentials are fetched one by one, so the read
// is retried if the cache changed meanwhile.
//
// Writing uses the best the daemon offers (kcmWriteOrder): REPLACE (MIT's
// extension, atomic; neither Heimdal 7.8 nor sssd-kcm 2.8 has it); else
// nothing at all if the cache, read by UUID
// (Heimdal), already holds what is to be written; else a temporary cache
// from GEN_NEW moved over the target with MOVE_CACHE (Heimdal; the daemon
// swaps the contents in one step); else INITIALIZE and STORE into the
// cache itself, MIT's own fallback and all sssd-kcm 2.8 allows, during
// which readers can see the cache empty (see fill). On Heimdal, the default cache ("KCM:") is written while a
// stand-in with the new contents is the default (kcm_standin.go), so that
// MIT's readers of "KCM:", which walk a cache by UUIDs and stop at one
// that vanished, never see a change under them. What the daemon lacks is
// remembered for the life of the store.
type KCMStore struct {
	// Name is the cache name without "KCM:"; empty is the default cache.
	Name string
	// Socket is the daemon's unix socket.
	Socket string

	noCredList, noReplace, noMove atomic.Bool
	// REMOVE_CRED, which takes a temporary cache's marker out again
	// (kcm_temps.go): known missing, known working.
	noRemove, hasRemove atomic.Bool
	// swept: stale temporary caches were looked for (kcm_temps.go).
	swept atomic.Bool
	// noStandIn: the daemon would not switch the default cache.
	noStandIn atomic.Bool
	// hooks is nil but in tests (kcm_hooks_test.go), so that what only
	// tests want to know or change costs a store nothing.
	hooks kcmHooks
}

// kcmHooks is how tests reach into a store: its timeouts and a stand-in's
// grace period of several hundred milliseconds per write would make them
// slow, and what a write did inside (which strategy, whether a stand-in was
// adopted) is not visible in the daemon's answers, yet is what they check.
// Only _test.go files implement it.
type kcmHooks interface {
	// ioTimeout replaces kcmIOTimeout where positive.
	ioTimeout() time.Duration
	// readerGrace replaces kcmReaderGrace where positive.
	readerGrace() time.Duration
	// wrote gets the strategy of each Update that wrote successfully.
	wrote(strategy string)
	// adoptedStandIn: a stand-in another program wrote to was moved
	// over the real cache instead of being destroyed.
	adoptedStandIn()
	// standInStep runs at each step of a write behind a stand-in
	// (kcm_standin.go), so a test can act as another program would.
	standInStep(step kcmStandInStep, tmp string)
}

// kcmWriteMu makes writers in one process take turns, whichever store
// they use, since two stores may name one cache ("KCM:" and its resolved
// name). krenew's cache lock excludes other processes.
var kcmWriteMu sync.Mutex

// kcmReadAttempts bounds the retries of a read that raced with a writer.
const kcmReadAttempts = 10

// display is the name for messages: as given, with the resolved name
// when the default was asked for.
func (s *KCMStore) display(resolved string) string {
	if s.Name == "" && resolved != "" {
		return "KCM: (KCM:" + resolved + ")"
	}
	return "KCM:" + s.Name
}

// kcmNotFoundError reports a missing or uninitialized cache; it unwraps
// to ErrNotFound, and through that matches fs.ErrNotExist too.
type kcmNotFoundError struct{ cache string }

func (e *kcmNotFoundError) Error() string {
	return fmt.Sprintf("credential cache %s does not exist", e.cache)
}
func (e *kcmNotFoundError) Unwrap() error { return ErrNotFound }

// kcmCacheError names the cache on a daemon or format error.
type kcmCacheError struct {
	cache string
	err   error
}

func (e *kcmCacheError) Error() string { return fmt.Sprintf("credential cache %s: %v", e.cache, e.err) }
func (e *kcmCacheError) Unwrap() error { return e.err }

func (s *KCMStore) wrap(resolved string, err error) error {
	var unavail *kcmUnavailableError
	var nf *kcmNotFoundError
	if err == nil || errors.As(err, &unavail) || errors.As(err, &nf) {
		return err // these name the cache already
	}
	return &kcmCacheError{cache: s.display(resolved), err: err}
}

// session connects and resolves the cache name; the caller closes conn.
func (s *KCMStore) session() (*kcmConn, string, error) {
	conn, err := s.dial(s.display(""))
	if err != nil {
		return nil, "", err
	}
	name := s.Name
	if name == "" {
		reply, err := conn.call(kcmOpGetDefaultCache)
		if err == nil {
			name, err = decodeKCMName(kcmOpGetDefaultCache, reply)
		}
		if err != nil {
			conn.Close()
			return nil, "", s.wrap("", err)
		}
	}
	conn.cache = s.display(name)
	return conn, name, nil
}

// Load returns the cache, or an error matching ErrNotFound if the daemon
// has no such cache or one without a principal.
func (s *KCMStore) Load() (*Cache, error) {
	conn, name, err := s.session()
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	c, _, err := s.load(conn, name)
	return c, s.wrap(name, err)
}

// Remove destroys the cache; a missing one is an error matching
// ErrNotFound.
func (s *KCMStore) Remove() error {
	kcmWriteMu.Lock()
	defer kcmWriteMu.Unlock()
	conn, name, err := s.session()
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.call(kcmOpDestroy, kcmNameArg(name))
	if st := (*kcmStatusError)(nil); errors.As(err, &st) && st.missing() {
		return &kcmNotFoundError{cache: s.display(name)}
	}
	return s.wrap(name, err)
}
