package ccache

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// kcmMaxReply bounds one reply, so a hostile or confused daemon cannot make
// krenew allocate without limit (MIT's bound is 10 MiB; caches are KiB).
const kcmMaxReply = 64 << 20

// kcmMaxCreds bounds how many credentials one cache may have; a real
// cache has a handful, and each costs a round trip on Heimdal.
const kcmMaxCreds = 1 << 16

// errKCMMalformed marks replies that do not parse; it wraps ErrFormat.
var errKCMMalformed = fmt.Errorf("%w: malformed reply from the KCM daemon", ErrFormat)

func kcmMalformed(op kcmOp, format string, args ...any) error {
	return fmt.Errorf("%w to %s: %s", errKCMMalformed, op, fmt.Sprintf(format, args...))
}

// readKCMReply reads one reply from the unix socket: a 32-bit length, a
// 32-bit transport status, then length bytes that begin with the
// operation's 32-bit status. It returns what follows that status.
//
// The payload is read even after a non-zero transport status, so the
// stream stays in step for the next request; io errors are returned as
// they are for the caller to classify.
func readKCMReply(r io.Reader, op kcmOp) ([]byte, error) {
	var hdr [8]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:4])
	outer := int32(binary.BigEndian.Uint32(hdr[4:]))
	if n > kcmMaxReply {
		return nil, kcmMalformed(op, "reply of %d bytes is larger than the limit of %d", n, kcmMaxReply)
	}
	// ReadAll grows the buffer as bytes arrive, so a length that lies
	// costs no more memory than the bytes actually sent.
	payload, err := io.ReadAll(io.LimitReader(r, int64(n)))
	if err != nil {
		return nil, err
	}
	if uint32(len(payload)) != n {
		return nil, io.ErrUnexpectedEOF
	}
	if outer != 0 {
		return nil, &kcmStatusError{Op: op, Code: outer}
	}
	if len(payload) < 4 {
		return nil, kcmMalformed(op, "reply of %d bytes has no status", len(payload))
	}
	if code := int32(binary.BigEndian.Uint32(payload)); code != 0 {
		return nil, &kcmStatusError{Op: op, Code: code}
	}
	return payload[4:], nil
}

// decodeKCMName reads a NUL-terminated cache name. Like MIT it ignores
// bytes after the NUL; unlike MIT it refuses an empty name, which would
// otherwise stand for "the default cache" again.
func decodeKCMName(op kcmOp, b []byte) (string, error) {
	i := bytes.IndexByte(b, 0)
	if i < 0 {
		return "", kcmMalformed(op, "cache name is not NUL-terminated")
	}
	if i == 0 {
		return "", kcmMalformed(op, "cache name is empty")
	}
	if bytes.IndexByte(b[:i], '\n') >= 0 {
		return "", kcmMalformed(op, "cache name contains a newline")
	}
	return string(b[:i]), nil
}

// errKCMNoPrincipal: GET_PRINCIPAL succeeded without a principal, which is
// how older Heimdal daemons say the cache was never initialized.
var errKCMNoPrincipal = errors.New("the KCM cache has no principal")

func decodeKCMPrincipal(b []byte) (Principal, error) {
	if len(b) == 0 {
		return Principal{}, errKCMNoPrincipal
	}
	p, err := UnmarshalPrincipal(b)
	if err != nil {
		return Principal{}, kcmMalformed(kcmOpGetPrincipal, "%v", err)
	}
	return p, nil
}

// decodeKCMUUIDs splits a UUID list (of credentials or of caches), which
// runs to the end of the reply.
func decodeKCMUUIDs(op kcmOp, b []byte) ([][]byte, error) {
	if len(b)%kcmUUIDLen != 0 {
		return nil, kcmMalformed(op, "%d bytes is not a whole number of UUIDs", len(b))
	}
	if len(b)/kcmUUIDLen > kcmMaxCreds {
		return nil, kcmMalformed(op, "%d UUIDs is more than the limit of %d", len(b)/kcmUUIDLen, kcmMaxCreds)
	}
	ids := make([][]byte, 0, len(b)/kcmUUIDLen)
	for off := 0; off < len(b); off += kcmUUIDLen {
		ids = append(ids, b[off:off+kcmUUIDLen])
	}
	return ids, nil
}

func decodeKCMCred(b []byte) (Credential, error) {
	c, err := UnmarshalCredential(b)
	if err != nil {
		return Credential{}, kcmMalformed(kcmOpGetCredByUUID, "%v", err)
	}
	return c, nil
}

// decodeKCMCredList reads GET_CRED_LIST's count and length-prefixed
// credentials; every count and length is checked against what is left.
func decodeKCMCredList(b []byte) ([]Credential, error) {
	const op = kcmOpGetCredList
	if len(b) < 4 {
		return nil, kcmMalformed(op, "no credential count")
	}
	count := binary.BigEndian.Uint32(b)
	b = b[4:]
	// Each credential takes at least its 4-byte length.
	if count > uint32(len(b)/4) || count > kcmMaxCreds {
		return nil, kcmMalformed(op, "credential count %d does not fit in %d bytes", count, len(b))
	}
	creds := make([]Credential, 0, count)
	for i := range count {
		if len(b) < 4 {
			return nil, kcmMalformed(op, "credential %d has no length", i+1)
		}
		n := binary.BigEndian.Uint32(b)
		b = b[4:]
		if n > uint32(len(b)) {
			return nil, kcmMalformed(op, "credential %d claims %d bytes, %d left", i+1, n, len(b))
		}
		c, err := UnmarshalCredential(b[:n])
		if err != nil {
			return nil, kcmMalformed(op, "credential %d: %v", i+1, err)
		}
		creds = append(creds, c)
		b = b[n:]
	}
	if len(b) != 0 {
		return nil, kcmMalformed(op, "%d bytes after the last credential", len(b))
	}
	return creds, nil
}

func decodeKCMOffset(b []byte) (int32, error) {
	if len(b) != 4 {
		return 0, kcmMalformed(kcmOpGetKDCOffset, "offset of %d bytes instead of 4", len(b))
	}
	return int32(binary.BigEndian.Uint32(b)), nil
}
