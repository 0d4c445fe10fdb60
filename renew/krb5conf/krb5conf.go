package krb5conf

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// Conf is the Kerberos configuration as MIT's libkrb5 reads it.
//
// MIT's profile syntax (include/includedir, final markers, per-realm
// subsections in [libdefaults], several files in KRB5_CONFIG) is parsed here
// into a tree, and every value krenew uses is looked up in that tree with
// MIT's rules. gokrb5 never reads krb5.conf: its parser rejects much of what
// real files contain, and it keeps the last of repeated values where MIT
// keeps the first.
type Conf struct {
	Files             []string // files actually read, in order, includes too
	DefaultRealm      string   // [libdefaults] default_realm, "" if unset
	DefaultCCacheName string   // [libdefaults] default_ccache_name, unexpanded, "" if unset
	KCMSocket         string   // [libdefaults] kcm_socket, "" if unset
	// Warnings lists files that could not be read and settings that were
	// ignored in favour of MIT's default; worth showing with --verbose.
	Warnings []string

	tree *profile
	lib  *libdefaults
}

// Load reads the files named in KRB5_CONFIG (colon-separated),
// else /etc/krb5.conf. Missing files are skipped, as MIT does; if none
// exists the result is an empty configuration, and asking it for a realm
// gives the error that matters. As in MIT, a KRB5_CONFIG that is set but
// empty names no file at all.
func Load() (*Conf, error) {
	paths := []string{"/etc/krb5.conf"}
	if v, ok := os.LookupEnv("KRB5_CONFIG"); ok {
		paths = filepath.SplitList(v)
	}
	return Parse(paths)
}

// Parse reads the given files in order; for a setting made in more
// than one, the first file wins (MIT's rule), and a section or subsection
// marked final ("[realms]*", "X = {" ... "}*") hides later files' copies.
// A directory in the list is read like an includedir.
func Parse(paths []string) (*Conf, error) {
	p := &profileParser{}
	tree := &profile{}
	for _, path := range paths {
		if path == "" {
			continue
		}
		st, err := os.Stat(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if errors.Is(err, fs.ErrPermission) {
			p.warn("skipped %s: %v", path, err)
			continue
		}
		if err != nil {
			return nil, err
		}
		root := newProfSection("")
		if st.IsDir() {
			err = p.includeDir(path, root)
		} else {
			err = p.parseFile(path, root, true)
		}
		if err != nil {
			return nil, err
		}
		tree.files = append(tree.files, root)
	}
	c := &Conf{Files: p.read, Warnings: p.warnings, tree: tree}
	c.DefaultRealm = tree.first([]string{"libdefaults"}, "default_realm")
	c.DefaultCCacheName = tree.first([]string{"libdefaults"}, "default_ccache_name")
	c.KCMSocket = tree.first([]string{"libdefaults"}, "kcm_socket")
	c.readLibdefaults()
	return c, nil
}

// Libdefault returns a [libdefaults] setting as MIT's krb5_libdefault_*
// lookups see it for one realm: a "REALM = { ... }" subsection of
// [libdefaults] first, then the top level. MIT reads forwardable,
// proxiable, noaddresses, canonicalize, ticket_lifetime and renew_lifetime
// this way when getting initial tickets.
func (c *Conf) Libdefault(realm, key string) (string, bool) {
	if v := c.tree.values([]string{"libdefaults", realm}, key); len(v) > 0 {
		return v[0], true
	}
	if v := c.tree.values([]string{"libdefaults"}, key); len(v) > 0 {
		return v[0], true
	}
	return "", false
}

// LibdefaultBool is Libdefault read as MIT's krb5_libdefault_boolean does:
// only y, yes, true, t, 1 and on are true; any other value set is false.
func (c *Conf) LibdefaultBool(realm, key string) (value, set bool) {
	v, set := c.Libdefault(realm, key)
	if !set {
		return false, false
	}
	b, _ := mitBoolean(v)
	return b, true
}
