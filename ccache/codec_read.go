package ccache

import (
	"encoding/binary"
	"fmt"
	"time"
)

// reader decodes big-endian fields and refuses to step past the end of its
// input. A cache file may be truncated by a crash or planted by another
// user in /tmp, so no length or count is trusted before it is checked
// against the bytes actually left.
type reader struct {
	b   []byte
	off int
	// elements counts the principal components, addresses and authdata
	// elements read so far, against maxElements.
	elements int
}

// maxElements bounds the small elements of a whole cache. Each costs tens
// of bytes in memory for four or six in the file, so without a bound a
// file of nothing else would cost five times its size. A real cache has a
// few per credential.
const maxElements = 1 << 17

func (r *reader) left() int { return len(r.b) - r.off }

func (r *reader) errf(what string, args ...any) error {
	return fmt.Errorf("%w: %s at offset %d", ErrFormat, fmt.Sprintf(what, args...), r.off)
}

func (r *reader) take(n int, what string) ([]byte, error) {
	if n < 0 || n > r.left() {
		return nil, r.errf("truncated %s", what)
	}
	p := r.b[r.off : r.off+n]
	r.off += n
	return p, nil
}

func (r *reader) u8(what string) (byte, error) {
	p, err := r.take(1, what)
	if err != nil {
		return 0, err
	}
	return p[0], nil
}

func (r *reader) u16(what string) (uint16, error) {
	p, err := r.take(2, what)
	if err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint16(p), nil
}

func (r *reader) u32(what string) (uint32, error) {
	p, err := r.take(4, what)
	if err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint32(p), nil
}

// length reads a 32-bit length and checks it against the bytes left. The
// field's name is what and part, joined only for an error: a cache of
// thousands of credentials should not build a label for every field.
func (r *reader) length(what, part string) (int, error) {
	if r.left() < 4 {
		return 0, r.errf("truncated %s%s length", what, part)
	}
	n := binary.BigEndian.Uint32(r.b[r.off:])
	r.off += 4
	if uint64(n) > uint64(r.left()) {
		return 0, r.errf("%s%s length %d exceeds the %d bytes left", what, part, n, r.left())
	}
	return int(n), nil
}

// data reads a 32-bit length and that many bytes, copied so the result does
// not pin or alias the file buffer.
func (r *reader) data(what string) ([]byte, error) {
	n, err := r.length(what, "")
	if err != nil || n == 0 {
		return nil, err
	}
	p := append([]byte(nil), r.b[r.off:r.off+n]...)
	r.off += n
	return p, nil
}

// str is data as a string, copied once.
func (r *reader) str(what, part string) (string, error) {
	n, err := r.length(what, part)
	if err != nil {
		return "", err
	}
	s := string(r.b[r.off : r.off+n])
	r.off += n
	return s, nil
}

// count reads a 32-bit element count and rejects counts that cannot fit in
// the remaining input, given that each element needs at least minSize
// bytes; this bounds every allocation by the file size. Counts add up
// against maxElements, which bounds the memory of the elements.
func (r *reader) count(what, part string, minSize int) (int, error) {
	if r.left() < 4 {
		return 0, r.errf("truncated %s%s count", what, part)
	}
	n := binary.BigEndian.Uint32(r.b[r.off:])
	r.off += 4
	if uint64(n)*uint64(minSize) > uint64(r.left()) {
		return 0, r.errf("%s%s count %d exceeds the %d bytes left", what, part, n, r.left())
	}
	if r.elements += int(n); r.elements > maxElements {
		return 0, fmt.Errorf("%w: more than the %d principal components, addresses and authorization data elements krenew reads", ErrTooLarge, maxElements)
	}
	return int(n), nil
}

// timestamp reads MIT's 32-bit time as unsigned, the way libkrb5 has
// interpreted it since 1.17, so tickets ending after January 2038 work.
func (r *reader) timestamp(what string) (time.Time, error) {
	v, err := r.u32(what)
	if err != nil || v == 0 {
		return time.Time{}, err
	}
	return time.Unix(int64(v), 0).UTC(), nil
}

func (r *reader) principal(what string) (Principal, error) {
	var p Principal
	if r.left() < 4 {
		return p, r.errf("truncated %s name type", what)
	}
	p.NameType = int32(binary.BigEndian.Uint32(r.b[r.off:]))
	r.off += 4
	// Each component is at least its 4-byte length; the realm follows too.
	n, err := r.count(what, " component", 4)
	if err != nil {
		return p, err
	}
	if p.Realm, err = r.str(what, " realm"); err != nil {
		return p, err
	}
	if n > 0 {
		p.Components = make([]string, n)
	}
	for i := range p.Components {
		if p.Components[i], err = r.str(what, " component"); err != nil {
			return p, err
		}
	}
	return p, nil
}

