package testkdc

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Ticket is what MIT klist says about the TGT in a cache: the oracle every
// package's tests compare krenew's caches against.
type Ticket struct {
	Principal                  string
	Start, Expires, RenewUntil time.Time // RenewUntil is zero when klist shows none
	Flags                      string    // klist -f letters, e.g. "FRIA"
}

// Lifetime is end minus start.
func (tk Ticket) Lifetime() time.Duration { return tk.Expires.Sub(tk.Start) }

// RenewableLifetime is renew-till minus start, 0 when there is none.
func (tk Ticket) RenewableLifetime() time.Duration {
	if tk.RenewUntil.IsZero() {
		return 0
	}
	return tk.RenewUntil.Sub(tk.Start)
}

// HasFlag reports whether klist -f shows the flag letter.
func (tk Ticket) HasFlag(flag string) bool { return strings.Contains(tk.Flags, flag) }

var (
	klistTimes = regexp.MustCompile(`(?m)^(\d\d/\d\d/\d\d \d\d:\d\d:\d\d)\s+(\d\d/\d\d/\d\d \d\d:\d\d:\d\d)\s+krbtgt/`)
	klistRenew = regexp.MustCompile(`renew until (\d\d/\d\d/\d\d \d\d:\d\d:\d\d)`)
	klistFlags = regexp.MustCompile(`Flags: (\S+)`)
	klistPrinc = regexp.MustCompile(`(?m)^Default principal: (\S+)`)
)

// Klist reads the TGT from cache with MIT klist -f in the C locale and UTC,
// whose date format the patterns expect. A cache klist cannot read, or one
// without a TGT, fails the test.
func Klist(t testing.TB, k *KDC, cache string) Ticket {
	t.Helper()
	cmd := k.Command(t, "klist", "-f", "-c", cache)
	cmd.Env = append(cmd.Env, "LC_ALL=C", "TZ=UTC")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("klist -c %s: %v\n%s%s", cache, err, out.String(), errOut.String())
	}
	text := out.String()
	var tk Ticket
	if m := klistPrinc.FindStringSubmatch(text); m != nil {
		tk.Principal = m[1]
	}
	m := klistTimes.FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("klist shows no krbtgt ticket:\n%s", text)
	}
	tk.Start, tk.Expires = parseKlistTime(t, m[1]), parseKlistTime(t, m[2])
	if m := klistRenew.FindStringSubmatch(text); m != nil {
		tk.RenewUntil = parseKlistTime(t, m[1])
	}
	if m := klistFlags.FindStringSubmatch(text); m != nil {
		tk.Flags = m[1]
	}
	return tk
}

func parseKlistTime(t testing.TB, s string) time.Time {
	t.Helper()
	tm, err := time.Parse("01/02/06 15:04:05", s)
	if err != nil {
		t.Fatalf("klist time %q: %v", s, err)
	}
	return tm
}
