package ccache

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

var (
	alice  = Principal{NameType: NameTypePrincipal, Realm: "EXAMPLE.ORG", Components: []string{"alice"}}
	tgtSvc = Principal{NameType: NameTypeSrvInst, Realm: "EXAMPLE.ORG", Components: []string{"krbtgt", "EXAMPLE.ORG"}}
)

// sampleCache exercises every field with non-default values.
func sampleCache() *Cache {
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	return &Cache{
		Version: 4,
		Header: []HeaderField{
			{Tag: HeaderKDCOffset, Value: []byte{0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 7}},
			{Tag: 0x7777, Value: []byte("future")},
		},
		DefaultPrincipal: alice,
		Credentials: []Credential{
			NewConfig(alice, "pa_type", &tgtSvc, []byte("2")),
			{
				Client:       alice,
				Server:       tgtSvc,
				Key:          KeyBlock{EType: 18, Value: bytes.Repeat([]byte{0xaa}, 32)},
				AuthTime:     at,
				StartTime:    at.Add(time.Minute),
				EndTime:      at.Add(10 * time.Hour),
				RenewTill:    at.Add(7 * 24 * time.Hour),
				IsSKey:       true,
				Flags:        FlagForwardable | FlagRenewable | FlagInitial | FlagPreAuth,
				Addresses:    []Address{{Type: 2, Data: []byte{127, 0, 0, 1}}, {Type: 24, Data: make([]byte, 16)}},
				AuthData:     []AuthData{{Type: 0xffff, Data: []byte("neg")}},
				Ticket:       []byte("ticket-bytes"),
				SecondTicket: []byte("second"),
			},
		},
	}
}

func TestRoundTripEveryField(t *testing.T) {
	want := sampleCache()
	b := want.Marshal()
	got, err := Parse(b)
	if err != nil {
		t.Fatalf("Parse(Marshal()): %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip differs:\n got  %+v\n want %+v", got, want)
	}
	if again := got.Marshal(); !bytes.Equal(again, b) {
		t.Fatalf("second Marshal differs from first")
	}
}

func TestRoundTripEmptyCache(t *testing.T) {
	want := &Cache{Version: 4, DefaultPrincipal: alice}
	got, err := Parse(want.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

// post2038Bytes is a version 4 cache built field by field, independently of
// the writer, holding one ticket whose times lie past the signed 32-bit
// limit of January 2038.
func post2038Bytes() []byte {
	var b bytes.Buffer
	be := func(v any) { _ = binary.Write(&b, binary.BigEndian, v) }
	data := func(s string) { be(uint32(len(s))); b.WriteString(s) }
	princ := func(nt uint32, realm string, comps ...string) {
		be(nt)
		be(uint32(len(comps)))
		data(realm)
		for _, c := range comps {
			data(c)
		}
	}
	be(uint16(0x0504))
	be(uint16(0)) // empty header
	princ(1, "FUTURE.TEST", "bob")
	princ(1, "FUTURE.TEST", "bob")
	princ(2, "FUTURE.TEST", "krbtgt", "FUTURE.TEST")
	be(uint16(17))
	data("0123456789abcdef")
	be(uint32(0xEFFFFF00)) // authtime
	be(uint32(0))          // starttime unset
	be(uint32(0xF0000000)) // endtime: 2097
	be(uint32(0xFFFFFFFF)) // renew_till: 2106, the last representable second
	b.WriteByte(0)
	be(FlagRenewable | FlagInitial)
	be(uint32(0)) // addresses
	be(uint32(0)) // authdata
	data("tkt")
	data("")
	return b.Bytes()
}

func TestPost2038Times(t *testing.T) {
	in := post2038Bytes()
	c, err := Parse(in)
	if err != nil {
		t.Fatal(err)
	}
	cr := c.Credentials[0]
	if y := cr.EndTime.Year(); y <= 2038 {
		t.Errorf("endtime year %d, want > 2038 (read as signed?)", y)
	}
	if got, want := cr.EndTime.Unix(), int64(0xF0000000); got != want {
		t.Errorf("endtime %d, want %d", got, want)
	}
	if got, want := cr.RenewTill.Unix(), int64(0xFFFFFFFF); got != want {
		t.Errorf("renew_till %d, want %d", got, want)
	}
	if !cr.StartTime.IsZero() {
		t.Errorf("starttime 0 on disk should parse as zero time, got %v", cr.StartTime)
	}
	if out := c.Marshal(); !bytes.Equal(out, in) {
		t.Errorf("Marshal is not byte-exact:\n got  %x\n want %x", out, in)
	}
}

func TestMarshalClampsUnrepresentableTimes(t *testing.T) {
	c := &Cache{DefaultPrincipal: alice, Credentials: []Credential{{
		Client: alice, Server: tgtSvc,
		AuthTime: time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC),
		EndTime:  time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC),
	}}}
	got, err := Parse(c.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if cr := got.Credentials[0]; !cr.AuthTime.IsZero() || cr.EndTime.Unix() != 0xFFFFFFFF {
		t.Errorf("authtime %v endtime %v, want zero and 2106-02-07", cr.AuthTime, cr.EndTime)
	}
}

func TestParseRejects(t *testing.T) {
	valid := sampleCache().Marshal()
	hdr := func(b ...byte) []byte { return append([]byte{5, 4}, b...) }
	tests := []struct {
		name string
		in   []byte
		want error
		msg  string
	}{
		{"empty", nil, ErrFormat, "truncated file format byte"},
		{"one byte", []byte{5}, ErrFormat, "truncated"},
		{"not a ccache", []byte("hello world"), ErrFormat, "not a credential cache"},
		{"version 5", []byte{5, 5, 0, 0}, ErrFormat, "not a credential cache"},
		{"version 1", []byte{5, 1, 0, 0}, ErrUnsupportedVersion, "0x0501"},
		{"version 2", []byte{5, 2, 0, 0}, ErrUnsupportedVersion, "0x0502"},
		{"header longer than file", hdr(0, 20, 0, 1), ErrFormat, "truncated header"},
		{"header field past header", hdr(0, 6, 0, 9, 0, 5, 1, 2), ErrFormat, "truncated header field"},
		{"header field tag cut", hdr(0, 1, 0), ErrFormat, "truncated header field tag"},
		{"kdc offset wrong size", hdr(0, 6, 0, 1, 0, 2, 1, 2), ErrFormat, "kdc time offset"},
		{"no default principal", hdr(0, 0), ErrFormat, "default principal name type"},
		{"huge component count", hdr(0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff), ErrFormat, "component count 4294967295"},
		{"huge realm length", hdr(0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff), ErrFormat, "realm length 2147483647"},
		{"trailing garbage", append(append([]byte{}, valid...), 0, 0, 0), ErrFormat, "credential 3"},
		{"truncated ticket", valid[:len(valid)-10], ErrFormat, "credential 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", c)
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("error %q does not wrap %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not mention %q", err, tt.msg)
			}
		})
	}
}

