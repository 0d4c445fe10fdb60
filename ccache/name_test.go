package ccache

import (
	"errors"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestParseNameFile(t *testing.T) {
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		raw, path, str string
	}{
		{"FILE:/tmp/krb5cc_1000", "/tmp/krb5cc_1000", "FILE:/tmp/krb5cc_1000"},
		{"/tmp/krb5cc_1000", "/tmp/krb5cc_1000", "FILE:/tmp/krb5cc_1000"},
		{"FILE:/tmp/a:b", "/tmp/a:b", "FILE:/tmp/a:b"},
		{"FILE:/tmp/../tmp/x", "/tmp/x", "FILE:/tmp/x"},
		{"cache", filepath.Join(cwd, "cache"), "FILE:" + filepath.Join(cwd, "cache")},
		{"FILE:rel/cache", filepath.Join(cwd, "rel/cache"), "FILE:" + filepath.Join(cwd, "rel/cache")},
		// As in MIT, a one-letter prefix is a drive letter, not a type.
		{"C:foo", filepath.Join(cwd, "C:foo"), "FILE:" + filepath.Join(cwd, "C:foo")},
		// Tokens are not expanded in explicit names, as in MIT.
		{"FILE:/tmp/krb5cc_%{uid}", "/tmp/krb5cc_%{uid}", "FILE:/tmp/krb5cc_%{uid}"},
	}
	for _, tt := range tests {
		n, err := ParseName(tt.raw)
		if err != nil {
			t.Errorf("ParseName(%q): %v", tt.raw, err)
			continue
		}
		if n.Type != "FILE" || n.Path != tt.path || n.Residual != tt.path || n.String() != tt.str {
			t.Errorf("ParseName(%q) = %+v (%s), want FILE %s (%s)", tt.raw, n, n, tt.path, tt.str)
		}
	}
}

func TestParseNameUnsupported(t *testing.T) {
	for _, typ := range []string{"MEMORY", "API", "MSLSA"} {
		raw := typ + ":persistent:1000"
		n, err := ParseName(raw)
		if !errors.Is(err, ErrUnsupportedType) {
			t.Errorf("ParseName(%q) error = %v, want ErrUnsupportedType", raw, err)
			continue
		}
		want := "credential cache type " + typ + " is not supported"
		if err.Error() != want {
			t.Errorf("ParseName(%q) error %q, want %q", raw, err, want)
		}
		if n.Type != typ || n.Residual != "persistent:1000" {
			t.Errorf("ParseName(%q) = %+v, want the type and residual kept for messages", raw, n)
		}
	}
}

func TestParseNameErrors(t *testing.T) {
	tests := []struct {
		raw, want string
	}{
		{"FILE:", "has no path"},
		{"DIR:", "has no directory"},
		{"file:/tmp/x", "cache types are upper case, as in FILE:/tmp/x"},
		{"keyring:x", "cache types are upper case"},
		{"/tmp/a:b", `unknown credential cache type "/tmp/a" in "/tmp/a:b" (for a file whose name has a colon, write FILE:/tmp/a:b)`},
		{"12:x", `unknown credential cache type "12"`},
		{":x", "empty type"},
		{"DIR::tkt", "has no parent directory"},
		{"DIR::/tmp/dir/cache", `does not begin with "tkt"`},
	}
	for _, tt := range tests {
		_, err := ParseName(tt.raw)
		if err == nil {
			t.Errorf("ParseName(%q) succeeded, want an error", tt.raw)
			continue
		}
		if errors.Is(err, ErrUnsupportedType) {
			t.Errorf("ParseName(%q) error %q wrongly matches ErrUnsupportedType", tt.raw, err)
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseName(%q) error %q does not contain %q", tt.raw, err, tt.want)
		}
	}
}

func TestParseNameDirCollection(t *testing.T) {
	dir := t.TempDir()

	// No primary file yet: MIT would create one naming "tkt".
	n, err := ParseName("DIR:" + dir)
	if err != nil {
		t.Fatal(err)
	}
	want := Name{Type: "DIR", Residual: dir, Path: filepath.Join(dir, "tkt")}
	if n != want {
		t.Errorf("ParseName(DIR:%s) = %+v, want %+v", dir, n, want)
	}
	if got := n.String(); got != "DIR::"+filepath.Join(dir, "tkt") {
		t.Errorf("String() = %q, want klist's DIR::%s/tkt", got, dir)
	}

	// The primary file picks the cache.
	if err := os.WriteFile(filepath.Join(dir, "primary"), []byte("tktAbC123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	n, err = ParseName("DIR:" + dir + "/")
	if err != nil {
		t.Fatal(err)
	}
	if n.Path != filepath.Join(dir, "tktAbC123") || n.Residual != dir {
		t.Errorf("with primary tktAbC123: %+v", n)
	}
	if got, want := n.String(), "DIR::"+filepath.Join(dir, "tktAbC123"); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}

	// A missing directory is not an error: MIT creates it on first use.
	missing := filepath.Join(dir, "new")
	n, err = ParseName("DIR:" + missing)
	if err != nil {
		t.Fatal(err)
	}
	if n.Path != filepath.Join(missing, "tkt") {
		t.Errorf("missing collection dir: %+v", n)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ParseName created %s; resolving a name must not write", missing)
	}
}

func TestParseNameDirBadPrimary(t *testing.T) {
	for _, tt := range []struct {
		content, want string
	}{
		{"", "is empty"},
		{"tkt", "does not hold one line"},
		{"cache\n", "invalid cache file name \"cache\""},
		{"tkt/../../etc/x\n", "invalid cache file name"},
		{`tkt\x` + "\n", "invalid cache file name"},
		{"tkt" + strings.Repeat("x", 70) + "\n", "does not hold one line"},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "primary"), []byte(tt.content), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := ParseName("DIR:" + dir)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("primary %q: error %v, want one containing %q", tt.content, err, tt.want)
		}
	}
}

