package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// make install puts files where a distribution would, and make uninstall
// removes exactly those.
func TestMakeInstallUninstall(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatal("make is needed")
	}
	stage := t.TempDir()
	mk := func(target string) {
		t.Helper()
		out, err := exec.Command("make", target, "DESTDIR="+stage, "PREFIX=/usr").CombinedOutput()
		if err != nil {
			t.Fatalf("make %s: %v\n%s", target, err, out)
		}
	}
	mk("install")
	want := []string{
		"usr/bin/krenew",
		"usr/share/bash-completion/completions/krenew",
		"usr/share/fish/vendor_completions.d/krenew.fish",
		"usr/share/man/man1/krenew.1",
		"usr/share/zsh/vendor-completions/_krenew",
	}
	units, _ := filepath.Glob("contrib/systemd/*.service")
	if len(units) == 0 {
		t.Fatal("no systemd unit in contrib/systemd")
	}
	for _, u := range units {
		want = append(want, "usr/lib/systemd/user/"+filepath.Base(u))
	}
	slices.Sort(want)
	if got := files(t, stage); !slices.Equal(got, want) {
		t.Errorf("installed:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if fi, err := os.Stat(filepath.Join(stage, "usr/bin/krenew")); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("binary mode: %v %v", fi, err)
	}
	for _, u := range units {
		b, err := os.ReadFile(filepath.Join(stage, "usr/lib/systemd/user", filepath.Base(u)))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "@bindir@") || !strings.Contains(string(b), "/usr/bin/krenew") {
			t.Errorf("%s: ExecStart not pointed at /usr/bin/krenew:\n%s", u, b)
		}
	}
	mk("uninstall")
	if got := files(t, stage); len(got) != 0 {
		t.Errorf("make uninstall left: %v", got)
	}
}
