package cli

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// maxDeltat is the largest relative time MIT Kerberos can represent: its
// krb5_deltat is a signed 32-bit count of seconds.
const maxDeltat = 1<<31 - 1

// parseKrbDuration reads a duration the way kinit -l/-r does
// (krb5_string_to_deltat in MIT's x-deltat.y), so a value that works with
// kinit works here:
//
//	[Nd][Nh][Nm][Ns]  units in this order, each optional, e.g. 7d, 1d12h, 90m
//	N                 plain seconds
//	H:MM[:SS]         hours, minutes, seconds
//	D-HH:MM:SS        days, hours, minutes, seconds
//
// As in MIT, blanks may precede each number (but not sit between a number
// and its unit) and minutes and seconds need not be below 60; trailing
// blanks are ignored. Unlike MIT, signs and trailing junk are errors: MIT
// reads "1d-2h" as 22 hours and, because its scanner stops at an unknown
// character, "7x" as 7 seconds.
func parseKrbDuration(s string) (time.Duration, error) {
	secs, err := parseDeltat(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q: %w", s, err)
	}
	return time.Duration(secs) * time.Second, nil
}

// formatKrbDuration prints d in the unit form parseKrbDuration reads back
// ("7d", "1d12h", "45s"), dropping fractions of a second, which ticket times
// never have.
func formatKrbDuration(d time.Duration) string {
	if d < 0 {
		return "-" + formatKrbDuration(-d)
	}
	secs := int64(d / time.Second)
	if secs == 0 {
		return "0s"
	}
	var b strings.Builder
	for _, u := range []struct {
		size int64
		name byte
	}{{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}} {
		if n := secs / u.size; n > 0 {
			b.WriteString(strconv.FormatInt(n, 10))
			b.WriteByte(u.name)
			secs -= n * u.size
		}
	}
	return b.String()
}

// deltatScanner walks the input of parseDeltat. Blanks are significant to
// the grammar (allowed before numbers, not between a number and its unit),
// so the scanner never skips them on its own.
type deltatScanner struct {
	s   string
	pos int
}

func (p *deltatScanner) done() bool { return p.pos >= len(p.s) }

func (p *deltatScanner) peek() byte {
	if p.done() {
		return 0
	}
	return p.s[p.pos]
}

func (p *deltatScanner) skipBlanks() {
	for !p.done() && isDeltatBlank(p.s[p.pos]) {
		p.pos++
	}
}

func isDeltatBlank(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n'
}

// number reads an unsigned decimal number and how many digits it had;
// MIT's scanner gives up on numbers above its 32-bit limit, so do we.
func (p *deltatScanner) number() (n int64, digits int, err error) {
	start := p.pos
	for !p.done() && p.s[p.pos] >= '0' && p.s[p.pos] <= '9' {
		n = n*10 + int64(p.s[p.pos]-'0')
		if n > maxDeltat {
			return 0, 0, errTooLong
		}
		p.pos++
	}
	digits = p.pos - start
	if digits == 0 {
		return 0, 0, p.unexpected("a number")
	}
	return n, digits, nil
}

// shortNumber reads the fields after "-" and ":", which MIT limits to two
// digits (its NUM token, as opposed to LONGNUM).
func (p *deltatScanner) shortNumber() (int64, error) {
	n, digits, err := p.number()
	if err != nil {
		return 0, err
	}
	if digits > 2 {
		return 0, fmt.Errorf("%q after %q must have at most two digits", p.s[p.pos-digits:p.pos], p.s[p.pos-digits-1:p.pos-digits])
	}
	return n, nil
}

var errTooLong = errors.New("longer than 68 years, the most Kerberos can express")

func (p *deltatScanner) unexpected(want string) error {
	if p.done() {
		return fmt.Errorf("expected %s at the end", want)
	}
	if p.peek() == '-' || p.peek() == '+' {
		return errors.New("a duration cannot have a sign")
	}
	return fmt.Errorf("unexpected %q, expected %s", p.s[p.pos:], want)
}

func unitSeconds(u byte) int64 {
	switch u {
	case 'd':
		return 86400
	case 'h':
		return 3600
	case 'm':
		return 60
	case 's':
		return 1
	}
	return 0
}

func parseDeltat(s string) (int64, error) {
	if strings.TrimSpace(s) == "" {
		return 0, errors.New("empty")
	}
	// MIT takes trailing blanks after d, h and m but not after s or a bare
	// number; taking them everywhere is simpler to explain and harmless.
	p := &deltatScanner{s: strings.TrimRightFunc(s, func(r rune) bool { return r < 0x80 && isDeltatBlank(byte(r)) })}
	p.skipBlanks()
	first, _, err := p.number()
	if err != nil {
		return 0, err
	}
	switch c := p.peek(); {
	case p.done():
		return first, nil
	case c == ':':
		p.pos++
		return p.clock(0, first, false)
	case c == '-':
		p.pos++
		h, err := p.shortNumber()
		if err != nil {
			return 0, err
		}
		if p.peek() != ':' {
			return 0, p.unexpected(`":" in D-HH:MM:SS`)
		}
		p.pos++
		return p.clock(first, h, true)
	case unitSeconds(c) != 0:
		return p.units(first)
	default:
		return 0, p.unexpected("a unit (d, h, m, s) or \":\"")
	}
}

// clock reads "MM[:SS]" once days, hours and the colon have been read;
// after "D-HH:" the seconds are required, as in MIT's grammar.
func (p *deltatScanner) clock(days, hours int64, needSeconds bool) (int64, error) {
	minutes, err := p.shortNumber()
	if err != nil {
		return 0, err
	}
	var seconds int64
	switch {
	case p.peek() == ':':
		p.pos++
		if seconds, err = p.shortNumber(); err != nil {
			return 0, err
		}
	case needSeconds:
		return 0, p.unexpected(`":SS" in D-HH:MM:SS`)
	}
	if !p.done() {
		return 0, p.unexpected("the end")
	}
	return sumDeltat(days*86400, hours*3600, minutes*60, seconds)
}

// units reads "Nd Nh Nm Ns" once the first number has been read. Each unit
// may appear once, in that order; blanks may come before a number and after
// the last unit but not between a number and its unit.
func (p *deltatScanner) units(n int64) (int64, error) {
	var parts []int64
	last := int64(1 << 62) // larger than any unit, so "d" may come first
	for {
		u := p.peek()
		size := unitSeconds(u)
		if size == 0 {
			return 0, p.unexpected("a unit (d, h, m, s)")
		}
		if size >= last {
			return 0, fmt.Errorf("unit %q out of order: use days, hours, minutes, seconds in that order, each once", string(u))
		}
		last = size
		p.pos++
		parts = append(parts, n*size)
		if p.done() {
			return sumDeltat(parts...)
		}
		p.skipBlanks()
		if size == 1 {
			return 0, p.unexpected("the end after seconds")
		}
		var err error
		if n, _, err = p.number(); err != nil {
			return 0, err
		}
	}
}

func sumDeltat(parts ...int64) (int64, error) {
	var total int64
	for _, v := range parts {
		// Each part is at most maxDeltat times a day, far below int64's
		// limit, so the check after adding is enough.
		total += v
		if total > maxDeltat {
			return 0, errTooLong
		}
	}
	return total, nil
}
