package ccache

import (
	"errors"
	"fmt"
)

// ErrOtherPrincipal matches (errors.Is) the error a Selection's Store
// returns instead of writing over a cache that holds another principal's
// tickets: between ForPrincipal and the write, someone reinitialized the
// chosen cache, or took the new cache's name.
var ErrOtherPrincipal = errors.New("credential cache holds another principal")

type otherPrincipalError struct {
	cache     string
	want, got Principal
}

func (e *otherPrincipalError) Error() string {
	return fmt.Sprintf("credential cache %s now holds %s, not %s; not overwriting it", e.cache, e.got, e.want)
}

func (e *otherPrincipalError) Is(target error) bool { return target == ErrOtherPrincipal }

// principalGuard is a cache chosen for one principal out of a collection.
// The choice was made on a read that may be stale by the time of the
// write, and in a collection a stale choice means overwriting another
// principal, which kinit never does.
type principalGuard struct {
	Store
	name string
	p    Principal
}

// namedPrincipalGuard is a principalGuard over a CacheNamer: the command
// line asks for the resolved cache name, and the guard must not hide it.
type namedPrincipalGuard struct {
	principalGuard
	CacheNamer
}

func guardPrincipal(s Store, n Name, p Principal) Store {
	g := principalGuard{Store: s, name: n.String(), p: p}
	if c, ok := s.(CacheNamer); ok {
		return namedPrincipalGuard{principalGuard: g, CacheNamer: c}
	}
	return g
}

func (g principalGuard) Update(fn func(old *Cache) (*Cache, error)) error {
	return g.Store.Update(func(old *Cache) (*Cache, error) {
		if old != nil && !old.DefaultPrincipal.Equal(g.p) {
			return nil, &otherPrincipalError{cache: g.name, want: g.p, got: old.DefaultPrincipal}
		}
		return fn(old)
	})
}

// removeStaleTemps keeps Tidy working through the guard.
func (g principalGuard) removeStaleTemps() { Tidy(g.Store) }
