// Package escape makes text from outside krenew safe to show: a KDC's
// e-text, a principal name read from a cache file or a KCM daemon, a line
// of a configuration file. Such text may hold terminal escape sequences
// (ESC [ ...), a carriage return that lets it overwrite the start of its
// line with a fake message, a BEL, a newline that forges a second log
// line, or thousands of characters. Text is escaped where it becomes part
// of a message (Field, which also cuts it short), and every message is
// escaped again where it is written (Line), so that nothing missed on the
// way reaches a terminal, a log or syslog raw.
//
// The escaped form is for people, not for parsing back: printable text,
// in any script, is kept as it is, backslashes included, so that a
// principal written as MIT writes it (a\/b@R) reads the same.
package escape

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// FieldMax is how many characters of one untrusted string a message
// shows: more than any real principal, realm or KDC error text needs.
const FieldMax = 200

// LineMax is how long a whole message may be: far more than any message
// krenew phrases, which only hostile text could make longer.
const LineMax = 1024

// Field escapes one untrusted string and cuts it to FieldMax characters.
func Field(s string) string { return String(s, FieldMax) }

// Line escapes one message, which must be a single line, and cuts it to
// LineMax characters. Applied to a message built of Fields it changes
// nothing, so a writer can apply it to everything.
func Line(s string) string { return String(s, LineMax) }

// String escapes s and, if the result would be longer than limit
// characters, cuts it and ends it with a marker saying how much was cut,
// the marker included in limit. What is kept:
//
//   - printable characters (Unicode letters, marks, numbers, punctuation,
//     symbols and the ASCII space), so names in any script read as they
//     are;
//   - \a \b \t \n \v \f \r for those controls, \xNN for the other ASCII
//     controls (ESC is \x1b, DEL \x7f) and for each byte that is not
//     UTF-8, \uNNNN for any other character that is not printable (the C1
//     controls, bidirectional overrides, zero-width characters).
//
// String is idempotent: escaped text has nothing left to escape, and a cut
// result fits in limit.
func String(s string, limit int) string {
	if plain(s) && len(s) <= limit {
		return s
	}
	var b strings.Builder
	room := limit - markerRoom(len(s))
	n := 0                  // characters written
	keepOut, keepIn := 0, 0 // where to cut: bytes of b, bytes of s
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		piece := escapeRune(r, size, s[i])
		n += utf8.RuneCountInString(piece)
		if n > limit {
			return b.String()[:keepOut] + "...[" + strconv.Itoa(len(s)-keepIn) + " bytes cut]"
		}
		b.WriteString(piece)
		i += size
		if n <= room {
			keepOut, keepIn = b.Len(), i
		}
	}
	return b.String()
}

// plain reports whether s is printable ASCII only: the common case, which
// String returns as it is without allocating.
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// markerRoom is the most characters the cut marker can take for an input
// of n bytes.
func markerRoom(n int) int { return len("...[ bytes cut]") + len(strconv.Itoa(n)) }

// escapeRune is r as shown; first is r's first byte, which is what is
// shown (as \xNN) when it does not start a valid UTF-8 sequence.
func escapeRune(r rune, size int, first byte) string {
	if r == utf8.RuneError && size <= 1 {
		return `\x` + hex2(first)
	}
	switch r {
	case '\a':
		return `\a`
	case '\b':
		return `\b`
	case '\t':
		return `\t`
	case '\n':
		return `\n`
	case '\v':
		return `\v`
	case '\f':
		return `\f`
	case '\r':
		return `\r`
	}
	if unicode.IsPrint(r) {
		return string(r)
	}
	if r < utf8.RuneSelf {
		return `\x` + hex2(byte(r))
	}
	if r <= 0xffff {
		return `\u` + hexN(uint32(r), 4)
	}
	return `\U` + hexN(uint32(r), 8)
}

func hex2(c byte) string { return hexN(uint32(c), 2) }

func hexN(v uint32, digits int) string {
	const hexdigits = "0123456789abcdef"
	b := make([]byte, digits)
	for i := digits - 1; i >= 0; i-- {
		b[i] = hexdigits[v&0xf]
		v >>= 4
	}
	return string(b)
}
