package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/krenew/krenew/internal/testkdc"
)

// confWithDefaults writes a krb5.conf that includes the KDC's and reads
// krb5.conf.d/ as FreeIPA and sssd ship it, with the given files there,
// and returns the environment entry that points krenew at it.
func confWithDefaults(t *testing.T, k *testkdc.KDC, main string, dropIns map[string]string) (env []string, dir string) {
	t.Helper()
	dir = t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "krb5.conf.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range dropIns {
		if err := os.WriteFile(filepath.Join(dir, "krb5.conf.d", name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	conf := "includedir " + filepath.Join(dir, "krb5.conf.d") + "/\ninclude " + k.Krb5Conf + "\n" + main
	path := filepath.Join(dir, "krb5.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	return []string{"KRB5_CONFIG=" + path}, dir
}

// Central defaults: [appdefaults] krenew in an included file sets -l and
// -r, a realm subsection beats the application's own value, a flag beats
// both, and [libdefaults] ticket_lifetime/renew_lifetime (kinit's) do not
// apply. MIT klist is the oracle for what was granted, and -v names the
// source of each value.
func TestAppdefaultsSetLifetimes(t *testing.T) {
	k := testkdc.Start(t, testkdc.Options{}) // grants up to 10d, renewable 30d
	kinitDefaults := "[libdefaults]\n ticket_lifetime = 1h\n renew_lifetime = 2h\n"
	central := `[appdefaults]
 krenew = {
  lifetime = 2d
  renewable = 5d
  ` + k.Realm + ` = {
   renewable = 6d
  }
  OTHER.TEST = {
   lifetime = 9d
  }
 }
`
	day := 24 * time.Hour
	for _, tc := range []struct {
		name              string
		main              string
		dropIns           map[string]string
		flags             []string
		lifetime, renewal time.Duration
		sources           []string // fragments of the -v lines, $DIR for the config's directory
	}{
		{"built-in, not kinit's libdefaults", kinitDefaults, nil, nil, 7 * day, 14 * day, []string{
			"krenew: ticket lifetime 7d, krenew's built-in default ([libdefaults] ticket_lifetime = 1h in $DIR/krb5.conf is kinit's default",
			"krenew: renewable lifetime 14d, krenew's built-in default ([libdefaults] renew_lifetime = 2h in $DIR/krb5.conf is kinit's default",
		}},
		{"appdefaults in an included file, realm first", kinitDefaults, map[string]string{"krenew.conf": central}, nil, 2 * day, 6 * day, []string{
			"krenew: ticket lifetime 2d, from [appdefaults] krenew = { lifetime } in $DIR/krb5.conf.d/krenew.conf\n",
			"krenew: renewable lifetime 6d, from [appdefaults] krenew = { " + k.Realm + " = { renewable } } in $DIR/krb5.conf.d/krenew.conf\n",
		}},
		{"a flag wins", "", map[string]string{"krenew.conf": central}, []string{"-r", "3d"}, 2 * day, 3 * day, []string{
			"krenew: ticket lifetime 2d, from [appdefaults] krenew = { lifetime } in $DIR/krb5.conf.d/krenew.conf\n",
			"krenew: renewable lifetime 3d, from -r/--renewable\n",
		}},
		{"the realm's own section", "[appdefaults]\n " + k.Realm + " = {\n  lifetime = 3d\n }\n renewable = 4d\n", nil, nil, 3 * day, 4 * day, []string{
			"krenew: ticket lifetime 3d, from [appdefaults] " + k.Realm + " = { lifetime } in $DIR/krb5.conf\n",
			"krenew: renewable lifetime 4d, from [appdefaults] renewable in $DIR/krb5.conf\n",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env, dir := confWithDefaults(t, k, tc.main, tc.dropIns)
			cc, _ := cacheIn(t, "cc")
			args := append([]string{"--once", "--init", "--password-stdin", "-v", "-u", "alice", "-k", cc}, tc.flags...)
			r := krenewEnv(t, k, env, testkdc.AlicePassword+"\n", args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			tk := testkdc.Klist(t, k, cc)
			within(t, "lifetime", tk.Lifetime(), tc.lifetime, time.Minute)
			within(t, "renewable lifetime", tk.RenewableLifetime(), tc.renewal, time.Minute)
			for _, s := range tc.sources {
				if s = strings.ReplaceAll(s, "$DIR", dir); !strings.Contains(r.stderr, s) {
					t.Errorf("-v does not say %q:\n%s", s, r.stderr)
				}
			}
		})
	}
}

// A bad value in an included file is one error naming the file and the
// relation, before any password is read, and -l gets past it.
func TestAppdefaultsBadValue(t *testing.T) {
	k := testkdc.Start(t, testkdc.Options{})
	env, dir := confWithDefaults(t, k, "", map[string]string{
		"krenew.conf": "[appdefaults]\n krenew = {\n  lifetime = 7 days\n }\n"})
	cc, path := cacheIn(t, "cc")
	r := krenewEnv(t, k, env, testkdc.AlicePassword+"\n", "--once", "--init", "--password-stdin", "-u", "alice", "-k", cc)
	wantOneError(t, r, 1, `invalid ticket lifetime "7 days" in `+filepath.Join(dir, "krb5.conf.d", "krenew.conf"),
		"[appdefaults] krenew = { lifetime }")
	if !strings.Contains(r.stderr, "krenew: hint: ") || !strings.Contains(r.stderr, "-l/--lifetime") {
		t.Errorf("no hint naming -l:\n%s", r.stderr)
	}
	if _, err := os.Stat(path); err == nil {
		t.Errorf("a cache was written despite the error")
	}
	r = krenewEnv(t, k, env, testkdc.AlicePassword+"\n", "--once", "--init", "--password-stdin", "-u", "alice", "-k", cc, "-l", "1d")
	if r.code != 0 {
		t.Fatalf("with -l 1d: exit %d: %s", r.code, r.stderr)
	}
	within(t, "lifetime", testkdc.Klist(t, k, cc).Lifetime(), 24*time.Hour, time.Minute)
}
