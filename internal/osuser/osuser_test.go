package osuser

import (
	"os"
	"path/filepath"
	"testing"
)

func TestNameOfRoot(t *testing.T) {
	if name, err := Name(0); err != nil || name != "root" {
		t.Errorf("Name(0) = %q, %v; want root", name, err)
	}
}

// A user that only NSS knows (LDAP, SSSD): a getent on PATH that answers
// for a uid missing from /etc/passwd stands in for the directory.
func TestNameAsksNSSForAUserMissingFromPasswd(t *testing.T) {
	const uid = 4242424
	dir := t.TempDir()
	script := "#!/bin/sh\n[ \"$1 $2\" = \"passwd 4242424\" ] && echo 'ldapalice:*:4242424:100:Alice:/home/ldapalice:/bin/bash' && exit 0\nexit 2\n"
	if err := os.WriteFile(filepath.Join(dir, "getent"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	if name, err := Name(uid); err != nil || name != "ldapalice" {
		t.Errorf("Name(%d) = %q, %v; want ldapalice from getent", uid, name, err)
	}
	if name, err := Name(uid + 1); err == nil {
		t.Errorf("Name(%d) = %q for a uid nobody knows; want an error", uid+1, name)
	}
}

func TestPasswdName(t *testing.T) {
	for _, c := range []struct {
		out, id, want string
		ok            bool
	}{
		{"bob:x:1001:1001::/home/bob:/bin/sh\n", "1001", "bob", true},
		{"bob:x:1001:1001::/home/bob:/bin/sh\ncarol:x:1001:1:::\n", "1001", "bob", true},
		{"bob:x:1002:1001::/home/bob:/bin/sh\n", "1001", "", false},
		{":x:1001:1001::/home/bob:/bin/sh\n", "1001", "", false},
		{"", "1001", "", false},
		{"bob:x:1001\n", "1001", "", false},
	} {
		if got, ok := passwdName(c.out, c.id); got != c.want || ok != c.ok {
			t.Errorf("passwdName(%q, %s) = %q, %v; want %q, %v", c.out, c.id, got, ok, c.want, c.ok)
		}
	}
}
