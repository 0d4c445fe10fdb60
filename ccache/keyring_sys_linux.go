package ccache

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// Key types MIT uses. Credentials go into big_key keys where the kernel
// has them (payloads up to 1 MiB instead of 32 KiB), except in legacy
// collections, whose old readers only know user keys.
const (
	keyTypeUser    = "user"
	keyTypeBigKey  = "big_key"
	keyTypeKeyring = "keyring"
)

// keyMaxRead bounds a key payload or keyring listing: a big_key holds at
// most 1 MiB, and a cache keyring of a few thousand keys lists in kilobytes.
const keyMaxRead = 16 << 20

// keyGone reports errors for a key that disappeared, expired or was
// revoked, or that this process no longer possesses because another one
// unlinked it: for the cache it is not there.
func keyGone(err error) bool {
	return errors.Is(err, unix.ENOKEY) || errors.Is(err, unix.EKEYEXPIRED) ||
		errors.Is(err, unix.EKEYREVOKED) || errors.Is(err, unix.EACCES) ||
		errors.Is(err, unix.ENOENT)
}

// keySearch looks description up recursively under ring, as MIT's
// keyctl_search does; dest, if not 0, gets a link to what is found.
// found is false, without an error, when there is no usable key.
func keySearch(ring int, typ, description string, dest int) (id int, found bool, err error) {
	id, err = unix.KeyctlSearch(ring, typ, description, dest)
	if err == nil {
		return id, true, nil
	}
	if errors.Is(err, unix.ENOKEY) || errors.Is(err, unix.EKEYEXPIRED) || errors.Is(err, unix.EKEYREVOKED) {
		return 0, false, nil
	}
	return 0, false, err
}

// keyRead returns a key's payload or, for a keyring, its list of keys.
func keyRead(id int) ([]byte, error) {
	buf := make([]byte, 1024)
	for {
		n, err := unix.KeyctlBuffer(unix.KEYCTL_READ, id, buf, 0)
		if err != nil {
			return nil, err
		}
		if n <= len(buf) {
			return buf[:n], nil
		}
		if n > keyMaxRead {
			return nil, fmt.Errorf("key %d holds %d bytes, more than %d", id, n, keyMaxRead)
		}
		// The key grew between the calls, or the first buffer was
		// short: read again with the size the kernel reported.
		buf = make([]byte, n)
	}
}

// keyringList returns the serial numbers a keyring links to, in the
// kernel's order, which is the order MIT iterates in.
func keyringList(id int) ([]int, error) {
	b, err := keyRead(id)
	if err != nil {
		return nil, err
	}
	ids := make([]int, 0, len(b)/4)
	for i := 0; i+4 <= len(b); i += 4 {
		ids = append(ids, int(int32(binary.NativeEndian.Uint32(b[i:]))))
	}
	return ids, nil
}

// keyDescribe returns a key's type and description. The kernel's form is
// "type;uid;gid;perm;description", and the description may itself contain
// semicolons.
func keyDescribe(id int) (typ, description string, err error) {
	s, err := unix.KeyctlString(unix.KEYCTL_DESCRIBE, id)
	if err != nil {
		return "", "", err
	}
	f := strings.SplitN(s, ";", 5)
	if len(f) != 5 {
		return "", "", fmt.Errorf("key %d has an unexpected description %q", id, s)
	}
	return f[0], f[4], nil
}

func keyAdd(typ, description string, payload []byte, ring int) (int, error) {
	return unix.AddKey(typ, description, payload, ring)
}

func keyLink(id, ring int) error {
	_, err := unix.KeyctlInt(unix.KEYCTL_LINK, id, ring, 0, 0)
	return err
}

// keyUnlink removes a link; a link already gone is not an error.
func keyUnlink(id, ring int) error {
	_, err := unix.KeyctlInt(unix.KEYCTL_UNLINK, id, ring, 0, 0)
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOKEY) {
		return nil
	}
	return err
}

func keySetTimeout(id int, seconds uint32) error {
	_, err := unix.KeyctlInt(unix.KEYCTL_SET_TIMEOUT, id, int(seconds), 0, 0)
	return err
}

func keyClear(id int) error {
	_, err := unix.KeyctlInt(unix.KEYCTL_CLEAR, id, 0, 0, 0)
	return err
}

// errMoveUnsupported: the kernel predates KEYCTL_MOVE (Linux 5.1).
var errMoveUnsupported = errors.New("KEYCTL_MOVE is not supported")

// keyMoveExclusive moves id from one keyring to another unless the
// destination already holds a key of the same type and description
// (unix.EEXIST), in one step.
func keyMoveExclusive(id, from, to int) error {
	_, err := unix.KeyctlInt(unix.KEYCTL_MOVE, id, from, to, unix.KEYCTL_MOVE_EXCL)
	if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENOSYS) {
		return errMoveUnsupported
	}
	return err
}

// sessionWriteAnchor is MIT's session_write_anchor: a process without a
// session keyring of its own reads the user session keyring through
// KEY_SPEC_SESSION_KEYRING, but writing there may make it a new, private
// session keyring, so writes go to the user session keyring by name.
func sessionWriteAnchor() int {
	s, err := unix.KeyctlGetKeyringID(unix.KEY_SPEC_SESSION_KEYRING, false)
	if err != nil {
		s = -1
	}
	u, err := unix.KeyctlGetKeyringID(unix.KEY_SPEC_USER_SESSION_KEYRING, false)
	if err != nil {
		u = -1
	}
	if s == u {
		return unix.KEY_SPEC_USER_SESSION_KEYRING
	}
	return unix.KEY_SPEC_SESSION_KEYRING
}

// persistentKeyring is MIT's GET_PERSISTENT: the uid's persistent keyring,
// linked into the process keyring for possession, or the user keyring on
// kernels without persistent keyrings when uid is our own.
func persistentKeyring(uid int64) (int, error) {
	euid := int64(unix.Geteuid())
	if uid < 0 {
		uid = euid
	}
	id, err := unix.KeyctlInt(unix.KEYCTL_GET_PERSISTENT, int(uid), unix.KEY_SPEC_PROCESS_KEYRING, 0, 0)
	switch {
	case err == nil:
		return id, nil
	case errors.Is(err, unix.EOPNOTSUPP) && uid == euid:
		return unix.KEY_SPEC_USER_KEYRING, nil
	case errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES):
		return 0, fmt.Errorf("the persistent keyring of uid %d belongs to another user; using it needs root (CAP_SETUID): %w", uid, err)
	case errors.Is(err, unix.EOPNOTSUPP):
		return 0, fmt.Errorf("this kernel has no persistent keyrings, so only uid %d's own user keyring can stand in for one: %w", euid, err)
	}
	return 0, fmt.Errorf("cannot get the persistent keyring of uid %d: %w", uid, err)
}
