package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// make unit's last lines (testsummary.awk): the counts in the form CI
// reads, and every skip with the reason its test gave, streamed before
// the result line or printed after it (issue 18).
func TestUnitSummaryCountsAndExplainsSkips(t *testing.T) {
	log := `=== RUN   TestA
--- PASS: TestA (0.00s)
=== RUN   TestB
=== RUN   TestB/sub
    b_test.go:9: no sssd-kcm: install sssd-kcm
=== NAME  TestB/sub
--- SKIP: TestB/sub (0.00s)
--- PASS: TestB (0.01s)
--- FAIL: TestC (0.00s)
--- SKIP: TestD (0.00s)
    d_test.go:3: needs root to chown
--- SKIP: TestE (0.00s)
ok  	example	0.1s
`
	path := filepath.Join(t.TempDir(), "unit.log")
	if err := os.WriteFile(path, []byte(log), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("awk", "-v", "logfile=unit.log", "-f", "testsummary.awk", path).CombinedOutput()
	if err != nil {
		t.Fatalf("awk: %v\n%s", err, out)
	}
	want := "unit: 2 passed, 1 failed, 3 skipped\n" +
		"  skipped TestB/sub: no sssd-kcm: install sssd-kcm (unit.log)\n" +
		"  skipped TestD: needs root to chown (unit.log)\n" +
		"  skipped TestE: no reason given (unit.log)\n"
	if string(out) != want {
		t.Errorf("summary:\n%s\nwant:\n%s", out, want)
	}
	if !strings.Contains(string(mustRead(t, "Makefile")), "-f testsummary.awk unit.log") {
		t.Error("make unit does not end with testsummary.awk")
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
