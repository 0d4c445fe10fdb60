package e2e

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// README's Install steps are what a new user copies into a bare Debian
// (issue 18): the test route installs every package CI installs, both
// routes update apt's lists first and keep krb5-config from asking for a
// realm, Go is put on PATH, and there is a clone step.
func TestReadmeInstallMatchesCI(t *testing.T) {
	ci, err := os.ReadFile(".ci/run")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)packages=\(([^)]*)\)`).FindSubmatch(ci)
	if m == nil {
		t.Fatal(".ci/run has no packages=(...) list")
	}
	ciPackages := strings.Fields(string(m[1]))
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	install := string(readme)
	start := strings.Index(install, "## Install\n")
	end := strings.Index(install[start+1:], "\n## ")
	if start < 0 || end < 0 {
		t.Fatal("README has no Install section")
	}
	install = install[start : start+1+end]
	var testRoute []string
	for _, block := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(install, -1) {
		text := strings.ReplaceAll(block[1], "\\\n", " ")
		for _, line := range strings.Split(text, "\n") {
			if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "apt-get install -y --no-install-recommends "); ok && strings.Contains(text, "make test") {
				testRoute = strings.Fields(rest)
			}
		}
	}
	if testRoute == nil {
		t.Fatal("README's Install section has no apt-get install line next to 'make test'")
	}
	for _, p := range ciPackages {
		if !slices.Contains(testRoute, p) {
			t.Errorf("README's test route does not install %s, which .ci/run installs", p)
		}
	}
	for _, want := range []string{"apt-get update", "DEBIAN_FRONTEND=noninteractive", "/usr/local/go/bin", "git clone", "make demo"} {
		if !strings.Contains(install, want) {
			t.Errorf("README's Install section lacks %q", want)
		}
	}
	if strings.Index(install, "apt-get update") > strings.Index(install, "apt-get install") {
		t.Error("README's Install section installs before apt-get update")
	}
}