// Every count and length is bounded by the bytes left, so hostile headers
// cost no more memory than the file itself.
func TestParseHostileCountsAllocateLittle(t *testing.T) {
	inputs := [][]byte{
		{5, 4, 0, 0, 0, 0, 0, 1, 0x3f, 0xff, 0xff, 0xff},
		{5, 3, 0, 0, 0, 1, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xf0, 1, 2, 3},
	}
	// A credential whose address count is absurd.
	c := &Cache{DefaultPrincipal: alice, Credentials: []Credential{{Client: alice, Server: tgtSvc}}}
	b := c.Marshal()
	addrOff := len(b) - 4*4 // addresses, authdata, ticket, second ticket counts
	binary.BigEndian.PutUint32(b[addrOff:], 0xffffffff)
	inputs = append(inputs, b)

	for i, in := range inputs {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := Parse(in)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrFormat) {
			t.Errorf("input %d: error %v, want ErrFormat", i, err)
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > 64<<10 {
			t.Errorf("input %d: Parse allocated %d bytes for a %d-byte input", i, n, len(in))
		}
	}
}

func TestPrincipalString(t *testing.T) {
	tests := []struct {
		p    Principal
		want string
	}{
		{alice, "alice@EXAMPLE.ORG"},
		{tgtSvc, "krbtgt/EXAMPLE.ORG@EXAMPLE.ORG"},
		{Principal{Realm: "R", Components: []string{"a/b", "c@d", `e\f`}}, `a\/b/c\@d/e\\f@R`},
		{Principal{Realm: "R@S", Components: []string{"t\tn\nb\bz\x00"}}, `t\tn\nb\bz\0@R\@S`},
		{Principal{Realm: "R"}, "@R"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.p, got, tt.want)
		}
	}
}

func TestPrincipalEqual(t *testing.T) {
	other := alice
	other.NameType = NameTypeUnknown
	if !alice.Equal(other) {
		t.Error("name type should not matter")
	}
	for _, p := range []Principal{
		{Realm: "EXAMPLE.COM", Components: []string{"alice"}},
		{Realm: "EXAMPLE.ORG", Components: []string{"alice", "admin"}},
		{Realm: "EXAMPLE.ORG", Components: []string{"bob"}},
		{Realm: "EXAMPLE.ORG"},
	} {
		if alice.Equal(p) {
			t.Errorf("alice equals %v", p)
		}
	}
}

func TestKDCOffset(t *testing.T) {
	c := &Cache{}
	if _, ok := c.KDCOffset(); ok {
		t.Fatal("empty header has an offset")
	}
	c.Header = []HeaderField{{Tag: 9, Value: []byte("x")}}
	want := -(3*time.Second + 250*time.Microsecond)
	c.SetKDCOffset(want)
	c.SetKDCOffset(want) // replaces, does not add
	got, err := Parse(c.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if d, ok := got.KDCOffset(); !ok || d != want {
		t.Errorf("offset %v %v, want %v", d, ok, want)
	}
	if len(got.Header) != 2 || got.Header[0].Tag != 9 {
		t.Errorf("header %+v, want the unknown field kept and one offset", got.Header)
	}
}