func TestParseNameDirNotADirectory(t *testing.T) {
	file := filepath.Join(t.TempDir(), "plain")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, raw := range []string{"DIR:" + file, "DIR::" + file + "/tkt"} {
		_, err := ParseName(raw)
		if err == nil || !strings.Contains(err.Error(), "exists but is not a directory") {
			t.Errorf("ParseName(%q) error %v, want 'exists but is not a directory'", raw, err)
		}
	}
}

func TestParseNameDirSubsidiary(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tktXYZ")
	n, err := ParseName("DIR::" + path)
	if err != nil {
		t.Fatal(err)
	}
	want := Name{Type: "DIR", Residual: ":" + path, Path: path}
	if n != want {
		t.Errorf("ParseName(DIR::%s) = %+v, want %+v", path, n, want)
	}
	if n.String() != "DIR::"+path {
		t.Errorf("String() = %q", n.String())
	}
}

func TestExpandTokens(t *testing.T) {
	t.Setenv("TMPDIR", "/var/tmp/x")
	uid := strconv.Itoa(os.Getuid())
	euid := strconv.Itoa(os.Geteuid())
	u, err := user.LookupId(euid)
	if err != nil {
		t.Fatalf("test needs a user name for uid %s: %v", euid, err)
	}
	tests := []struct{ in, want string }{
		{"FILE:/tmp/krb5cc_%{uid}", "FILE:/tmp/krb5cc_" + uid},
		{"%{USERID}-%{euid}", uid + "-" + euid},
		{"DIR:%{TEMP}/cc_%{username}", "DIR:/var/tmp/x/cc_" + u.Username},
		{"a%{null}b", "ab"},
		{"100%", "100%"},
		{"%%{uid}", "%" + uid},
		{"%uid}", "%uid}"},
		{"no tokens", "no tokens"},
		{"", ""},
	}
	for _, tt := range tests {
		got, err := ExpandTokens(tt.in)
		if err != nil {
			t.Errorf("ExpandTokens(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ExpandTokens(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}

	t.Setenv("TMPDIR", "")
	if got, err := ExpandTokens("%{TEMP}"); err != nil || got != "/tmp" {
		t.Errorf("ExpandTokens(%%{TEMP}) without TMPDIR = %q, %v; want /tmp", got, err)
	}
}

func TestExpandTokensErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/tmp/%{bogus}", "unknown token %{bogus}"},
		{"/tmp/%{}", "unknown token %{}"},
		{"/tmp/%{UID}", "unknown token %{UID}"},
		{"/tmp/%{u}", "unknown token %{u}"},
		{"/tmp/%{uid", `token "%{uid" has no closing }`},
		{"%{LIBDIR}/x", "%{LIBDIR} is not supported in a cache name"},
		{"%{BINDIR}", "not supported"},
		{"%{SBINDIR}", "not supported"},
	}
	for _, tt := range tests {
		got, err := ExpandTokens(tt.in)
		if err == nil {
			t.Errorf("ExpandTokens(%q) = %q, want an error", tt.in, got)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ExpandTokens(%q) error %q does not contain %q", tt.in, err, tt.want)
		}
	}
}

func TestResolve(t *testing.T) {
	uid := strconv.Itoa(os.Getuid())
	tests := []struct {
		name                string
		flag, env, conf     string
		wantPath, wantError string
	}{
		{name: "flag wins", flag: "FILE:/tmp/flag", env: "/tmp/env", conf: "/tmp/conf", wantPath: "/tmp/flag"},
		{name: "then KRB5CCNAME", env: "/tmp/env", conf: "/tmp/conf", wantPath: "/tmp/env"},
		{name: "then krb5.conf, expanded", conf: "FILE:/tmp/conf_%{uid}", wantPath: "/tmp/conf_" + uid},
		{name: "then the built-in default", wantPath: "/tmp/krb5cc_" + uid},
		{name: "env is not expanded", env: "/tmp/env_%{uid}", wantPath: "/tmp/env_%{uid}"},
		{name: "flag is not expanded", flag: "/tmp/flag_%{uid}", wantPath: "/tmp/flag_%{uid}"},
		{name: "bad token in krb5.conf", conf: "FILE:/tmp/%{nope}",
			wantError: `cache name "FILE:/tmp/%{nope}" from default_ccache_name in krb5.conf: unknown token %{nope}`},
		{name: "bad env", env: "API:x", wantError: `cache name "API:x" from KRB5CCNAME: credential cache type API is not supported`},
		{name: "bad flag", flag: "MEMORY:x", env: "/tmp/env", wantError: `from --cache: credential cache type MEMORY`},
	}
	for _, tt := range tests {
		n, err := Resolve(tt.flag, tt.env, tt.conf)
		if tt.wantError != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantError) {
				t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.wantError)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if n.Type != "FILE" || n.Path != tt.wantPath {
			t.Errorf("%s: got %+v, want FILE %s", tt.name, n, tt.wantPath)
		}
	}

	// The error chain survives the context Resolve adds.
	if _, err := Resolve("", "", "MEMORY:%{uid}"); !errors.Is(err, ErrUnsupportedType) {
		t.Errorf("Resolve with a MEMORY default: %v does not match ErrUnsupportedType", err)
	}
	// FreeIPA's default resolves, with the uid expanded.
	n, err := Resolve("", "", "KEYRING:persistent:%{uid}")
	if err != nil || n.String() != "KEYRING:persistent:"+uid {
		t.Errorf("Resolve with FreeIPA's KEYRING default: %v, %v", n, err)
	}
}
