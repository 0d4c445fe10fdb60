package ccache

import (
	"errors"
	"fmt"
	"path/filepath"
)

// Collections: DIR:dir, KEYRING:anchor:collection and KCM: name a set of
// caches with one primary, and MIT's kinit (k5_begin in kinit.c) never
// writes one principal's ticket over another's there. It looks for a
// cache of the client principal in the collection (krb5_cc_cache_match);
// failing that, if the primary is initialized it makes a new cache
// (krb5_cc_new_unique); after success it makes the cache it wrote the
// primary (krb5_cc_switch). ForPrincipal is that choice, so that krenew
// lands in the cache kinit would have.

// IsCollection reports whether n names a whole collection, resolving to
// its primary cache, rather than one cache: "DIR:dir" but not "DIR::path",
// "KEYRING:anchor:collection" but not "KEYRING:anchor:collection:name",
// "KCM:" but not "KCM:name".
func (n Name) IsCollection() bool {
	switch n.Type {
	case "DIR":
		return n.Residual != "" && n.Residual[0] != ':'
	case "KEYRING":
		k, err := splitKeyringResidual(n.Residual)
		return err == nil && k.subsidiary == ""
	case "KCM":
		return n.Residual == ""
	}
	return false
}

// Member is one cache of a collection.
type Member struct {
	// Name names the cache itself, the way klist -l prints it
	// (DIR::path, KEYRING:anchor:collection:name, KCM:name), never the
	// collection.
	Name Name
	// Principal is the cache's default principal, when Initialized.
	Principal Principal
	// Initialized: the cache has a default principal. Caches that were
	// only reserved (MIT's new_unique makes empty ones) or cannot be
	// read are listed without one, and MIT's cache_match passes over
	// them.
	Initialized bool
	// Primary: the collection's primary cache, the one the collection
	// name resolves to.
	Primary bool
}

// List returns the caches of the collection n names in the order MIT's
// collection cursor yields them: the primary first, if it exists, then
// the others. Nothing is created, not even the primary file or key MIT
// writes when it resolves a collection. A name that is not a collection
// lists as the one cache it names, marked primary (MIT's cursor for a
// subsidiary default cache yields just that cache); a missing cache or
// collection lists as nothing.
func List(n Name, o OpenOptions) ([]Member, error) {
	if !n.IsCollection() {
		return listSingle(n, o)
	}
	n, err := refreshPrimary(n)
	if err != nil {
		return nil, err
	}
	return listCollection(n, o)
}

// refreshPrimary re-resolves the primary of a DIR collection, which
// ParseName fixed in n.Path and which may have been switched since: the
// selection must name the primary its listing saw. The other types
// resolve their primary on every use anyway.
func refreshPrimary(n Name) (Name, error) {
	if n.Type != "DIR" {
		return n, nil
	}
	primary, err := readPrimary(n.Residual)
	if err != nil {
		return n, err
	}
	n.Path = filepath.Join(n.Residual, primary)
	return n, nil
}

func listCollection(n Name, o OpenOptions) ([]Member, error) {
	switch n.Type {
	case "DIR":
		return listDir(n, o)
	case "KEYRING":
		return listKeyring(n)
	case "KCM":
		return listKCM(n, o)
	}
	return nil, fmt.Errorf("credential cache type %s has no collections", n.Type)
}

func listSingle(n Name, o OpenOptions) ([]Member, error) {
	s, err := Open(n, o)
	if err != nil {
		return nil, err
	}
	c, err := s.Load()
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	m := Member{Name: n, Primary: true}
	if err == nil {
		m.Principal, m.Initialized = c.DefaultPrincipal, true
	} else if errors.Is(err, ErrKCMUnavailable) {
		return nil, err
	}
	return []Member{m}, nil
}

// Selection is the cache ForPrincipal chose.
type Selection struct {
	// Name is the cache to use, for messages, as KRB5CCNAME for child
	// processes and (LockKey) for the one-daemon-per-cache lock: the
	// name ForPrincipal was given, or one cache of its collection.
	Name Name
	// Store reads and writes it. For a cache picked out of a collection
	// its Update refuses, with an error matching ErrOtherPrincipal, to
	// write over a cache that holds another principal by then; a new
	// cache is created by the first Update, not before.
	Store Store
	// Existing: Name is a cache that already held the principal (the
	// primary or another cache of the collection). False for a new
	// cache, and for names that are not collections, which
	// ForPrincipal does not look into.
	Existing bool
	// MakePrimary makes Name the collection's primary, as kinit does
	// after it got a ticket (krb5_cc_switch); call it once Store holds
	// the new ticket. Nil when Name is already the primary or not part
	// of a collection.
	MakePrimary func() error
}

