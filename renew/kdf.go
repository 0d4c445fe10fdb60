package renew

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding"
	"encoding/binary"
	"hash"
	"reflect"

	"github.com/jcmturner/gokrb5/v8/crypto/rfc3961"
)

// The functions here compute what is as good as the password (the PBKDF2
// output, the long-term key, the HMAC pads and the hash states after them)
// in buffers krenew owns, and wipe every one of them before returning:
// crypto/hmac, x/crypto/pbkdf2 and gokrb5's key derivation keep such
// values in heap objects nobody can reach to clear, which outlive the AS
// exchange in a process that keeps running for days.

// macKey is HMAC (RFC 2104) over one pair of hash objects, with the pads
// and the hash states after them kept in buffers that wipe clears.
type macKey struct {
	inner, outer hash.Hash
	ipad, opad   []byte
	// istate, ostate: the hashes' marshalled state after absorbing the
	// pads, so that each MAC costs no pad block; nil if the hash cannot
	// be marshalled, and the pads are absorbed again instead.
	istate, ostate []byte
	inSum          []byte // the inner hash, with room for the largest
}

func newMacKey(newHash func() hash.Hash, key []byte) *macKey {
	m := &macKey{inner: newHash(), outer: newHash(), inSum: make([]byte, 0, 64)}
	bs := m.inner.BlockSize()
	m.ipad, m.opad = make([]byte, bs), make([]byte, bs)
	if len(key) > bs {
		m.inner.Write(key)
		m.inner.Sum(m.ipad[:0])
		m.inner.Reset()
		copy(m.opad, m.ipad)
	} else {
		copy(m.ipad, key)
		copy(m.opad, key)
	}
	for i := range m.ipad {
		m.ipad[i] ^= 0x36
		m.opad[i] ^= 0x5c
	}
	m.istate = saveState(m.inner, m.ipad)
	m.ostate = saveState(m.outer, m.opad)
	return m
}

// saveState absorbs pad into h and returns h's state, marshalled into a
// buffer large enough that appending never moves it (a moved buffer would
// leave a copy behind).
func saveState(h hash.Hash, pad []byte) []byte {
	h.Write(pad)
	a, ok1 := h.(encoding.BinaryAppender)
	_, ok2 := h.(encoding.BinaryUnmarshaler)
	if !ok1 || !ok2 {
		return nil
	}
	buf := make([]byte, 0, 512)
	state, err := a.AppendBinary(buf)
	if err != nil || len(state) > cap(buf) {
		clear(state)
		return nil
	}
	return state
}

func restore(h hash.Hash, state, pad []byte) {
	if state != nil {
		if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(state); err == nil {
			return
		}
	}
	h.Reset()
	h.Write(pad)
}

// sum appends HMAC(key, msg...) to out, which should have the capacity
// for it, so that the result lands in the caller's buffer.
func (m *macKey) sum(out []byte, msg ...[]byte) []byte {
	restore(m.inner, m.istate, m.ipad)
	for _, b := range msg {
		m.inner.Write(b)
	}
	m.inSum = m.inner.Sum(m.inSum[:0])
	restore(m.outer, m.ostate, m.opad)
	m.outer.Write(m.inSum)
	return m.outer.Sum(out)
}

func (m *macKey) wipe() {
	clear(m.ipad)
	clear(m.opad)
	clear(m.istate)
	clear(m.ostate)
	clear(m.inSum[:cap(m.inSum)])
	wipeHash(m.inner)
	wipeHash(m.outer)
}

// wipeHash clears a hash object's whole state, including the partial
// block Reset leaves in place. The standard library's hashes are pointers
// to plain structs, which reflect can zero like any settable value.
func wipeHash(h hash.Hash) {
	h.Reset()
	wipePointee(h)
}

// wipeBlock clears a block cipher's key schedule, which for AES starts
// with the key itself.
func wipeBlock(b cipher.Block) { wipePointee(b) }

func wipePointee(x any) {
	v := reflect.ValueOf(x)
	if v.Kind() == reflect.Pointer && !v.IsNil() && v.Elem().CanSet() {
		v.Elem().SetZero()
	}
}

// pbkdf2Key fills out with PBKDF2 (RFC 8018 section 5.2) over HMAC with
// newHash.
func pbkdf2Key(password, salt []byte, iter int, out []byte, newHash func() hash.Hash) {
	m := newMacKey(newHash, password)
	defer m.wipe()
	size := m.inner.Size()
	u := make([]byte, 0, size)
	t := make([]byte, size)
	defer func() { clear(u[:size]); clear(t) }()
	var ctr [4]byte
	for block := uint32(1); len(out) > 0; block++ {
		binary.BigEndian.PutUint32(ctr[:], block)
		u = m.sum(u[:0], salt, ctr[:])
		copy(t, u)
		for n := 2; n <= iter; n++ {
			u = m.sum(u[:0], u)
			for i := range t {
				t[i] ^= u[i]
			}
		}
		out = out[copy(out, t):]
	}
}

// deriveRandom3961 is RFC 3961's DR for the AES enctypes of RFC 3962: the
// n-folded constant encrypted with the key, again and again, truncated to
// size bytes. A one-block CBC-CTS encryption with a zero IV is one AES
// block encryption, which is done here on a cipher krenew wipes.
func deriveRandom3961(key, constant []byte, size int) ([]byte, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	defer wipeBlock(block)
	out := make([]byte, 0, size+aes.BlockSize)
	var k [aes.BlockSize]byte
	copy(k[:], rfc3961.Nfold(constant, aes.BlockSize*8))
	for len(out) < size {
		block.Encrypt(k[:], k[:])
		out = append(out, k[:]...)
	}
	clear(k[:])
	clear(out[size:cap(out)])
	return out[:size], nil
}

// kdfHMACSHA2 is RFC 8009's KDF-HMAC-SHA2 with an empty context: the
// first bits/8 bytes of HMAC(key, 1 | label | 0 | bits).
func kdfHMACSHA2(newHash func() hash.Hash, key, label []byte, bits int) []byte {
	m := newMacKey(newHash, key)
	defer m.wipe()
	var one, k [4]byte
	binary.BigEndian.PutUint32(one[:], 1)
	binary.BigEndian.PutUint32(k[:], uint32(bits))
	out := m.sum(make([]byte, 0, 64), one[:], label, []byte{0}, k[:])
	clear(out[bits/8:])
	return out[:bits/8]
}
