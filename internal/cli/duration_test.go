package cli

import (
	"strings"
	"testing"
	"time"
)

func TestParseKrbDuration(t *testing.T) {
	const (
		s = time.Second
		m = time.Minute
		h = time.Hour
		d = 24 * time.Hour
	)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"7d", 7 * d},
		{"14d", 14 * d},
		{"1d12h", d + 12*h},
		{"90m", 90 * m},
		{"45s", 45 * s},
		{"1h30m", h + 30*m},
		{"1d2h3m4s", d + 2*h + 3*m + 4*s},
		{"1d3m", d + 3*m},
		{"1d4s", d + 4*s},
		{"2h5s", 2*h + 5*s},
		{"3600", h},
		{"0", 0},
		{"0s", 0},
		{"007d", 7 * d},
		// Blanks before numbers and after the last unit, as MIT allows.
		{" 7d", 7 * d},
		{"7d ", 7 * d},
		{"1d 2h", d + 2*h},
		{"1d\t2h 3m  4s", d + 2*h + 3*m + 4*s},
		{"  45", 45 * s},
		{"45 ", 45 * s},
		{"45s\t", 45 * s},
		{"1:30 ", h + 30*m},
		// Clock forms; MIT does not cap minutes or seconds at 59.
		{"1:30", h + 30*m},
		{"10:00:05", 10*h + 5*s},
		{"100:00", 100 * h},
		{"0:90", 90 * m},
		{"2-03:04:05", 2*d + 3*h + 4*m + 5*s},
		{"1-0:0:0", d},
		// The limit is MIT's 32-bit deltat.
		{"2147483647", 2147483647 * s},
		{"2147483647s", 2147483647 * s},
		{"24855d3h14m7s", 2147483647 * s},
		{"596523h14m7s", 2147483647 * s},
	}
	for _, tt := range tests {
		got, err := parseKrbDuration(tt.in)
		if err != nil {
			t.Errorf("parseKrbDuration(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("parseKrbDuration(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestParseKrbDurationRejects(t *testing.T) {
	tests := []struct {
		in      string
		wantMsg string // part of the error after the quoted input
	}{
		{"", "empty"},
		{"   ", "empty"},
		{"7x", `unexpected "x"`},
		{"7d junk", `unexpected "junk"`},
		{"7D", `unexpected "D"`},
		{"d", "expected a number"},
		{"h1", "expected a number"},
		{"-1d", "cannot have a sign"},
		{"+1d", "cannot have a sign"},
		{"1d-2h", "cannot have a sign"},
		{"1 d", `unexpected " d"`},
		{"1h30", "expected a unit"},
		{"1h1d", "out of order"},
		{"1m1h", "out of order"},
		{"1d1d", "out of order"},
		{"5s5s", "the end after seconds"},
		{"1.5h", `unexpected ".5h"`},
		{"1:", "expected a number at the end"},
		{"1:2:", "expected a number at the end"},
		{"1:2:3:4", `unexpected ":4"`},
		{"1:234", "at most two digits"},
		{"1-02:03", `":SS"`},
		{"1-02", `":"`},
		{"1-002:03:04", "at most two digits"},
		{"2147483648", "68 years"},
		{"99999999999999999999", "68 years"},
		{"24856d", "68 years"},
		{"24855d3h14m8s", "68 years"},
		{"596524h", "68 years"},
		{"7d\x00", `unexpected "\x00"`},
		{"７d", `unexpected`},
	}
	for _, tt := range tests {
		got, err := parseKrbDuration(tt.in)
		if err == nil {
			t.Errorf("parseKrbDuration(%q) = %v, want an error", tt.in, got)
			continue
		}
		msg := err.Error()
		prefix := `invalid duration "` // the CLI adds the flag name in front
		if !strings.HasPrefix(msg, prefix) {
			t.Errorf("parseKrbDuration(%q) error %q does not start with %q", tt.in, msg, prefix)
		}
		if !strings.Contains(msg, tt.wantMsg) {
			t.Errorf("parseKrbDuration(%q) error %q does not mention %q", tt.in, msg, tt.wantMsg)
		}
	}
}

func TestFormatKrbDuration(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"},
		{45 * time.Second, "45s"},
		{90 * time.Minute, "1h30m"},
		{7 * 24 * time.Hour, "7d"},
		{36 * time.Hour, "1d12h"},
		{24*time.Hour + time.Second, "1d1s"},
		{time.Hour + 1500*time.Millisecond, "1h1s"},
		{999 * time.Millisecond, "0s"},
		{-90 * time.Second, "-1m30s"},
		{2147483647 * time.Second, "24855d3h14m7s"},
	}
	for _, tt := range tests {
		if got := formatKrbDuration(tt.in); got != tt.want {
			t.Errorf("formatKrbDuration(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Every whole-second duration krenew can print must read back unchanged,
// because the CLI shows durations the user may paste into -l or -r.
func TestFormatKrbDurationRoundTrip(t *testing.T) {
	for _, secs := range []int64{0, 1, 59, 60, 61, 3599, 3600, 3661, 86399, 86400, 90061, 604800, 1209600, 2147483647} {
		d := time.Duration(secs) * time.Second
		s := formatKrbDuration(d)
		back, err := parseKrbDuration(s)
		if err != nil {
			t.Errorf("formatKrbDuration(%v) = %q, which does not parse: %v", d, s, err)
			continue
		}
		if back != d {
			t.Errorf("formatKrbDuration(%v) = %q, which parses as %v", d, s, back)
		}
	}
}

func FuzzParseKrbDuration(f *testing.F) {
	for _, seed := range []string{
		"7d", "1d12h", "90m", "45s", "1h30m", "1d 2h", "3600", "1:30", "10:00:05",
		"2-03:04:05", "", "-1d", "7x", "2147483648", "24855d3h14m7s", "1d\t2h ",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseKrbDuration(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "invalid duration ") {
				t.Fatalf("parseKrbDuration(%q) error %q lacks the common prefix", s, err)
			}
			return
		}
		if d < 0 {
			t.Fatalf("parseKrbDuration(%q) = %v, negative", s, d)
		}
		if d > maxDeltat*time.Second {
			t.Fatalf("parseKrbDuration(%q) = %v, beyond MIT's 32-bit limit", s, d)
		}
		if d%time.Second != 0 {
			t.Fatalf("parseKrbDuration(%q) = %v, not whole seconds", s, d)
		}
		canon := formatKrbDuration(d)
		back, err := parseKrbDuration(canon)
		if err != nil {
			t.Fatalf("formatKrbDuration(%v) = %q does not parse: %v", d, canon, err)
		}
		if back != d {
			t.Fatalf("%q -> %v -> %q -> %v: round trip changed the value", s, d, canon, back)
		}
	})
}
