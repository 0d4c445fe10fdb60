package krb5conf

import (
	"path/filepath"
	"testing"
)

// Each level of MIT's krb5_appdefault_string order hides the ones after
// it: application and realm, application, realm, top level.
func TestAppdefaultOrder(t *testing.T) {
	levels := []struct{ line, where string }{
		{"krenew = {\n  R.TEST = {\n   x = 1\n  }\n }\n", "[appdefaults] krenew = { R.TEST = { x } }"},
		{"krenew = {\n  x = 2\n }\n", "[appdefaults] krenew = { x }"},
		{"R.TEST = {\n  x = 3\n }\n", "[appdefaults] R.TEST = { x }"},
		{"x = 4\n", "[appdefaults] x"},
	}
	for first := range levels {
		content := "[appdefaults]\n"
		// Written least specific first, so that file order cannot be
		// what decides.
		for i := len(levels) - 1; i >= first; i-- {
			content += " " + levels[i].line
		}
		dir := writeConf(t, map[string]string{"krb5.conf": content})
		path := filepath.Join(dir, "krb5.conf")
		c := mustParse(t, path)
		s, ok := c.Appdefault("krenew", "R.TEST", "x")
		want := Setting{Value: string(rune('1' + first)), File: path, Where: levels[first].where}
		if !ok || s != want {
			t.Errorf("levels %d..4: Appdefault = %+v, %v; want %+v", first+1, s, ok, want)
		}
	}
}

// Another realm's or another application's settings do not apply, and
// without a realm only the realm-less levels are looked at.
func TestAppdefaultOtherRealmAndApp(t *testing.T) {
	dir := writeConf(t, map[string]string{"krb5.conf": `[appdefaults]
 pam = {
  lifetime = 1h
 }
 krenew = {
  OTHER.TEST = {
   lifetime = 2h
  }
 }
 OTHER.TEST = {
  renewable = 3h
 }
`})
	c := mustParse(t, filepath.Join(dir, "krb5.conf"))
	for _, realm := range []string{"R.TEST", ""} {
		for _, opt := range []string{"lifetime", "renewable"} {
			if s, ok := c.Appdefault("krenew", realm, opt); ok {
				t.Errorf("Appdefault(krenew, %q, %s) = %+v, want unset", realm, opt, s)
			}
		}
	}
	if s, ok := c.Appdefault("krenew", "OTHER.TEST", "lifetime"); !ok || s.Value != "2h" {
		t.Errorf("Appdefault(krenew, OTHER.TEST, lifetime) = %+v, %v", s, ok)
	}
}

// A value in a file of an includedir names that file, and the first file
// to set a value wins, as everywhere in krb5.conf.
func TestAppdefaultFromIncludedir(t *testing.T) {
	dir := writeConf(t, map[string]string{
		"krb5.conf": "includedir $DIR/krb5.conf.d/\n[libdefaults]\n default_realm = R.TEST\n",
		"krb5.conf.d/krenew.conf": `[appdefaults]
 krenew = {
  lifetime = 7d
  renewable = 14d
  R.TEST = {
   renewable = 30d
  }
 }
`,
		"krb5.conf.d/zz-later.conf": "[appdefaults]\n krenew = {\n  lifetime = 1h\n }\n",
	})
	c := mustParse(t, filepath.Join(dir, "krb5.conf"))
	file := filepath.Join(dir, "krb5.conf.d", "krenew.conf")
	for _, tc := range []struct {
		realm, opt string
		want       Setting
	}{
		{"R.TEST", "renewable", Setting{"30d", file, "[appdefaults] krenew = { R.TEST = { renewable } }"}},
		{"OTHER.TEST", "renewable", Setting{"14d", file, "[appdefaults] krenew = { renewable }"}},
		{"R.TEST", "lifetime", Setting{"7d", file, "[appdefaults] krenew = { lifetime }"}},
	} {
		if s, ok := c.Appdefault("krenew", tc.realm, tc.opt); !ok || s != tc.want {
			t.Errorf("Appdefault(krenew, %s, %s) = %+v, %v; want %+v", tc.realm, tc.opt, s, ok, tc.want)
		}
	}
}

// KRB5_CONFIG's first file wins; a value only the second file has is
// still found, and names the second file.
func TestAppdefaultSeveralFiles(t *testing.T) {
	dir := writeConf(t, map[string]string{
		"a.conf": "[appdefaults]\n krenew = {\n  lifetime = 2d\n }\n",
		"b.conf": "[appdefaults]\n krenew = {\n  lifetime = 3d\n  renewable = 5d\n }\n",
	})
	a, b := filepath.Join(dir, "a.conf"), filepath.Join(dir, "b.conf")
	c := mustParse(t, a, b)
	if s, _ := c.Appdefault("krenew", "R.TEST", "lifetime"); s.Value != "2d" || s.File != a {
		t.Errorf("lifetime = %+v, want 2d from %s", s, a)
	}
	if s, _ := c.Appdefault("krenew", "R.TEST", "renewable"); s.Value != "5d" || s.File != b {
		t.Errorf("renewable = %+v, want 5d from %s", s, b)
	}
}

func TestLibdefaultSetting(t *testing.T) {
	dir := writeConf(t, map[string]string{"krb5.conf": `[libdefaults]
 ticket_lifetime = 24h
 R.TEST = {
  ticket_lifetime = 10h
 }
`})
	path := filepath.Join(dir, "krb5.conf")
	c := mustParse(t, path)
	if s, ok := c.LibdefaultSetting("R.TEST", "ticket_lifetime"); !ok || s != (Setting{"10h", path, "[libdefaults] R.TEST = { ticket_lifetime }"}) {
		t.Errorf("realm: %+v, %v", s, ok)
	}
	if s, ok := c.LibdefaultSetting("OTHER.TEST", "ticket_lifetime"); !ok || s != (Setting{"24h", path, "[libdefaults] ticket_lifetime"}) {
		t.Errorf("top level: %+v, %v", s, ok)
	}
	if s, ok := c.LibdefaultSetting("R.TEST", "renew_lifetime"); ok {
		t.Errorf("unset: %+v", s)
	}
}

// A Conf built by hand is an empty krb5.conf.
func TestAppdefaultEmptyConf(t *testing.T) {
	if s, ok := (&Conf{}).Appdefault("krenew", "R.TEST", "lifetime"); ok {
		t.Errorf("got %+v", s)
	}
}
