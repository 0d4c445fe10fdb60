package prompt

import (
	"errors"
	"io"
)

// ReadLine reads one password line from r, for --password-stdin. It reads a
// byte at a time so input after the first newline stays unread (a script may
// feed more on the same stream), strips "\n" or "\r\n", accepts a final line
// without newline, and rejects empty and over-long input. The result shares
// no memory with anything ReadLine leaves behind; on error all buffered bytes
// are wiped.
func ReadLine(r io.Reader) ([]byte, error) {
	// One spare byte for a '\r' that turns out to precede the '\n'.
	return readLineInto(r, make([]byte, MaxLen+1))
}

// readLineInto is ReadLine with the buffer supplied, so tests can check that
// nothing is left in it. len(buf) must be MaxLen+1.
func readLineInto(r io.Reader, buf []byte) ([]byte, error) {
	var one [1]byte
	defer Zero(one[:])
	n := 0
	idle := 0
	for {
		k, err := r.Read(one[:])
		if k == 1 {
			idle = 0
			if one[0] == '\n' {
				break
			}
			if n == len(buf) {
				Zero(buf)
				return nil, ErrTooLong
			}
			buf[n] = one[0]
			n++
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			Zero(buf)
			return nil, err
		}
		if k == 0 {
			// io.Reader allows (0, nil); a reader that never progresses
			// must not spin forever.
			if idle++; idle > 100 {
				Zero(buf)
				return nil, io.ErrNoProgress
			}
		}
	}
	if n > 0 && buf[n-1] == '\r' {
		n--
		buf[n] = 0
	}
	if n == 0 {
		return nil, ErrEmpty
	}
	if n > MaxLen {
		Zero(buf)
		return nil, ErrTooLong
	}
	// Capped at n so an append by the caller reallocates instead of writing
	// into the tail, and Zero(result) wipes everything that was ever stored.
	return buf[:n:n], nil
}
