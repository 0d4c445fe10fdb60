package ccache

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestParseKeyringNames(t *testing.T) {
	for _, tc := range []struct {
		raw                         string
		anchor, collection, sub     string
		display                     string // cacheName of the resolved cache
		legacyCache, defaultPrimary bool
	}{
		{raw: "KEYRING:session:krb", anchor: "session", collection: "krb", display: "KEYRING:session:krb:krb", defaultPrimary: true},
		{raw: "KEYRING:session:krb:krb_ccache_AbCd1234", anchor: "session", collection: "krb", sub: "krb_ccache_AbCd1234",
			display: "KEYRING:session:krb:krb_ccache_AbCd1234"},
		{raw: "KEYRING:user:x", anchor: "user", collection: "x", display: "KEYRING:user:x:x", defaultPrimary: true},
		{raw: "KEYRING:persistent:1000", anchor: "persistent", collection: "1000", display: "KEYRING:persistent:1000:1000", defaultPrimary: true},
		{raw: "KEYRING:persistent:1000:krb_ccache_x", anchor: "persistent", collection: "1000", sub: "krb_ccache_x",
			display: "KEYRING:persistent:1000:krb_ccache_x"},
		{raw: "KEYRING:persistent:", anchor: "persistent", display: "KEYRING:persistent::tkt", defaultPrimary: true},
		{raw: "KEYRING:process:p", anchor: "process", collection: "p", display: "KEYRING:process:p:p", defaultPrimary: true},
		{raw: "KEYRING:thread:t:c", anchor: "thread", collection: "t", sub: "c", display: "KEYRING:thread:t:c"},
		// A name without a colon is MIT's legacy form, in the session
		// keyring; so is "persistent" alone, as MIT reads it.
		{raw: "KEYRING:mycache", anchor: "legacy", collection: "mycache", display: "KEYRING:legacy:mycache:mycache",
			legacyCache: true, defaultPrimary: true},
		{raw: "KEYRING:persistent", anchor: "legacy", collection: "persistent", display: "KEYRING:legacy:persistent:persistent",
			legacyCache: true, defaultPrimary: true},
		{raw: "KEYRING:legacy:a:b", anchor: "legacy", collection: "a", sub: "b", display: "KEYRING:legacy:a:b"},
		// The subsidiary is everything after the second colon.
		{raw: "KEYRING:session:a:b:c", anchor: "session", collection: "a", sub: "b:c", display: "KEYRING:session:a:b:c"},
		{raw: "KEYRING:session:", anchor: "session", display: "KEYRING:session::tkt", defaultPrimary: true},
	} {
		n, err := ParseName(tc.raw)
		if err != nil {
			t.Errorf("ParseName(%q): %v", tc.raw, err)
			continue
		}
		want := Name{Type: "KEYRING", Residual: strings.TrimPrefix(tc.raw, "KEYRING:")}
		if n != want {
			t.Errorf("ParseName(%q) = %+v, want %+v", tc.raw, n, want)
		}
		if n.String() != tc.raw || n.LockKey() != tc.raw {
			t.Errorf("%q: String %q, LockKey %q", tc.raw, n.String(), n.LockKey())
		}
		k, err := splitKeyringResidual(n.Residual)
		if err != nil {
			t.Fatal(err)
		}
		if k.anchor != tc.anchor || k.collection != tc.collection || k.subsidiary != tc.sub {
			t.Errorf("%q split into %+v", tc.raw, k)
		}
		sub := k.subsidiary
		if sub == "" {
			sub = k.defaultPrimary()
		}
		if got := k.cacheName(sub); got != tc.display {
			t.Errorf("%q resolves to %q, want %q", tc.raw, got, tc.display)
		}
		if got := k.isLegacyCache(sub); got != tc.legacyCache {
			t.Errorf("%q: isLegacyCache = %v", tc.raw, got)
		}
		if _, err := openKeyring(n); err != nil {
			t.Errorf("openKeyring(%q): %v", tc.raw, err)
		}
	}
}

func TestParseKeyringNamesRejected(t *testing.T) {
	for raw, want := range map[string]string{
		"KEYRING:bogus:x":                              `unknown keyring "bogus"`,
		"KEYRING:Session:x":                            `unknown keyring "Session"`,
		"KEYRING:persistent:abc":                       `numeric uid, not "abc"`,
		"KEYRING:persistent:-1":                        `numeric uid, not "-1"`,
		"KEYRING:persistent:+5":                        `numeric uid`,
		"KEYRING:persistent: 5":                        `numeric uid`,
		"KEYRING:persistent:4294967295":                "out of range",
		"KEYRING:persistent:99999999999":               "out of range",
		"KEYRING:session:x:":                           "ends in a colon",
		"KEYRING:session:a\x00b":                       "NUL",
		"KEYRING:session:" + strings.Repeat("x", 4091): "longer than",
	} {
		_, err := ParseName(raw)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseName(%.40q): %v, want an error containing %q", raw, err, want)
			continue
		}
		if errors.Is(err, ErrUnsupportedType) {
			t.Errorf("ParseName(%.40q): %v matches ErrUnsupportedType", raw, err)
		}
		if !strings.Contains(err.Error(), "KEYRING:") {
			t.Errorf("ParseName(%.40q): error %q does not name the cache", raw, err)
		}
	}
	// The longest collection name the kernel takes is still accepted.
	if _, err := ParseName("KEYRING:session:" + strings.Repeat("x", 4090)); err != nil {
		t.Errorf("longest collection name: %v", err)
	}
}

func TestResolveKeyringFromEnvironment(t *testing.T) {
	n, err := Resolve("", "KEYRING:persistent:1000", "")
	if err != nil || n.Type != "KEYRING" || n.Residual != "persistent:1000" || n.Path != "" {
		t.Fatalf("Resolve: %+v, %v", n, err)
	}
	// krb5.conf's default_ccache_name gets its tokens expanded.
	n, err = Resolve("", "", "KEYRING:persistent:%{null}")
	if err != nil || n.Residual != "persistent:" {
		t.Fatalf("Resolve with token: %+v, %v", n, err)
	}
}

func TestPrimaryKeyPayload(t *testing.T) {
	// What MIT's set_primary_name writes for "krb_ccache_AbCd1234".
	want := append([]byte{0, 0, 0, 1, 0, 0, 0, 19}, "krb_ccache_AbCd1234"...)
	if got := encodePrimary("krb_ccache_AbCd1234"); !bytes.Equal(got, want) {
		t.Fatalf("encodePrimary = %x, want %x", got, want)
	}
	for _, tc := range []struct {
		in   []byte
		want string
		err  string
	}{
		{in: want, want: "krb_ccache_AbCd1234"},
		{in: append(append([]byte{}, want...), "junk"...), want: "krb_ccache_AbCd1234"}, // MIT ignores the rest
		{in: []byte{0, 0, 0, 1, 0, 0, 0, 0}, want: ""},
		{in: []byte{0, 0, 0, 1, 0, 0, 0}, err: "7 bytes"},
		{in: []byte{0, 0, 0, 1, 0, 0, 0, 5, 'a'}, err: "name of 5 bytes in 1"},
		{in: []byte{0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff}, err: "name of 4294967295 bytes"},
		{in: append([]byte{0, 0, 0, 2, 0, 0, 0, 1}, 'x'), err: "unknown version 2"},
	} {
		got, err := decodePrimary(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, errPrimaryFormat) {
				t.Errorf("decodePrimary(%x) = %q, %v; want error %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("decodePrimary(%x) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}
