package prompt

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// spyReader records the largest read it was asked for, to prove ReadLine
// never asks for more than it may consume.
type spyReader struct {
	r       io.Reader
	maxAsk  int
	nreads  int
	readErr error // returned once r is exhausted instead of io.EOF
}

func (s *spyReader) Read(p []byte) (int, error) {
	s.nreads++
	s.maxAsk = max(s.maxAsk, len(p))
	n, err := s.r.Read(p)
	if errors.Is(err, io.EOF) && s.readErr != nil {
		err = s.readErr
	}
	return n, err
}

func TestReadLine(t *testing.T) {
	long := strings.Repeat("x", MaxLen)
	tests := []struct {
		name    string
		in      string
		want    []byte
		wantErr error
		rest    string
	}{
		{name: "newline", in: "pw\n", want: []byte("pw")},
		{name: "crlf", in: "pw\r\n", want: []byte("pw")},
		{name: "eof without newline", in: "pw", want: []byte("pw")},
		{name: "inner cr kept", in: "p\rw\n", want: []byte("p\rw")},
		{name: "spaces kept", in: " pw \n", want: []byte(" pw ")},
		{name: "second line untouched", in: "pw\nsecond\n", want: []byte("pw"), rest: "second\n"},
		{name: "crlf second line untouched", in: "pw\r\nsecond", want: []byte("pw"), rest: "second"},
		{name: "empty", in: "", wantErr: ErrEmpty},
		{name: "empty line", in: "\n", wantErr: ErrEmpty, rest: ""},
		{name: "empty crlf line", in: "\r\nsecond", wantErr: ErrEmpty, rest: "second"},
		{name: "longest", in: long + "\n", want: []byte(long)},
		{name: "longest crlf", in: long + "\r\n", want: []byte(long)},
		{name: "longest at eof", in: long, want: []byte(long)},
		{name: "one too long", in: long + "y\n", wantErr: ErrTooLong},
		{name: "one too long at eof", in: long + "y", wantErr: ErrTooLong},
		{name: "far too long", in: strings.Repeat("z", 3*MaxLen), wantErr: ErrTooLong},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := strings.NewReader(tc.in)
			spy := &spyReader{r: src}
			got, err := ReadLine(spy)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if !bytes.Equal(got, tc.want) {
				t.Fatalf("got %d bytes %q, want %q", len(got), got, tc.want)
			}
			if err != nil && got != nil {
				t.Error("a failed read must not return bytes")
			}
			if cap(got) != len(got) {
				t.Errorf("cap %d > len %d: an append would write into memory Zero(result) misses", cap(got), len(got))
			}
			if spy.maxAsk != 1 {
				t.Errorf("asked for reads of %d bytes, want byte-at-a-time", spy.maxAsk)
			}
			if tc.wantErr == nil || tc.rest != "" {
				if rest, _ := io.ReadAll(src); string(rest) != tc.rest {
					t.Errorf("left %q unread, want %q", rest, tc.rest)
				}
			}
		})
	}
}

func TestReadLineReaderError(t *testing.T) {
	boom := errors.New("boom")
	got, err := ReadLine(&spyReader{r: strings.NewReader("pw"), readErr: boom})
	if !errors.Is(err, boom) || got != nil {
		t.Fatalf("ReadLine = %q, %v; want nil, boom", got, err)
	}
}

func TestReadLineDataWithEOF(t *testing.T) {
	// DataErrReader returns the last byte together with io.EOF; that byte
	// still belongs to the password.
	got, err := ReadLine(iotest.DataErrReader(strings.NewReader("pw")))
	if err != nil || !bytes.Equal(got, []byte("pw")) {
		t.Fatalf("ReadLine = %q, %v; want pw", got, err)
	}
}

type stuckReader struct{ calls int }

func (s *stuckReader) Read([]byte) (int, error) { s.calls++; return 0, nil }

func TestReadLineNoProgress(t *testing.T) {
	s := &stuckReader{}
	got, err := ReadLine(s)
	if !errors.Is(err, io.ErrNoProgress) || got != nil {
		t.Fatalf("ReadLine = %q, %v; want io.ErrNoProgress", got, err)
	}
	if s.calls > 1000 {
		t.Errorf("kept reading %d times", s.calls)
	}
}

func TestZero(t *testing.T) {
	b := []byte("s3cret")
	Zero(b)
	if !bytes.Equal(b, make([]byte, 6)) {
		t.Fatalf("Zero left %v", b)
	}
	Zero(nil) // must not panic
}

// TestReadLineLeavesNothing checks the buffer ReadLine works in: after
// Zero(result) on success, or right after a failure, no input byte remains.
func TestReadLineLeavesNothing(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		name string
		r    io.Reader
	}{
		{"crlf", strings.NewReader("ab\r\n")},
		{"newline", strings.NewReader("ab\nnext")},
		{"too long", strings.NewReader(strings.Repeat("q", MaxLen+5))},
		{"too long with cr", strings.NewReader(strings.Repeat("q", MaxLen) + "q\r\n")},
		{"reader error", &spyReader{r: strings.NewReader("ab"), readErr: boom}},
		{"only cr", strings.NewReader("\r\n")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			buf := make([]byte, MaxLen+1)
			pw, err := readLineInto(tc.r, buf)
			if err == nil {
				if len(pw) == 0 || &pw[0] != &buf[0] {
					t.Fatal("result is not the caller-visible buffer")
				}
				Zero(pw)
			}
			if !allZero(buf) {
				t.Errorf("input left in the buffer (err %v)", err)
			}
		})
	}
}
