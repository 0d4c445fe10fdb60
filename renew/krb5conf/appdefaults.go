package krb5conf

import "strings"

// Setting is one value found in krb5.conf and where it was found, so that
// a caller can say where a default came from or which line is wrong.
type Setting struct {
	Value string
	// File is the file that holds the line: an included file names
	// itself, not the file that included it.
	File string
	// Where is the relation as it is written in the file, e.g.
	// "[appdefaults] krenew = { EXAMPLE.COM = { renewable } }".
	Where string
}

// Appdefault looks option up in [appdefaults] for the application app in
// realm as MIT's krb5_appdefault_string does, most specific first:
//
//	[appdefaults] app = { realm = { option } }
//	[appdefaults] app = { option }
//	[appdefaults] realm = { option }
//	[appdefaults] option
//
// At each level the first value wins, across files as everywhere else. An
// empty realm skips the realm levels.
func (c *Conf) Appdefault(app, realm, option string) (Setting, bool) {
	var paths [][]string
	if realm != "" {
		paths = append(paths, []string{"appdefaults", app, realm})
	}
	paths = append(paths, []string{"appdefaults", app})
	if realm != "" {
		paths = append(paths, []string{"appdefaults", realm})
	}
	paths = append(paths, []string{"appdefaults"})
	for _, path := range paths {
		if s, ok := c.setting(path, option); ok {
			return s, true
		}
	}
	return Setting{}, false
}

// LibdefaultSetting is Libdefault with where the value was found.
func (c *Conf) LibdefaultSetting(realm, key string) (Setting, bool) {
	if realm != "" {
		if s, ok := c.setting([]string{"libdefaults", realm}, key); ok {
			return s, true
		}
	}
	return c.setting([]string{"libdefaults"}, key)
}

func (c *Conf) setting(path []string, name string) (Setting, bool) {
	n := c.tree.relations(path, name)
	if len(n) == 0 {
		return Setting{}, false
	}
	return Setting{Value: n[0].value, File: n[0].file, Where: relationName(path, name)}, true
}

// relationName writes a relation's place the way the file spells it:
// relationName([appdefaults krenew R], "x") is
// "[appdefaults] krenew = { R = { x } }".
func relationName(path []string, name string) string {
	var b strings.Builder
	b.WriteString("[" + path[0] + "] ")
	for _, sub := range path[1:] {
		b.WriteString(sub + " = { ")
	}
	b.WriteString(name)
	b.WriteString(strings.Repeat(" }", len(path)-1))
	return b.String()
}
