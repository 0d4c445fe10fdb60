package krb5conf

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
)

// stubSRV replaces the DNS lookup for one test so that no test depends on
// (or sends queries to) a real resolver. fn == nil fails the test if DNS is
// consulted at all.
func stubSRV(t *testing.T, fn func(service, proto, name string) ([]*net.SRV, error)) *[]string {
	t.Helper()
	var asked []string
	old := LookupSRV
	LookupSRV = func(_ context.Context, service, proto, name string) (string, []*net.SRV, error) {
		asked = append(asked, "_"+service+"._"+proto+"."+name)
		if fn == nil {
			t.Errorf("unexpected DNS lookup of _%s._%s.%s", service, proto, name)
			return "", nil, errors.New("no DNS in tests")
		}
		srvs, err := fn(service, proto, name)
		return "", srvs, err
	}
	t.Cleanup(func() { LookupSRV = old })
	return &asked
}

// writeConf writes files under a temporary directory and returns it.
func writeConf(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		content = strings.ReplaceAll(content, "$DIR", dir)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func mustParse(t *testing.T, paths ...string) *Conf {
	t.Helper()
	c, err := Parse(paths)
	if err != nil {
		t.Fatalf("Parse(%v): %v", paths, err)
	}
	return c
}

func wantKDCs(t *testing.T, c *Conf, realm string, want ...string) {
	t.Helper()
	got, err := c.KDCs(realm)
	if err != nil {
		t.Fatalf("KDCs(%q): %v", realm, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("KDCs(%q) = %q, want %q", realm, got, want)
	}
}

// Debian's stock /etc/krb5.conf from krb5-config, copied into testdata so
// the test does not depend on what this machine has in /etc.
func TestKrb5ConfDebianStock(t *testing.T) {
	stubSRV(t, func(string, string, string) ([]*net.SRV, error) { return nil, errors.New("no such host") })
	path := "testdata/krb5conf/debian-krb5-config.conf"
	c := mustParse(t, path)

	if !reflect.DeepEqual(c.Files, []string{path}) {
		t.Errorf("Files = %q", c.Files)
	}
	if c.DefaultRealm != "ATHENA.MIT.EDU" || c.Config.LibDefaults.DefaultRealm != "ATHENA.MIT.EDU" {
		t.Errorf("default realm = %q / gokrb5 %q", c.DefaultRealm, c.Config.LibDefaults.DefaultRealm)
	}
	if c.DefaultCCacheName != "" {
		t.Errorf("DefaultCCacheName = %q, want unset", c.DefaultCCacheName)
	}
	if len(c.Warnings) != 0 {
		t.Errorf("Warnings = %q", c.Warnings)
	}
	wantKDCs(t, c, "ATHENA.MIT.EDU", "kerberos.mit.edu:88", "kerberos-1.mit.edu:88", "kerberos-2.mit.edu:88")
	wantKDCs(t, c, "stanford.edu", "krb5auth1.stanford.edu:88", "krb5auth2.stanford.edu:88", "krb5auth3.stanford.edu:88")

	lib := c.Config.LibDefaults
	if !lib.Forwardable || !lib.Proxiable || lib.RDNS || lib.KDCTimeSync != 1 || lib.CCacheType != 4 {
		t.Errorf("libdefaults not carried over: %+v", lib)
	}
	if lib.Clockskew != 5*time.Minute || lib.UDPPreferenceLimit != 1465 {
		t.Errorf("gokrb5 defaults changed: clockskew %v, udp_preference_limit %d", lib.Clockskew, lib.UDPPreferenceLimit)
	}
	if len(c.Config.Realms) != 10 {
		t.Errorf("gokrb5 sees %d realms, want 10", len(c.Config.Realms))
	}
	if got := c.Config.ResolveRealm("host.csail.mit.edu"); got != "CSAIL.MIT.EDU" {
		t.Errorf("domain_realm lost: host.csail.mit.edu -> %q", got)
	}

	// CSAIL.MIT.EDU lists an admin_server but no kdc.
	_, err := c.KDCs("CSAIL.MIT.EDU")
	if err == nil || !strings.Contains(err.Error(), `realm "CSAIL.MIT.EDU" has no kdc in `+path) {
		t.Errorf("KDCs(CSAIL.MIT.EDU) error = %v", err)
	}
}

// A FreeIPA client's krb5.conf: includedir at the top, KEYRING default
// cache, dns_canonicalize_hostname = fallback (which gokrb5 rejects), a
// per-realm subsection in [libdefaults], [capaths] and [plugins] from
// included files, editor backups and .rpmnew files beside the real ones.
func TestKrb5ConfFreeIPA(t *testing.T) {
	stubSRV(t, func(service, proto, name string) ([]*net.SRV, error) {
		if name != "AD.EXAMPLE.TEST." {
			return nil, errors.New("unexpected name " + name)
		}
		return []*net.SRV{{Target: "dc1.ad.example.test.", Port: 88, Priority: 0}}, nil
	})
	path := "testdata/krb5conf/freeipa/krb5.conf"
	c := mustParse(t, path)
	d := "testdata/krb5conf/freeipa/"
	wantFiles := []string{
		d + "krb5.conf",
		d + "krb5.conf.d/crypto-policies",
		d + "krb5.conf.d/freeipa",
		d + "krb5.conf.d/kcm_default_ccache",
		d + "krb5.include.d/90-kdc.conf",
		d + "krb5.include.d/domain_realm_ipa_example_test",
		d + "krb5.include.d/krb5_libdefaults",
		d + "krb5.include.d/localauth_plugin",
	}
	if !reflect.DeepEqual(c.Files, wantFiles) {
		t.Errorf("Files =\n%q\nwant\n%q", c.Files, wantFiles)
	}
	if len(c.Warnings) != 0 {
		t.Errorf("Warnings = %q", c.Warnings)
	}
	if c.DefaultRealm != "IPA.EXAMPLE.TEST" {
		t.Errorf("DefaultRealm = %q", c.DefaultRealm)
	}
	// The includedir comes before [libdefaults] in krb5.conf, so the
	// included KCM setting is the first value and wins, exactly as klist
	// on Fedora reports KCM: despite the KEYRING line.
	if c.DefaultCCacheName != "KCM:" {
		t.Errorf("DefaultCCacheName = %q, want KCM: (first value wins)", c.DefaultCCacheName)
	}
	// The included 90-kdc.conf is read before the main [realms] section.
	wantKDCs(t, c, "IPA.EXAMPLE.TEST", "ipa2.ipa.example.test:88", "ipa1.ipa.example.test:88", "[::1]:88")
	// A realm without kdc entries falls back to DNS SRV records.
	wantKDCs(t, c, "AD.EXAMPLE.TEST", "dc1.ad.example.test:88")

	lib := c.Config.LibDefaults
	if !lib.Forwardable {
		t.Error("forwardable = yes was lost, or the per-realm forwardable = false leaked out")
	}
	if !lib.Canonicalize || !lib.DNSLookupKDC || !lib.DNSLookupRealm || lib.RDNS {
		t.Errorf("booleans: %+v", lib)
	}
	// kinit for IPA.EXAMPLE.TEST honours the realm's own libdefaults.
	if v, set := c.LibdefaultBool("IPA.EXAMPLE.TEST", "forwardable"); !set || v {
		t.Errorf("LibdefaultBool(IPA.EXAMPLE.TEST, forwardable) = %v, %v; want the realm's false", v, set)
	}
	if v, set := c.LibdefaultBool("OTHER.TEST", "forwardable"); !set || !v {
		t.Errorf("LibdefaultBool(OTHER.TEST, forwardable) = %v, %v; want the top level's yes", v, set)
	}
	if v, set := c.Libdefault("IPA.EXAMPLE.TEST", "ticket_lifetime"); !set || v != "24h" {
		t.Errorf("Libdefault(IPA.EXAMPLE.TEST, ticket_lifetime) = %q, %v", v, set)
	}
	if _, set := c.Libdefault("IPA.EXAMPLE.TEST", "renew_lifetime"); set {
		t.Error("renew_lifetime is set nowhere")
	}
	if lib.UDPPreferenceLimit != 0 {
		t.Errorf("udp_preference_limit = %d, want FreeIPA's 0 (always TCP)", lib.UDPPreferenceLimit)
	}
	if lib.TicketLifetime != 24*time.Hour {
		t.Errorf("ticket_lifetime = %v", lib.TicketLifetime)
	}
	// crypto-policies' list, less the camellia types gokrb5 lacks.
	if want := []int32{18, 20, 17, 19}; !reflect.DeepEqual(lib.PermittedEnctypeIDs, want) {
		t.Errorf("PermittedEnctypeIDs = %v, want %v", lib.PermittedEnctypeIDs, want)
	}
	// Unset default_tkt_enctypes means MIT's DEFAULT, SHA-2 types included.
	if want := []int32{18, 17, 20, 19, 16, 23}; !reflect.DeepEqual(lib.DefaultTktEnctypeIDs, want) {
		t.Errorf("DefaultTktEnctypeIDs = %v, want %v", lib.DefaultTktEnctypeIDs, want)
	}
	if got := c.Config.ResolveRealm("host.ad.example.test"); got != "AD.EXAMPLE.TEST" {
		t.Errorf("domain_realm from the included file lost: %q", got)
	}
}

func TestKrb5ConfSeveralFilesFirstWins(t *testing.T) {
	stubSRV(t, nil)
	dir := writeConf(t, map[string]string{
		"a.conf": `[libdefaults]
 default_realm = A.TEST
 default_realm = A2.TEST
[realms]
 R.TEST = {
  kdc = 127.0.0.1:2001
 }
 R.TEST = {
  kdc = 127.0.0.1:2002
 }
 FINAL.TEST = {
  kdc = 127.0.0.1:4001
 }*
 TAGFINAL.TEST* = {
  kdc = 127.0.0.1:5001
 }
 RELFINAL.TEST = {
  kdc* = 127.0.0.1:6001
 }
`,
		"b.conf": `[libdefaults]
 default_realm = B.TEST
 default_ccache_name = FILE:/tmp/from_b
[realms]
 R.TEST = {
  kdc = 127.0.0.1:2003
 }
 FINAL.TEST = {
  kdc = 127.0.0.1:4002
 }
 TAGFINAL.TEST = {
  kdc = 127.0.0.1:5002
 }
 RELFINAL.TEST = {
  kdc = 127.0.0.1:6002
 }
 ONLYB.TEST = {
  kdc = 127.0.0.1:7002
 }
`,
		"c.conf": `[libdefaults]
 dns_lookup_kdc = false
[realms]*
 ONLYC.TEST = {
  kdc = 127.0.0.1:8003
 }
`,
	})
	a, b, cc := filepath.Join(dir, "a.conf"), filepath.Join(dir, "b.conf"), filepath.Join(dir, "c.conf")
	c := mustParse(t, a, b)

	if c.DefaultRealm != "A.TEST" || c.Config.LibDefaults.DefaultRealm != "A.TEST" {
		t.Errorf("default_realm = %q, gokrb5 %q; want the first value, A.TEST",
			c.DefaultRealm, c.Config.LibDefaults.DefaultRealm)
	}
	if c.DefaultCCacheName != "FILE:/tmp/from_b" {
		t.Errorf("DefaultCCacheName = %q; a setting only the second file has must count", c.DefaultCCacheName)
	}
	// These expectations were checked against MIT kinit 1.20 (KRB5_TRACE).
	wantKDCs(t, c, "R.TEST", "127.0.0.1:2001", "127.0.0.1:2002", "127.0.0.1:2003")
	wantKDCs(t, c, "FINAL.TEST", "127.0.0.1:4001")
	wantKDCs(t, c, "TAGFINAL.TEST", "127.0.0.1:5001")
	wantKDCs(t, c, "RELFINAL.TEST", "127.0.0.1:6001", "127.0.0.1:6002")
	wantKDCs(t, c, "ONLYB.TEST", "127.0.0.1:7002")
	for _, r := range c.Config.Realms {
		if r.Realm == "R.TEST" && len(r.KDC) != 3 {
			t.Errorf("gokrb5 sees R.TEST KDCs %q, want all three", r.KDC)
		}
	}

	// A final [realms] section hides every later file's realms.
	c = mustParse(t, cc, b)
	wantKDCs(t, c, "ONLYC.TEST", "127.0.0.1:8003")
	_, err := c.KDCs("ONLYB.TEST")
	if err == nil || !strings.Contains(err.Error(), `realm "ONLYB.TEST" has no kdc`) {
		t.Errorf("ONLYB.TEST should be hidden by a final [realms] section; error = %v", err)
	}
}

func TestKrb5ConfIncludes(t *testing.T) {
	stubSRV(t, nil)
	dir := writeConf(t, map[string]string{
		"main.conf": `# comment before any section
include $DIR/realms.conf
[libdefaults]
 default_realm = MAIN.TEST
include $DIR/other.conf
 default_ccache_name = FILE:/tmp/after_include
includedir $DIR/conf.d
`,
		"realms.conf": `this line comes before any section and is ignored
[realms]
 MAIN.TEST = {
  kdc = 127.0.0.1:1001
 }
`,
		"other.conf": `[realms]
 MAIN.TEST = {
  kdc = 127.0.0.1:1002
 }
`,
		"conf.d/20-b":          "[realms]\n MAIN.TEST = {\n  kdc = 127.0.0.1:1004\n }\n",
		"conf.d/10_a.conf":     "[realms]\n MAIN.TEST = {\n  kdc = 127.0.0.1:1003\n }\n",
		"conf.d/30.c.conf":     "[realms]\n MAIN.TEST = {\n  kdc = 127.0.0.1:1005\n }\n",
		"conf.d/40-d.rpmsave":  "[realms]\n MAIN.TEST = {\n  kdc = 127.0.0.1:9999\n }\n",
		"conf.d/50-e~":         "[realms]\n MAIN.TEST = {\n  kdc = 127.0.0.1:9999\n }\n",
		"conf.d/.60-hidden":    "[realms]\n MAIN.TEST = {\n  kdc = 127.0.0.1:9999\n }\n",
		"conf.d/70-dir/x.conf": "[realms]\n MAIN.TEST = {\n  kdc = 127.0.0.1:9999\n }\n",
	})
	c := mustParse(t, filepath.Join(dir, "main.conf"))
	wantKDCs(t, c, "MAIN.TEST", "127.0.0.1:1001", "127.0.0.1:1002", "127.0.0.1:1003", "127.0.0.1:1004", "127.0.0.1:1005")
	// An included file does not change the section of the lines after it.
	if c.DefaultCCacheName != "FILE:/tmp/after_include" {
		t.Errorf("DefaultCCacheName = %q: the line after include went to the wrong section", c.DefaultCCacheName)
	}
	if c.DefaultRealm != "MAIN.TEST" {
		t.Errorf("DefaultRealm = %q", c.DefaultRealm)
	}
	want := []string{"main.conf", "realms.conf", "other.conf", "conf.d/10_a.conf", "conf.d/20-b", "conf.d/30.c.conf"}
	for i := range want {
		want[i] = filepath.Join(dir, want[i])
	}
	if !reflect.DeepEqual(c.Files, want) {
		t.Errorf("Files = %q\nwant %q", c.Files, want)
	}
}

func TestKrb5ConfIncludeErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"self include", map[string]string{"main.conf": "[libdefaults]\ninclude $DIR/main.conf\n"}, "include loop"},
		{"include cycle", map[string]string{
			"main.conf": "include $DIR/a.conf\n",
			"a.conf":    "include $DIR/b.conf\n",
			"b.conf":    "include $DIR/a.conf\n",
		}, "include loop"},
		{"includedir loop", map[string]string{
			"main.conf":     "includedir $DIR/d\n",
			"d/loop":        "includedir $DIR/d\n",
			"d/unreachable": "",
		}, "include loop"},
		{"missing include", map[string]string{"main.conf": "[libdefaults]\n x = 1\ninclude $DIR/missing.conf\n"}, "main.conf:3: open "},
		{"missing includedir", map[string]string{"main.conf": "includedir $DIR/nodir\n"}, "main.conf:1: included directory"},
		{"include without name", map[string]string{"main.conf": "include  \n"}, "include without a file name"},
		{"error inside include", map[string]string{
			"main.conf": "include $DIR/bad.conf\n",
			"bad.conf":  "[libdefaults]\n oops\n",
		}, "bad.conf:2:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeConf(t, tt.files)
			_, err := Parse([]string{filepath.Join(dir, "main.conf")})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestKrb5ConfSyntaxErrors(t *testing.T) {
	// Each of these makes MIT's kinit fail with "Improper format of
	// Kerberos configuration file".
	tests := []struct {
		name, text, want string
	}{
		{"no equals sign", "[libdefaults]\n default_realm\n", `:2: "default_realm" is neither`},
		{"blank in name", "[libdefaults]\n bad tag = x\n", `:2: relation name "bad tag" contains blanks`},
		{"no name", "[libdefaults]\n = x\n", ":2: relation without a name"},
		{"extra brace", "[libdefaults]\n x = 1\n}\n", `:3: "}" without a matching "{"`},
		{"unterminated header", "[libdefaults\n", `:1: section header without "]"`},
		{"junk after header", "[libdefaults] x\n", `:1: unexpected " x" after section header`},
		{"missing brace", "[realms]\n R.TEST =\n kdc = x\n", `:3: expected "{"`},
		{"header in group", "[realms]\n R.TEST = {\n[libdefaults]\n", ":3: section header inside a { } group"},
		{"module", "module /usr/lib/x.so:residual\n", ":1: profile modules"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeConf(t, map[string]string{"krb5.conf": tt.text})
			_, err := Parse([]string{filepath.Join(dir, "krb5.conf")})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestKrb5ConfSyntaxAccepted(t *testing.T) {
	stubSRV(t, nil)
	text := "; leading comment\r\n" +
		"  [libdefaults]\r\n" + // indented before the first section: a comment to MIT
		" default_realm = IGNORED.TEST\r\n" +
		"[libdefaults]*  \r\n" +
		"\t# indented comment\r\n" +
		"   ; another\r\n" +
		" default_realm = OK.TEST   \r\n" +
		" default_keytab_name = \"FILE:/etc/with space\\tand\\\\escapes\" ignored\r\n" +
		" OK.TEST = {\r\n" +
		"   forwardable = false\r\n" +
		"   nested = {\r\n" +
		"     deeper = 1\r\n" +
		"   }\r\n" +
		" }\r\n" +
		" forwardable = on\r\n" +
		"[realms]\r\n" +
		" OK.TEST =\r\n" +
		" {\r\n" +
		"  kdc = \"127.0.0.1:1234\"\r\n" +
		"  kdc = 127.0.0.2   \r\n" +
		"  auth_to_local_names = {\r\n" +
		"   joe = joseph\r\n" +
		"  }\r\n" +
		" }\r\n" +
		"[appdefaults]\r\n" +
		" pam = {\r\n" + // an unclosed brace at the end is accepted by MIT
		"  debug = false\r\n"
	dir := writeConf(t, map[string]string{"krb5.conf": text})
	c := mustParse(t, filepath.Join(dir, "krb5.conf"))
	if c.DefaultRealm != "OK.TEST" {
		t.Errorf("DefaultRealm = %q", c.DefaultRealm)
	}
	if got := c.Config.LibDefaults.DefaultKeytabName; got != "FILE:/etc/with space\tand\\escapes" {
		t.Errorf("quoted value = %q", got)
	}
	if !c.Config.LibDefaults.Forwardable {
		t.Error("forwardable = on was not read as true, or the per-realm false leaked out")
	}
	wantKDCs(t, c, "OK.TEST", "127.0.0.1:1234", "127.0.0.2:88")
}

func TestKrb5ConfInlineCommentIsPartOfValue(t *testing.T) {
	stubSRV(t, nil)
	dir := writeConf(t, map[string]string{"krb5.conf": "[realms]\n R.TEST = {\n  kdc = 127.0.0.1:88 # primary\n }\n"})
	c := mustParse(t, filepath.Join(dir, "krb5.conf"))
	// MIT has no trailing comments: it fails on this kdc too.
	_, err := c.KDCs("R.TEST")
	if err == nil || !strings.Contains(err.Error(), `invalid kdc "127.0.0.1:88 # primary"`) {
		t.Errorf("error = %v", err)
	}
}

func TestParseKDCAddress(t *testing.T) {
	good := map[string]string{
		"kdc.example.test":       "kdc.example.test:88",
		"kdc.example.test:750":   "kdc.example.test:750",
		"127.0.0.1":              "127.0.0.1:88",
		"[::1]":                  "[::1]:88",
		"[::1]:750":              "[::1]:750",
		"[fe80::1%eth0]:88":      "[fe80::1%eth0]:88",
		"kdc.example.test:65535": "kdc.example.test:65535",
	}
	for in, want := range good {
		got, err := parseKDCAddress(in)
		if err != nil || got != want {
			t.Errorf("parseKDCAddress(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	bad := map[string]string{
		"::1":               "must be enclosed in brackets",
		"fe80::1:88":        "must be enclosed in brackets",
		"[::1":              `missing "]"`,
		"[::1]88":           `unexpected "88"`,
		"kdc:0":             "from 1 to 65535",
		"kdc:65536":         "from 1 to 65535",
		"kdc:http":          "from 1 to 65535",
		"kdc:88*":           "from 1 to 65535",
		":88":               "no valid host name",
		"[]:88":             "no valid host name",
		"tcp/kdc.test":      "no valid host name",
		"kdc.test # note":   "no valid host name",
		"kdc.example.test:": "from 1 to 65535",
	}
	for in, want := range bad {
		got, err := parseKDCAddress(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parseKDCAddress(%q) = %q, %v; want an error containing %q", in, got, err, want)
		}
	}
}

func TestKDCsHTTPSOnly(t *testing.T) {
	stubSRV(t, nil)
	dir := writeConf(t, map[string]string{"krb5.conf": `[realms]
 MIX.TEST = {
  kdc = https://proxy.example.test/KdcProxy
  kdc = 127.0.0.1
 }
 PROXY.TEST = {
  kdc = https://proxy.example.test/KdcProxy
 }
`})
	c := mustParse(t, filepath.Join(dir, "krb5.conf"))
	wantKDCs(t, c, "MIX.TEST", "127.0.0.1:88")
	_, err := c.KDCs("PROXY.TEST")
	if err == nil || !strings.Contains(err.Error(), "only has HTTPS (MS-KKDCP) kdc entries") {
		t.Errorf("error = %v", err)
	}
}

func TestKDCsFromDNS(t *testing.T) {
	dir := writeConf(t, map[string]string{
		"dns.conf": "[realms]\n DNS.TEST = {\n  admin_server = adm.dns.test\n }\n",
		"off.conf": "[libdefaults]\n dns_lookup_kdc = false\n dns_fallback = true\n",
		"fb.conf":  "[libdefaults]\n dns_fallback = no\n",
	})
	asked := stubSRV(t, func(service, proto, name string) ([]*net.SRV, error) {
		if proto == "udp" {
			return []*net.SRV{
				{Target: "kdc2.dns.test.", Port: 88, Priority: 10},
				{Target: "kdc1.dns.test.", Port: 88, Priority: 0},
			}, nil
		}
		return []*net.SRV{
			{Target: "kdc1.dns.test.", Port: 88, Priority: 0},
			{Target: "kdc3.dns.test.", Port: 8888, Priority: 5},
			{Target: ".", Port: 0, Priority: 0},
		}, nil
	})
	c := mustParse(t, filepath.Join(dir, "dns.conf"))
	wantKDCs(t, c, "DNS.TEST", "kdc1.dns.test:88", "kdc3.dns.test:8888", "kdc2.dns.test:88")
	wantAsked := []string{"_kerberos._udp.DNS.TEST.", "_kerberos._tcp.DNS.TEST."}
	if !reflect.DeepEqual(*asked, wantAsked) {
		t.Errorf("DNS names asked = %q, want %q", *asked, wantAsked)
	}

	// dns_lookup_kdc = false wins over dns_fallback; dns_fallback alone
	// also turns DNS off.
	for _, file := range []string{"off.conf", "fb.conf"} {
		*asked = nil
		c = mustParse(t, filepath.Join(dir, file), filepath.Join(dir, "dns.conf"))
		_, err := c.KDCs("DNS.TEST")
		if err == nil || !strings.Contains(err.Error(), `realm "DNS.TEST" has no kdc in `) {
			t.Errorf("%s: error = %v", file, err)
		}
		if len(*asked) != 0 {
			t.Errorf("%s: DNS was consulted: %q", file, *asked)
		}
	}
}

func TestKDCsDNSFailure(t *testing.T) {
	stubSRV(t, func(string, string, string) ([]*net.SRV, error) {
		return nil, &net.DNSError{Err: "no such host", Name: "_kerberos._udp.NONE.TEST.", IsNotFound: true}
	})
	dir := writeConf(t, map[string]string{"krb5.conf": "[libdefaults]\n default_realm = NONE.TEST\n"})
	c := mustParse(t, filepath.Join(dir, "krb5.conf"))
	_, err := c.KDCs("NONE.TEST")
	want := `realm "NONE.TEST" has no kdc in ` + filepath.Join(dir, "krb5.conf") + ", and DNS gave none (lookup _kerberos._udp.NONE.TEST.: no such host)"
	if err == nil || err.Error() != want {
		t.Errorf("error = %v\nwant    %s", err, want)
	}
}

func TestKrb5ConfLibdefaultsSanitising(t *testing.T) {
	stubSRV(t, nil)
	dir := writeConf(t, map[string]string{"krb5.conf": `[libdefaults]
 default_realm = S.TEST
 forwardable = maybe
 proxiable = T
 noaddresses = nil
 rdns = Off
 dns_canonicalize_hostname = fallback
 clockskew = 10m
 ticket_lifetime = 10h 0m 0s
 renew_lifetime = 1-00:00:00
 default_tkt_enctypes = aes, -aes128-cts des3
 default_tgs_enctypes = camellia
 permitted_enctypes = DEFAULT -rc4 -des3
 preferred_preauth_types = 17, 16, 15, 14
 udp_preference_limit = 99999
 spake_preauth_groups = edwards25519
 qualify_shortname = example.test
 kdc_timesync = 0
`})
	c := mustParse(t, filepath.Join(dir, "krb5.conf"))
	lib := c.Config.LibDefaults
	if lib.Forwardable {
		t.Error("forwardable = maybe should fall back to gokrb5's default (false)")
	}
	if v, set := c.LibdefaultBool("S.TEST", "forwardable"); !set || v {
		t.Errorf("LibdefaultBool(forwardable = maybe) = %v, %v; MIT reads a set non-boolean as false", v, set)
	}
	if !lib.Proxiable || lib.NoAddresses || lib.RDNS || !lib.DNSCanonicalizeHostname {
		t.Errorf("MIT booleans misread: %+v", lib)
	}
	if lib.Clockskew != 10*time.Minute || lib.TicketLifetime != 10*time.Hour {
		t.Errorf("durations: clockskew %v, ticket_lifetime %v", lib.Clockskew, lib.TicketLifetime)
	}
	if lib.RenewLifetime != 0 {
		t.Errorf("renew_lifetime %v: gokrb5 cannot read D-HH:MM:SS, so it should keep its default", lib.RenewLifetime)
	}
	if want := []int32{18, 20, 19, 16}; !reflect.DeepEqual(lib.DefaultTktEnctypeIDs, want) {
		t.Errorf("DefaultTktEnctypeIDs = %v, want %v", lib.DefaultTktEnctypeIDs, want)
	}
	if want := []int32{18, 17, 20, 19, 16, 23}; !reflect.DeepEqual(lib.DefaultTGSEnctypeIDs, want) {
		t.Errorf("DefaultTGSEnctypeIDs = %v, want the default %v (camellia alone is useless to gokrb5)", lib.DefaultTGSEnctypeIDs, want)
	}
	if want := []int32{18, 17, 20, 19}; !reflect.DeepEqual(lib.PermittedEnctypeIDs, want) {
		t.Errorf("PermittedEnctypeIDs = %v, want %v", lib.PermittedEnctypeIDs, want)
	}
	if want := []int{17, 16, 15, 14}; !reflect.DeepEqual(lib.PreferredPreauthTypes, want) {
		t.Errorf("PreferredPreauthTypes = %v", lib.PreferredPreauthTypes)
	}
	if lib.UDPPreferenceLimit != 32700 || lib.KDCTimeSync != 0 {
		t.Errorf("udp_preference_limit %d (want MIT's cap, 32700), kdc_timesync %d", lib.UDPPreferenceLimit, lib.KDCTimeSync)
	}
	for _, want := range []string{
		`forwardable = "maybe": not a boolean`,
		`renew_lifetime = "1-00:00:00"`,
		`default_tgs_enctypes = "camellia" names no enctype`,
	} {
		found := false
		for _, w := range c.Warnings {
			found = found || strings.Contains(w, want)
		}
		if !found {
			t.Errorf("no warning containing %q in %q", want, c.Warnings)
		}
	}
	if len(c.Warnings) != 3 {
		t.Errorf("Warnings = %q, want exactly the three above", c.Warnings)
	}
}

func TestParseEnctypeList(t *testing.T) {
	tests := map[string]string{
		"aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96": "aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96",
		"AES256-CTS,aes128-sha2":                          "aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha256-128",
		"aes-sha2 +aes-sha1":                              "aes256-cts-hmac-sha384-192 aes128-cts-hmac-sha256-128 aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96",
		"des3-cbc-sha1 rc4-hmac":                          "des3-cbc-sha1-kd arcfour-hmac-md5",
		"DEFAULT -aes -des3 -rc4 -camellia":               "",
		"aes aes aes":                                     "aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96 aes256-cts-hmac-sha384-192 aes128-cts-hmac-sha256-128",
		"nonsense -also-nonsense":                         "",
		"":                                                "",
	}
	for in, want := range tests {
		if got := strings.Join(parseEnctypeList(in), " "); got != want {
			t.Errorf("parseEnctypeList(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLoadKrb5Conf(t *testing.T) {
	stubSRV(t, nil)
	dir := writeConf(t, map[string]string{
		"one.conf":     "[libdefaults]\n default_realm = ONE.TEST\n",
		"two.conf":     "[libdefaults]\n default_realm = TWO.TEST\n[realms]\n TWO.TEST = {\n  kdc = 127.0.0.1\n }\n",
		"confdir/part": "[libdefaults]\n default_ccache_name = DIR:/tmp/x\n",
	})
	missing := filepath.Join(dir, "missing.conf")
	t.Setenv("KRB5_CONFIG", missing+":"+filepath.Join(dir, "one.conf")+"::"+filepath.Join(dir, "two.conf")+":"+filepath.Join(dir, "confdir"))
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "one.conf"), filepath.Join(dir, "two.conf"), filepath.Join(dir, "confdir/part")}
	if !reflect.DeepEqual(c.Files, want) {
		t.Errorf("Files = %q, want %q", c.Files, want)
	}
	if c.DefaultRealm != "ONE.TEST" || c.DefaultCCacheName != "DIR:/tmp/x" {
		t.Errorf("DefaultRealm %q, DefaultCCacheName %q", c.DefaultRealm, c.DefaultCCacheName)
	}
	wantKDCs(t, c, "TWO.TEST", "127.0.0.1:88")

	// No file at all is an empty configuration, not an error; a set but
	// empty KRB5_CONFIG names no file (MIT then skips /etc/krb5.conf too).
	for _, v := range []string{missing, ""} {
		t.Setenv("KRB5_CONFIG", v)
		c, err = Load()
		if err != nil {
			t.Fatalf("KRB5_CONFIG=%q: %v", v, err)
		}
		if len(c.Files) != 0 || c.DefaultRealm != "" || c.Config == nil {
			t.Errorf("KRB5_CONFIG=%q: want an empty configuration, got %+v", v, c)
		}
	}
	stubSRV(t, func(string, string, string) ([]*net.SRV, error) { return nil, errors.New("no such host") })
	_, err = c.KDCs("ANY.TEST")
	if err == nil || !strings.Contains(err.Error(), "no configuration file found") {
		t.Errorf("KDCs without any file: %v", err)
	}
}

// An include naming a FIFO nobody writes must not hang krenew (only
// SIGKILL would stop it): it reads as empty.
func TestIncludeOfFIFODoesNotHang(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "krb5.conf")
	if err := os.WriteFile(conf, []byte("include "+fifo+"\n[libdefaults]\n default_realm = X.TEST\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		c, err := Parse([]string{conf})
		if err == nil && c.DefaultRealm != "X.TEST" {
			err = fmt.Errorf("default realm %q", c.DefaultRealm)
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("reading a krb5.conf that includes a FIFO hangs")
	}
}
