package testkdc

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Kadmin runs one kadmin.local query against the database and returns its
// output. The test fails if kadmin reports an error.
func (k *KDC) Kadmin(t testing.TB, query string) string {
	t.Helper()
	out, err := k.kadmin(query)
	if err != nil {
		t.Fatalf("testkdc: %v", err)
	}
	return out
}

// AddPrincipal creates name with password; kadminOpts go to addprinc as
// they are, e.g. "-maxrenewlife", "0" or "-maxlife", "2 minutes".
func (k *KDC) AddPrincipal(t testing.TB, name, password string, kadminOpts ...string) {
	t.Helper()
	args := append([]string{"addprinc", "-pw", password}, kadminOpts...)
	k.Kadmin(t, kadminQuery(t, append(args, name)...))
}

// AddKeytab writes name's keys to a new keytab in Dir and returns its path.
// A missing principal is created with a random key; an existing one keeps
// its keys, so a password principal can still use its password as well.
func (k *KDC) AddKeytab(t testing.TB, name string) (keytabPath string) {
	t.Helper()
	if !k.hasPrincipal(t, name) {
		k.Kadmin(t, kadminQuery(t, "addprinc", "-randkey", name))
	}
	keytabPath = filepath.Join(k.Dir, keytabFileName(name))
	k.Kadmin(t, kadminQuery(t, "ktadd", "-k", keytabPath, "-norandkey", name))
	return keytabPath
}

func (k *KDC) hasPrincipal(t testing.TB, name string) bool {
	t.Helper()
	_, err := k.kadmin(kadminQuery(t, "getprinc", name))
	if err == nil {
		return true
	}
	if strings.Contains(err.Error(), "Principal does not exist") {
		return false
	}
	t.Fatalf("testkdc: %v", err)
	return false
}

func keytabFileName(name string) string {
	safe := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '.':
			return r
		}
		return '_'
	}, name)
	return safe + ".keytab"
}

// kadminQuery joins arguments into one kadmin command line. kadmin splits
// its -q argument itself and only understands double quotes.
func kadminQuery(t testing.TB, args ...string) string {
	t.Helper()
	for _, a := range args {
		if strings.ContainsAny(a, "\"\\\n") {
			t.Fatalf("testkdc: kadmin cannot take %q as an argument", a)
		}
	}
	return joinQuery(args)
}

func joinQuery(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = quoteArg(a)
	}
	return strings.Join(quoted, " ")
}

func quoteArg(a string) string {
	if a == "" || strings.ContainsAny(a, " \t") {
		return `"` + a + `"`
	}
	return a
}

// benignKadmin lists what kadmin.local prints to stderr on success.
var benignKadmin = []string{
	"No policy specified for",
	"WARNING: no policy specified for",
}

// kadmin runs kadmin.local -q. kadmin.local exits 0 even when the query
// fails, so any stderr line it does not print on success is an error.
func (k *KDC) kadmin(query string) (string, error) {
	path, err := lookTool("kadmin.local")
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "-r", k.Realm, "-q", query)
	cmd.Env = k.Env()
	cmd.Dir = k.Dir
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("kadmin.local -q %q: %v: %s", query, err, errOut.String())
	}
	for _, line := range strings.Split(errOut.String(), "\n") {
		if line = strings.TrimSpace(line); line != "" && !hasAnyPrefix(line, benignKadmin) {
			return out.String(), fmt.Errorf("kadmin.local -q %q: %s", query, strings.TrimSpace(errOut.String()))
		}
	}
	return dropAuthLine(out.String()), nil
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// dropAuthLine removes the banner kadmin.local prints before every query.
func dropAuthLine(s string) string {
	if first, rest, ok := strings.Cut(s, "\n"); ok && strings.HasPrefix(first, "Authenticating as principal") {
		return rest
	}
	return s
}
