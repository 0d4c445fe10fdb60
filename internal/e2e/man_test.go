package e2e

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	kcli "github.com/krenew/krenew/internal/cli"
)

// The man page is lint-clean and names every option the CLI has, so the
// two cannot drift apart.
func TestManPage(t *testing.T) {
	src, err := os.ReadFile("man/krenew.1")
	if err != nil {
		t.Fatal(err)
	}
	groff, err := exec.LookPath("groff")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("groff is needed to lint the man page (install groff-base)")
		}
		t.Skip("groff not installed; the man page lint is not run")
	}
	cmd := exec.Command(groff, "-man", "-Tutf8", "-ww", "-z", "man/krenew.1")
	if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("groff -ww reports: %v\n%s", err, out)
	}
	page := strings.ReplaceAll(string(src), `\-`, "-")
	for _, f := range kcli.App().Flags {
		if v, ok := f.(cli.VisibleFlag); ok && !v.IsVisible() {
			continue
		}
		for _, name := range f.Names() {
			dash := "--"
			if len(name) == 1 {
				dash = "-"
			}
			if !strings.Contains(page, dash+name) {
				t.Errorf("the man page does not mention %s%s", dash, name)
			}
		}
	}
}
