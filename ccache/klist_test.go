package ccache

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// klist runs MIT klist on path; it skips the test where klist is absent,
// except in CI, where MIT Kerberos must be installed.
func klist(t *testing.T, args ...string) string {
	t.Helper()
	bin, err := exec.LookPath("klist")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("klist not installed in CI: %v", err)
		}
		t.Skip("MIT klist not installed")
	}
	cmd := exec.Command(bin, args...)
	// Pin the environment so output depends only on the cache.
	cmd.Env = append(os.Environ(), "TZ=UTC", "LC_ALL=C", "KRB5_CONFIG=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("klist %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func writeTemp(t *testing.T, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "cc")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// dropCacheLine removes the "Ticket cache: FILE:..." line, the only one
// that names the file.
func dropCacheLine(s string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(l, "Ticket cache:") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// MIT must read what Marshal writes exactly as it reads its own files:
// same principals, times, flags, enctypes and config entries.
func TestKlistReadsMarshalledMITCaches(t *testing.T) {
	for _, f := range []string{"mit-v3.ccache", "mit-v4.ccache", "mit-v4-renewed.ccache"} {
		t.Run(f, func(t *testing.T) {
			orig := filepath.Join("testdata", f)
			c, err := Parse(readFixture(t, f))
			if err != nil {
				t.Fatal(err)
			}
			mine := writeTemp(t, c.Marshal())
			want := dropCacheLine(klist(t, "-C", "-e", "-f", "-c", "FILE:"+orig))
			got := dropCacheLine(klist(t, "-C", "-e", "-f", "-c", "FILE:"+mine))
			if got != want {
				t.Errorf("klist output differs\n--- MIT file\n%s\n--- Marshal\n%s", want, got)
			}
			if !strings.Contains(got, "alice@FIXTURE.TEST") {
				t.Errorf("klist output lacks the principal:\n%s", got)
			}
		})
	}
}

func TestKlistReadsHandBuiltCache(t *testing.T) {
	c, err := Parse(post2038Bytes())
	if err != nil {
		t.Fatal(err)
	}
	c.SetConfig("fast_avail", nil, []byte("yes"))
	out := klist(t, "-C", "-f", "-c", "FILE:"+writeTemp(t, c.Marshal()))
	for _, want := range []string{
		"Default principal: bob@FUTURE.TEST",
		"krbtgt/FUTURE.TEST@FUTURE.TEST",
		"config: fast_avail = yes",
		// 0xF0000000 and 0xFFFFFFFF: MIT reads them unsigned too (TZ=UTC).
		"08/05/97 09:04:00  krbtgt/",
		"renew until 02/07/06 06:28:15",
		"Flags: RI",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("klist output lacks %q:\n%s", want, out)
		}
	}
}
