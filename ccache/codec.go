package ccache

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Errors Parse wraps, so callers can tell "not a cache we can use" from I/O
// trouble with errors.Is.
var (
	ErrFormat             = errors.New("malformed credential cache")
	ErrUnsupportedVersion = errors.New("unsupported credential cache version")
	// ErrTooLarge: the cache is larger, or holds more credentials, than
	// krenew reads (maxCacheSize, maxCredentials). It also matches
	// ErrFormat: like a garbled cache, krenew neither uses nor replaces it.
	ErrTooLarge error = &pathSentinel{"credential cache is too large", ErrFormat}
)

// HeaderField is one tag/value field of a version 4 header.
type HeaderField struct {
	Tag   uint16
	Value []byte
}

// HeaderKDCOffset is the only header tag MIT defines: the KDC's clock minus
// the client's, as 32-bit seconds and microseconds.
const HeaderKDCOffset uint16 = 1

// Cache is the decoded content of a FILE credential cache.
type Cache struct {
	// Version is the format version read (3 or 4); Marshal always writes 4.
	Version int
	// Header holds the version 4 header fields, unknown tags included, so
	// rewriting a cache keeps them.
	Header           []HeaderField
	DefaultPrincipal Principal
	// Credentials are in file order, configuration entries included.
	Credentials []Credential
}

// maxCredentials bounds the credentials Parse reads, so that memory and
// time stay proportional to a real cache: a minimal credential is 67
// bytes in the file but hundreds in memory, and a cache of a million
// would cost a daemon most of a gigabyte. A real cache holds a TGT, a few
// service tickets and configuration entries; libkrb5 only ever adds to a
// FILE cache, but each kinit starts it afresh.
const maxCredentials = 8192

// minCredentialSize is the fewest bytes a version 4 credential takes:
// two empty principals, an empty key, the times, flags, and empty
// address, authdata and ticket lists.
const minCredentialSize = 67

// Parse decodes a version 3 or 4 FILE credential cache. Every length and
// count is checked against the input, so truncated or hostile input yields
// an error wrapping ErrFormat or ErrUnsupportedVersion, never a panic or
// memory out of proportion to the input (a few times its size at most);
// more than maxCredentials credentials or maxElements elements is
// ErrTooLarge.
func Parse(b []byte) (*Cache, error) {
	r := &reader{b: b}
	magic, err := r.u8("file format byte")
	if err != nil {
		return nil, err
	}
	version, err := r.u8("file format version")
	if err != nil {
		return nil, err
	}
	if magic != 5 || version < 1 || version > 4 {
		return nil, fmt.Errorf("%w: not a credential cache (starts with 0x%02x%02x)", ErrFormat, magic, version)
	}
	if version < 3 {
		// Versions 1 and 2 use host byte order and version 1 counts the
		// realm as a component; nothing has written them since 1995.
		return nil, fmt.Errorf("%w 0x05%02x", ErrUnsupportedVersion, version)
	}
	c := &Cache{Version: int(version)}
	if version == 4 {
		if c.Header, err = r.header(); err != nil {
			return nil, err
		}
	}
	if c.DefaultPrincipal, err = r.principal("default principal"); err != nil {
		return nil, err
	}
	// There is no count or end marker: credentials run to the end of the
	// file, and one cut short is an error, not the end of the list.
	// The slice is made once, as large as the bytes left could fill, up
	// to the limit: growing it by appends would cost several times that.
	if r.left() > 0 {
		c.Credentials = make([]Credential, 0, min(maxCredentials, r.left()/minCredentialSize+1))
	}
	for r.left() > 0 {
		if len(c.Credentials) == maxCredentials {
			return nil, fmt.Errorf("%w: more than the %d credentials krenew reads", ErrTooLarge, maxCredentials)
		}
		start := r.off
		c.Credentials = append(c.Credentials, Credential{})
		if err := r.credentialInto(c.Version, &c.Credentials[len(c.Credentials)-1]); err != nil {
			return nil, fmt.Errorf("credential %d (offset %d): %w", len(c.Credentials), start, err)
		}
	}
	return c, nil
}

// Marshal encodes the cache as a version 4 file, whatever version it was
// read as: every MIT release since 1.0 reads version 4, and it is the only
// one that can carry the KDC time offset.
func (c *Cache) Marshal() []byte {
	w := &writer{}
	w.u16(0x0504)
	hlen := 0
	for _, f := range c.Header {
		hlen += 4 + len(f.Value)
	}
	w.u16(uint16(hlen))
	for _, f := range c.Header {
		w.u16(f.Tag)
		w.u16(uint16(len(f.Value)))
		w.b = append(w.b, f.Value...)
	}
	w.principal(c.DefaultPrincipal)
	for i := range c.Credentials {
		w.credential(&c.Credentials[i])
	}
	return w.b
}

// KDCOffset returns the KDC time offset recorded in the header, if any.
func (c *Cache) KDCOffset() (time.Duration, bool) {
	for _, f := range c.Header {
		if f.Tag == HeaderKDCOffset && len(f.Value) == 8 {
			sec := int32(binary.BigEndian.Uint32(f.Value))
			usec := int32(binary.BigEndian.Uint32(f.Value[4:]))
			return time.Duration(sec)*time.Second + time.Duration(usec)*time.Microsecond, true
		}
	}
	return 0, false
}

// SetKDCOffset records the KDC time offset in the header, replacing any
// earlier one and keeping other fields.
func (c *Cache) SetKDCOffset(d time.Duration) {
	v := make([]byte, 8)
	sec := d / time.Second
	usec := (d % time.Second) / time.Microsecond
	binary.BigEndian.PutUint32(v, uint32(int32(sec)))
	binary.BigEndian.PutUint32(v[4:], uint32(int32(usec)))
	for i, f := range c.Header {
		if f.Tag == HeaderKDCOffset {
			c.Header[i].Value = v
			return
		}
	}
	c.Header = append(c.Header, HeaderField{Tag: HeaderKDCOffset, Value: v})
}