// ForPrincipal picks the cache for p in the collection n names, the way
// MIT's kinit picks it when the cache comes from KRB5CCNAME or
// default_ccache_name (kinit -c skips this and writes over the named
// collection's primary; krenew calls ForPrincipal for -k too, so that it
// never replaces another principal's ticket):
//
//   - a name that is not a collection (FILE:, DIR::path,
//     KEYRING:anchor:collection:name, KCM:name) is returned unchanged;
//   - else a cache of the collection whose default principal is p: the
//     collection name itself if that is the primary, else that cache,
//     with MakePrimary;
//   - else, if the primary is uninitialized or missing, the collection
//     name unchanged, so the write goes to the primary as kinit's would;
//   - else a new cache in the collection, named as MIT names them
//     (DIR: tktXXXXXX, KEYRING: krb_ccache_XXXXXXX, KCM: the daemon's
//     GEN_NEW), with MakePrimary.
//
// Nothing is written: a new cache appears with the first Store.Update,
// and the primary changes only through MakePrimary.
func ForPrincipal(n Name, o OpenOptions, p Principal) (Selection, error) {
	if !n.IsCollection() {
		return unchanged(n, o, false)
	}
	n, err := refreshPrimary(n)
	if err != nil {
		return Selection{}, err
	}
	members, err := listCollection(n, o)
	if err != nil {
		return Selection{}, err
	}
	primaryInitialized := false
	for _, m := range members {
		if m.Primary && m.Initialized {
			primaryInitialized = true
		}
		if !m.Initialized || !m.Principal.Equal(p) {
			continue
		}
		if m.Primary {
			return unchanged(n, o, true)
		}
		return member(m.Name, o, p, true)
	}
	if !primaryInitialized {
		return unchanged(n, o, false)
	}
	fresh, err := newUnique(n, o)
	if err != nil {
		return Selection{}, err
	}
	return member(fresh, o, p, false)
}

func unchanged(n Name, o OpenOptions, existing bool) (Selection, error) {
	s, err := Open(n, o)
	if err != nil {
		return Selection{}, err
	}
	return Selection{Name: n, Store: s, Existing: existing}, nil
}

// member selects one cache of a collection that is not its primary.
func member(n Name, o OpenOptions, p Principal, existing bool) (Selection, error) {
	s, err := openMember(n, o, existing)
	if err != nil {
		return Selection{}, err
	}
	return Selection{
		Name:        n,
		Store:       guardPrincipal(s, n, p),
		Existing:    existing,
		MakePrimary: func() error { return makePrimary(n, o) },
	}, nil
}

// newUnique names a cache that does not exist yet in the collection n.
func newUnique(n Name, o OpenOptions) (Name, error) {
	switch n.Type {
	case "DIR":
		return newDirUnique(n)
	case "KEYRING":
		return newKeyringUnique(n)
	case "KCM":
		return newKCMUnique(n, o)
	}
	return Name{}, fmt.Errorf("credential cache type %s has no collections", n.Type)
}

// openMember opens one cache of a collection that is not its primary,
// with a store that keeps the primary where it is until MakePrimary.
func openMember(n Name, o OpenOptions, existing bool) (Store, error) {
	switch {
	case n.Type == "KEYRING" && !existing:
		return openFreshKeyring(n)
	case n.Type == "KCM":
		return openKCMMember(n, o)
	}
	return Open(n, o)
}

// makePrimary is krb5_cc_switch for one cache of a collection.
func makePrimary(n Name, o OpenOptions) error {
	var err error
	switch n.Type {
	case "DIR":
		err = switchDir(n)
	case "KEYRING":
		err = switchKeyring(n)
	case "KCM":
		err = switchKCM(n, o)
	default:
		err = fmt.Errorf("credential cache type %s has no collections", n.Type)
	}
	if err != nil {
		return fmt.Errorf("cannot make %s the primary cache of its collection: %w", n, err)
	}
	return nil
}
