package escape

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestStringEscapes(t *testing.T) {
	cases := []struct{ in, want string }{
		{"alice@EXAMPLE.COM", "alice@EXAMPLE.COM"},
		{`host\/x@R`, `host\/x@R`},
		{"jürgen@BEISPIEL.DE", "jürgen@BEISPIEL.DE"},
		{"ユーザー@例", "ユーザー@例"},
		{"evil\x1b[2J\x1b]0;title\a", `evil\x1b[2J\x1b]0;title\a`},
		{"x\rkrenew: renewing a@R until never", `x\rkrenew: renewing a@R until never`},
		{"a\nb\tc\vd\fe\bf", `a\nb\tc\vd\fe\bf`},
		{"nul\x00del\x7f", `nul\x00del\x7f`},
		{"bad\xff\xfeutf8", `bad\xff\xfeutf8`},
		{"c1\u009b31m", `c1\u009b31m`},
		{"bidi\u202etxt.exe", `bidi\u202etxt.exe`},
		{"zw\u200bj", `zw\u200bj`},
		{"tag\U000E0041", `tag\U000e0041`},
	}
	for _, c := range cases {
		if got := String(c.in, 1000); got != c.want {
			t.Errorf("String(%q) = %q, want %q", c.in, got, c.want)
		}
		if again := String(c.want, 1000); again != c.want {
			t.Errorf("String is not idempotent on %q: %q", c.want, again)
		}
	}
}

func TestStringCuts(t *testing.T) {
	long := strings.Repeat("x", 15547)
	got := Field(long)
	if n := utf8.RuneCountInString(got); n > FieldMax {
		t.Errorf("Field of 15547 bytes is %d characters, more than %d", n, FieldMax)
	}
	if !strings.HasPrefix(got, "xxxxxxxx") || !strings.HasSuffix(got, " bytes cut]") {
		t.Errorf("Field of 15547 bytes: %q", got)
	}
	if Field(got) != got || Line(got) != got {
		t.Errorf("a cut field changes when escaped again")
	}
	// Escapes count as what they take on screen, and are not split.
	esc := strings.Repeat("\x1b", 300)
	got = Field(esc)
	if n := utf8.RuneCountInString(got); n > FieldMax {
		t.Errorf("Field of 300 ESC is %d characters", n)
	}
	body := got[:strings.Index(got, "...[")]
	if len(body)%4 != 0 || strings.Trim(body, `\x1b`) != "" {
		t.Errorf("Field of 300 ESC split an escape: %q", got)
	}
	// Multibyte text is cut between characters, never inside one.
	got = Field(strings.Repeat("é", 500))
	if !utf8.ValidString(got) || utf8.RuneCountInString(got) > FieldMax {
		t.Errorf("Field of 500 é: %q", got)
	}
	// Exactly at the limit nothing is cut.
	exact := strings.Repeat("y", FieldMax)
	if Field(exact) != exact {
		t.Errorf("a field of exactly %d characters was changed", FieldMax)
	}
	if got := Line(strings.Repeat("z", LineMax+1)); utf8.RuneCountInString(got) > LineMax || !strings.Contains(got, "[") {
		t.Errorf("Line over the limit: %d characters", utf8.RuneCountInString(got))
	}
}

// The common case, a message of printable ASCII, costs nothing.
func TestStringPlainDoesNotAllocate(t *testing.T) {
	msg := "renewing alice@EXAMPLE.COM in FILE:/tmp/krb5cc_1000 until 2026-12-08 01:00:00 UTC (pid 42)"
	if n := testing.AllocsPerRun(100, func() { _ = Line(msg) }); n != 0 {
		t.Errorf("Line of a plain message allocates %v times", n)
	}
}

func FuzzString(f *testing.F) {
	f.Add("a\x1b[31mb\r\n\xff", 20)
	f.Fuzz(func(t *testing.T, s string, limit int) {
		if limit < 40 || limit > 4096 {
			return
		}
		got := String(s, limit)
		if n := utf8.RuneCountInString(got); n > limit {
			t.Fatalf("String(%q, %d) is %d characters", s, limit, n)
		}
		if !utf8.ValidString(got) {
			t.Fatalf("String(%q) is not UTF-8: %q", s, got)
		}
		for _, r := range got {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
				t.Fatalf("String(%q) kept control %U: %q", s, r, got)
			}
		}
		if String(got, limit) != got {
			t.Fatalf("String is not idempotent on %q", got)
		}
	})
}
