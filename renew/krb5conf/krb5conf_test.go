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
	if c.DefaultRealm != "ATHENA.MIT.EDU" {
		t.Errorf("DefaultRealm = %q", c.DefaultRealm)
	}
	if c.DefaultCCacheName != "" {
		t.Errorf("DefaultCCacheName = %q, want unset", c.DefaultCCacheName)
	}
	if len(c.Warnings) != 0 {
		t.Errorf("Warnings = %q", c.Warnings)
	}
	wantKDCs(t, c, "ATHENA.MIT.EDU", "kerberos.mit.edu:88", "kerberos-1.mit.edu:88", "kerberos-2.mit.edu:88")
	wantKDCs(t, c, "stanford.edu", "krb5auth1.stanford.edu:88", "krb5auth2.stanford.edu:88", "krb5auth3.stanford.edu:88")

	for key, want := range map[string]bool{"forwardable": true, "proxiable": true, "rdns": false} {
		if v, set := c.LibdefaultBool("ATHENA.MIT.EDU", key); !set || v != want {
			t.Errorf("LibdefaultBool(%s) = %v, %v; want %v", key, v, set, want)
		}
	}
	if c.ClockSkew() != 5*time.Minute || c.UDPPreferenceLimit() != 1465 {
		t.Errorf("MIT defaults changed: clockskew %v, udp_preference_limit %d", c.ClockSkew(), c.UDPPreferenceLimit())
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
	if v, set := c.LibdefaultBool("IPA.EXAMPLE.TEST", "canonicalize"); !set || !v {
		t.Errorf("canonicalize from the included krb5_libdefaults = %v, %v", v, set)
	}
	if got := c.UDPPreferenceLimit(); got != 0 {
		t.Errorf("udp_preference_limit = %d, want FreeIPA's 0 (always TCP)", got)
	}
	// crypto-policies' list, from an includedir, less the camellia types
	// gokrb5 lacks.
	if want := []int32{18, 20, 17, 19}; !reflect.DeepEqual(c.PermittedEnctypes(), want) {
		t.Errorf("PermittedEnctypes = %v, want %v", c.PermittedEnctypes(), want)
	}
	// Unset default_tkt_enctypes means MIT's DEFAULT, SHA-2 types included.
	if want := []int32{18, 17, 20, 19, 16, 23}; !reflect.DeepEqual(c.DefaultTktEnctypes(), want) {
		t.Errorf("DefaultTktEnctypes = %v, want %v", c.DefaultTktEnctypes(), want)
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

	if c.DefaultRealm != "A.TEST" {
		t.Errorf("default_realm = %q; want the first value, A.TEST", c.DefaultRealm)
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
	if got, _ := c.Libdefault("OK.TEST", "default_keytab_name"); got != "FILE:/etc/with space\tand\\escapes" {
		t.Errorf("quoted value = %q", got)
	}
	if v, _ := c.LibdefaultBool("OTHER.TEST", "forwardable"); !v {
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

func TestLibdefaultsAccessors(t *testing.T) {
	stubSRV(t, nil)
	dir := writeConf(t, map[string]string{"krb5.conf": `[libdefaults]
 default_realm = S.TEST
 forwardable = maybe
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
`})
	c := mustParse(t, filepath.Join(dir, "krb5.conf"))
	if got := c.ClockSkew(); got != 10*time.Minute {
		t.Errorf("ClockSkew = %v", got)
	}
	if got := c.UDPPreferenceLimit(); got != 32700 {
		t.Errorf("UDPPreferenceLimit = %d, want MIT's cap, 32700", got)
	}
	if want := []int32{18, 20, 19, 16}; !reflect.DeepEqual(c.DefaultTktEnctypes(), want) {
		t.Errorf("DefaultTktEnctypes = %v, want %v", c.DefaultTktEnctypes(), want)
	}
	if want := []int32{18, 17, 20, 19, 16, 23}; !reflect.DeepEqual(c.DefaultTGSEnctypes(), want) {
		t.Errorf("DefaultTGSEnctypes = %v, want the default %v (camellia alone is useless to gokrb5)", c.DefaultTGSEnctypes(), want)
	}
	if want := []int32{18, 17, 20, 19}; !reflect.DeepEqual(c.PermittedEnctypes(), want) {
		t.Errorf("PermittedEnctypes = %v, want %v", c.PermittedEnctypes(), want)
	}
	if v, set := c.LibdefaultBool("S.TEST", "forwardable"); !set || v {
		t.Errorf("LibdefaultBool(forwardable = maybe) = %v, %v; MIT reads a set non-boolean as false", v, set)
	}
	if v, set := c.Libdefault("S.TEST", "renew_lifetime"); !set || v != "1-00:00:00" {
		t.Errorf("Libdefault(renew_lifetime) = %q, %v", v, set)
	}
	// Settings krenew reads per realm at the point of use, or not at all,
	// draw no warning just because gokrb5's parser would have refused them.
	want := `libdefaults default_tgs_enctypes = "camellia" names no enctype krenew supports; using the default`
	if !reflect.DeepEqual(c.Warnings, []string{want}) {
		t.Errorf("Warnings = %q, want only %q", c.Warnings, want)
	}

	// The slices are copies: a caller cannot change the configuration.
	c.DefaultTktEnctypes()[0] = 0
	if c.DefaultTktEnctypes()[0] != 18 {
		t.Error("DefaultTktEnctypes shares its slice with the Conf")
	}
}

// MIT's defaults for every accessor, whether the files leave the values
// out or there is no file at all.
func TestLibdefaultsUnset(t *testing.T) {
	stubSRV(t, nil)
	dir := writeConf(t, map[string]string{"krb5.conf": "[libdefaults]\n default_realm = U.TEST\n"})
	def := []int32{18, 17, 20, 19, 16, 23}
	for name, c := range map[string]*Conf{
		"unset":    mustParse(t, filepath.Join(dir, "krb5.conf")),
		"no files": mustParse(t),
		"built":    {},
	} {
		if c.ClockSkew() != 300*time.Second || c.UDPPreferenceLimit() != 1465 {
			t.Errorf("%s: clockskew %v, udp_preference_limit %d; want 5m0s, 1465", name, c.ClockSkew(), c.UDPPreferenceLimit())
		}
		for key, got := range map[string][]int32{
			"default_tkt_enctypes": c.DefaultTktEnctypes(),
			"default_tgs_enctypes": c.DefaultTGSEnctypes(),
			"permitted_enctypes":   c.PermittedEnctypes(),
		} {
			if !reflect.DeepEqual(got, def) {
				t.Errorf("%s: %s = %v, want MIT's DEFAULT %v", name, key, got, def)
			}
		}
		if len(c.Warnings) != 0 {
			t.Errorf("%s: Warnings = %q", name, c.Warnings)
		}
	}
}

func TestLibdefaultsFirstWins(t *testing.T) {
	stubSRV(t, nil)
	dir := writeConf(t, map[string]string{
		"a.conf": `[libdefaults]
 A.TEST = {
  clockskew = 1
  udp_preference_limit = 5
 }
 clockskew = 120
 clockskew = 600
 udp_preference_limit = 1
 udp_preference_limit = 2000
 default_tkt_enctypes = aes128-cts
 default_tkt_enctypes = aes256-cts
`,
		"b.conf": `[libdefaults]
 clockskew = 900
 udp_preference_limit = 3000
 default_tkt_enctypes = rc4
 permitted_enctypes = aes256-sha2
`,
	})
	c := mustParse(t, filepath.Join(dir, "a.conf"), filepath.Join(dir, "b.conf"))
	// MIT reads these from the top level only, never per realm.
	if got := c.ClockSkew(); got != 2*time.Minute {
		t.Errorf("ClockSkew = %v, want the first value, 2m0s", got)
	}
	if got := c.UDPPreferenceLimit(); got != 1 {
		t.Errorf("UDPPreferenceLimit = %d, want the first value, 1", got)
	}
	if want := []int32{17}; !reflect.DeepEqual(c.DefaultTktEnctypes(), want) {
		t.Errorf("DefaultTktEnctypes = %v, want the first value %v", c.DefaultTktEnctypes(), want)
	}
	if want := []int32{20}; !reflect.DeepEqual(c.PermittedEnctypes(), want) {
		t.Errorf("PermittedEnctypes = %v; a setting only the second file has must count", c.PermittedEnctypes())
	}
}

// Values in included files, and a final [libdefaults], reach the accessors
// with the same order and hiding as every other lookup.
func TestLibdefaultsFromIncludes(t *testing.T) {
	stubSRV(t, nil)
	dir := writeConf(t, map[string]string{
		"main.conf": `include $DIR/skew.conf
[libdefaults]
 clockskew = 60
includedir $DIR/conf.d
`,
		"skew.conf":        "[libdefaults]\n clockskew = 30\n",
		"conf.d/10-udp":    "[libdefaults]\n udp_preference_limit = 1\n default_tgs_enctypes = aes256-sha2\n",
		"conf.d/20-udp":    "[libdefaults]\n udp_preference_limit = 2\n",
		"final.conf":       "[libdefaults]*\n default_realm = F.TEST\n",
		"later.conf":       "[libdefaults]\n clockskew = 45\n default_tkt_enctypes = aes128-sha2\n",
		"dir/30-perm.conf": "[libdefaults]\n permitted_enctypes = des3-cbc-sha1\n",
	})
	c := mustParse(t, filepath.Join(dir, "main.conf"))
	if got := c.ClockSkew(); got != 30*time.Second {
		t.Errorf("ClockSkew = %v; the include before [libdefaults] comes first", got)
	}
	if got := c.UDPPreferenceLimit(); got != 1 {
		t.Errorf("UDPPreferenceLimit = %d; includedir files are read in name order", got)
	}
	if want := []int32{20}; !reflect.DeepEqual(c.DefaultTGSEnctypes(), want) {
		t.Errorf("DefaultTGSEnctypes = %v, want %v", c.DefaultTGSEnctypes(), want)
	}

	c = mustParse(t, filepath.Join(dir, "final.conf"), filepath.Join(dir, "later.conf"), filepath.Join(dir, "dir"))
	if c.ClockSkew() != 300*time.Second || len(c.DefaultTktEnctypes()) != 6 || len(c.PermittedEnctypes()) != 6 {
		t.Errorf("a final [libdefaults] should hide the later files: clockskew %v, tkt %v, permitted %v",
			c.ClockSkew(), c.DefaultTktEnctypes(), c.PermittedEnctypes())
	}
	c = mustParse(t, filepath.Join(dir, "later.conf"), filepath.Join(dir, "dir"))
	if want := []int32{16}; !reflect.DeepEqual(c.PermittedEnctypes(), want) {
		t.Errorf("PermittedEnctypes from a directory in the list = %v, want %v", c.PermittedEnctypes(), want)
	}
}

func TestClockSkewForms(t *testing.T) {
	tests := map[string]time.Duration{
		"300":       300 * time.Second,
		" 45 ":      45 * time.Second,
		"10m":       10 * time.Minute,
		"1h 30m":    90 * time.Minute,
		"1d":        24 * time.Hour,
		"1d2h":      26 * time.Hour,
		"0:05:30":   5*time.Minute + 30*time.Second,
		"1:30":      90 * time.Minute,
		"0":         300 * time.Second, // no tolerance at all is taken as unset
		"-5m":       300 * time.Second,
		"soon":      300 * time.Second,
		"5 # min":   300 * time.Second,
		"1-00:00":   300 * time.Second,
		"1:2:3:4":   300 * time.Second,
		"xd":        300 * time.Second,
		"1dforever": 300 * time.Second,
	}
	for in, want := range tests {
		dir := writeConf(t, map[string]string{"krb5.conf": "[libdefaults]\n clockskew = " + in + "\n"})
		c := mustParse(t, filepath.Join(dir, "krb5.conf"))
		if got := c.ClockSkew(); got != want {
			t.Errorf("clockskew = %q: ClockSkew = %v, want %v", in, got, want)
		}
	}
}

// A value krenew cannot use leaves MIT's default in place and says so once.
func TestLibdefaultsBadValuesWarn(t *testing.T) {
	tests := []struct {
		key, value, warning string
		check               func(*Conf) bool
	}{
		{"clockskew", "soon", `libdefaults clockskew = "soon": invalid time duration value; using the default`,
			func(c *Conf) bool { return c.ClockSkew() == 300*time.Second }},
		{"clockskew", "5 # minutes", `libdefaults clockskew = "5 # minutes": invalid time duration value; using the default`,
			func(c *Conf) bool { return c.ClockSkew() == 300*time.Second }},
		{"udp_preference_limit", "-1", `libdefaults udp_preference_limit = "-1": not a number of bytes; using the default`,
			func(c *Conf) bool { return c.UDPPreferenceLimit() == 1465 }},
		{"udp_preference_limit", "1k", `libdefaults udp_preference_limit = "1k": not a number of bytes; using the default`,
			func(c *Conf) bool { return c.UDPPreferenceLimit() == 1465 }},
		{"default_tkt_enctypes", "des camellia", `libdefaults default_tkt_enctypes = "des camellia" names no enctype krenew supports; using the default`,
			func(c *Conf) bool { return len(c.DefaultTktEnctypes()) == 6 }},
		{"default_tgs_enctypes", "nonsense", `libdefaults default_tgs_enctypes = "nonsense" names no enctype krenew supports; using the default`,
			func(c *Conf) bool { return len(c.DefaultTGSEnctypes()) == 6 }},
		{"permitted_enctypes", `""`, `libdefaults permitted_enctypes = "" names no enctype krenew supports; using the default`,
			func(c *Conf) bool { return len(c.PermittedEnctypes()) == 6 }},
	}
	for _, tt := range tests {
		dir := writeConf(t, map[string]string{"krb5.conf": "[libdefaults]\n " + tt.key + " = " + tt.value + "\n"})
		c := mustParse(t, filepath.Join(dir, "krb5.conf"))
		if !tt.check(c) {
			t.Errorf("%s = %q: not the default", tt.key, tt.value)
		}
		if !reflect.DeepEqual(c.Warnings, []string{tt.warning}) {
			t.Errorf("%s = %q: Warnings = %q, want %q", tt.key, tt.value, c.Warnings, tt.warning)
		}
	}
}

// MIT's names and aliases, which differ from gokrb5's etypeID names
// (des3-cbc-sha1 in particular), as DefaultTktEnctypes reports them.
func TestEnctypeNames(t *testing.T) {
	tests := map[string][]int32{
		"aes":                                    {18, 17, 20, 19},
		"aes-sha1":                               {18, 17},
		"aes-sha2":                               {20, 19},
		"des3":                                   {16},
		"des3-cbc-sha1":                          {16},
		"des3-hmac-sha1":                         {16},
		"DES3-CBC-SHA1-KD":                       {16},
		"rc4":                                    {23},
		"arcfour-hmac":                           {23},
		"rc4-hmac":                               {23},
		"arcfour-hmac-md5":                       {23},
		"aes256-cts aes128-sha1":                 {18, 17},
		"aes256-sha2,aes128-cts-hmac-sha256-128": {20, 19},
		"aes256-cts-hmac-sha384-192 aes128-sha2": {20, 19},
		"camellia aes128-cts camellia256-cts-cmac": {17},
		"arcfour-hmac-exp des-cbc-crc aes256-sha1": {18},
		"DEFAULT -aes -rc4":                        {16},
		"-aes128-cts DEFAULT":                      {18, 17, 20, 19, 16, 23},
	}
	for in, want := range tests {
		dir := writeConf(t, map[string]string{"krb5.conf": "[libdefaults]\n default_tkt_enctypes = " + in + "\n"})
		c := mustParse(t, filepath.Join(dir, "krb5.conf"))
		if got := c.DefaultTktEnctypes(); !reflect.DeepEqual(got, want) {
			t.Errorf("default_tkt_enctypes = %s: %v, want %v", in, got, want)
		}
	}
}

func TestParseEnctypeList(t *testing.T) {
	tests := map[string][]int32{
		"aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96": {18, 17},
		"AES256-CTS,aes128-sha2":                          {18, 19},
		"aes-sha2 +aes-sha1":                              {20, 19, 18, 17},
		"des3-cbc-sha1 rc4-hmac":                          {16, 23},
		"DEFAULT -aes -des3 -rc4 -camellia":               {},
		"aes aes aes":                                     {18, 17, 20, 19},
		"nonsense -also-nonsense":                         {},
		"":                                                {},
		// MIT's list still has the types gokrb5 lacks; the accessors drop them.
		"camellia des": {26, 25, 3, 2, 1},
	}
	for in, want := range tests {
		if got := parseEnctypeList(in); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("parseEnctypeList(%q) = %v, want %v", in, got, want)
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
		if len(c.Files) != 0 || c.DefaultRealm != "" || c.ClockSkew() != 5*time.Minute {
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