func (r *reader) keyblock(version int) (KeyBlock, error) {
	var k KeyBlock
	et, err := r.u16("key enctype")
	if err != nil {
		return k, err
	}
	// MIT reads the 16-bit enctype unsigned; do the same so a value
	// round-trips unchanged.
	k.EType = int32(et)
	if version == 3 {
		// Version 3 repeats the enctype (once a separate key type); MIT
		// ignores the second copy on read.
		if _, err := r.u16("key enctype"); err != nil {
			return k, err
		}
	}
	k.Value, err = r.data("key")
	return k, err
}

func (r *reader) credential(version int) (Credential, error) {
	var c Credential
	err := r.credentialInto(version, &c)
	return c, err
}

// credentialInto decodes into c, which Parse points into its slice, so
// that a cache of thousands of credentials is not copied one by one.
func (r *reader) credentialInto(version int, c *Credential) error {
	var err error
	if c.Client, err = r.principal("client"); err != nil {
		return err
	}
	if c.Server, err = r.principal("server"); err != nil {
		return err
	}
	if c.Key, err = r.keyblock(version); err != nil {
		return err
	}
	if c.AuthTime, err = r.timestamp("authtime"); err != nil {
		return err
	}
	if c.StartTime, err = r.timestamp("starttime"); err != nil {
		return err
	}
	if c.EndTime, err = r.timestamp("endtime"); err != nil {
		return err
	}
	if c.RenewTill, err = r.timestamp("renew_till"); err != nil {
		return err
	}
	skey, err := r.u8("is_skey")
	if err != nil {
		return err
	}
	// MIT keeps the byte as a krb5_boolean; any non-zero value is true.
	c.IsSKey = skey != 0
	if c.Flags, err = r.u32("ticket flags"); err != nil {
		return err
	}
	// An address or authdata element is a 2-byte type plus a 4-byte length.
	n, err := r.count("address", "", 6)
	if err != nil {
		return err
	}
	if n > 0 {
		c.Addresses = make([]Address, n)
	}
	for i := range c.Addresses {
		if c.Addresses[i].Type, err = r.u16("address type"); err != nil {
			return err
		}
		if c.Addresses[i].Data, err = r.data("address"); err != nil {
			return err
		}
	}
	if n, err = r.count("authdata", "", 6); err != nil {
		return err
	}
	if n > 0 {
		c.AuthData = make([]AuthData, n)
	}
	for i := range c.AuthData {
		if c.AuthData[i].Type, err = r.u16("authdata type"); err != nil {
			return err
		}
		if c.AuthData[i].Data, err = r.data("authdata"); err != nil {
			return err
		}
	}
	if c.Ticket, err = r.data("ticket"); err != nil {
		return err
	}
	c.SecondTicket, err = r.data("second ticket")
	return err
}

// header reads the version 4 header: a 16-bit total length, then
// tag/length/value fields. Unknown tags are kept so a rewrite does not drop
// what a newer libkrb5 put there.
func (r *reader) header() ([]HeaderField, error) {
	total, err := r.u16("header length")
	if err != nil {
		return nil, err
	}
	start := r.off
	if _, err := r.take(int(total), "header"); err != nil {
		return nil, err
	}
	// A sub-reader that ends where the header ends but keeps file offsets
	// in its error messages.
	hr := reader{b: r.b[:r.off], off: start}
	var fields []HeaderField
	for hr.left() > 0 {
		tag, err := hr.u16("header field tag")
		if err != nil {
			return nil, err
		}
		val, err := hr.data16("header field")
		if err != nil {
			return nil, err
		}
		if tag == HeaderKDCOffset && len(val) != 8 {
			return nil, hr.errf("kdc time offset header field is %d bytes, want 8", len(val))
		}
		fields = append(fields, HeaderField{Tag: tag, Value: val})
	}
	return fields, nil
}

// data16 is data with the 16-bit length header fields use.
func (r *reader) data16(what string) ([]byte, error) {
	n, err := r.u16(what + " length")
	if err != nil {
		return nil, err
	}
	p, err := r.take(int(n), what)
	if err != nil || len(p) == 0 {
		return nil, err
	}
	return append([]byte(nil), p...), nil
}
