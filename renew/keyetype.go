package renew

import (
	"crypto/aes"
	"crypto/rand"
	"crypto/subtle"
	"fmt"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/crypto/common"
	"github.com/jcmturner/gokrb5/v8/crypto/etype"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/types"
)

// The AS exchange uses the long-term key twice: to encrypt the
// pre-authentication timestamp and to decrypt the KDC's reply. gokrb5's
// message functions derive the usage keys from it and run AES-CTS and
// HMAC on them in objects they abandon unwiped: the long-term key stays
// in their AES key schedules, the usage keys (together as good as the
// password for getting tickets) in their schedules and HMAC pads. For the
// AES enctypes krenew therefore does the message crypto of RFC 3962 and
// RFC 8009 itself, with the key derivation of kdf.go, on ciphers and
// buffers it wipes.

// deriveKey is RFC 3961's DK for the AES enctypes, computed on buffers
// krenew wipes: RFC 3962's DR (random-to-key is the identity for AES) or
// RFC 8009's KDF-HMAC-SHA2, with gokrb5's key lengths.
func deriveKey(e etype.EType, key, label []byte) ([]byte, error) {
	switch id := e.GetETypeID(); id {
	case etypeID.AES128_CTS_HMAC_SHA1_96, etypeID.AES256_CTS_HMAC_SHA1_96:
		return deriveRandom3961(key, label, e.GetKeySeedBitLength()/8)
	case etypeID.AES128_CTS_HMAC_SHA256_128, etypeID.AES256_CTS_HMAC_SHA384_192:
		bits := e.GetKeySeedBitLength()
		// The long-term key and Ke of aes256-sha384 are 256 bits, Ki 192.
		if id == etypeID.AES256_CTS_HMAC_SHA384_192 && len(label) > 0 && (string(label) == "kerberos" || label[len(label)-1] == 0xAA) {
			bits = 256
		}
		return kdfHMACSHA2(e.GetHashFunc(), key, label, bits), nil
	default:
		return nil, fmt.Errorf("krenew derives no keys for encryption type %d", id)
	}
}

// usageKeys are Ke and Ki of one key usage (RFC 3961 section 5.3).
type usageKeys struct {
	e      etype.EType
	sha2   bool // RFC 8009: the MAC covers the ciphertext, not the plaintext
	ke, ki []byte
}

func newUsageKeys(id int32, key []byte, usage uint32) (*usageKeys, error) {
	e, err := crypto.GetEtype(id)
	if err != nil {
		return nil, err
	}
	want := e.GetKeyByteSize()
	if id == etypeID.AES256_CTS_HMAC_SHA384_192 {
		want = 32 // gokrb5 reports the checksum-sized 24
	}
	if len(key) != want {
		return nil, fmt.Errorf("key of %d bytes for encryption type %d, want %d", len(key), id, want)
	}
	u := &usageKeys{e: e, sha2: id == etypeID.AES128_CTS_HMAC_SHA256_128 || id == etypeID.AES256_CTS_HMAC_SHA384_192}
	if u.ke, err = deriveKey(e, key, common.GetUsageKe(usage)); err != nil {
		return nil, err
	}
	if u.ki, err = deriveKey(e, key, common.GetUsageKi(usage)); err != nil {
		u.wipe()
		return nil, err
	}
	return u, nil
}

func (u *usageKeys) wipe() {
	clear(u.ke)
	clear(u.ki)
}

// mac is the integrity check of RFC 3962 (over the confounded plaintext)
// or RFC 8009 (over a zero IV and the ciphertext), truncated.
func (u *usageKeys) mac(data []byte) []byte {
	m := newMacKey(u.e.GetHashFunc(), u.ki)
	defer m.wipe()
	var sum []byte
	if u.sha2 {
		sum = m.sum(make([]byte, 0, 64), make([]byte, aes.BlockSize), data)
	} else {
		sum = m.sum(make([]byte, 0, 64), data)
	}
	return sum[:u.e.GetHMACBitLength()/8]
}

// encrypt is the enctype's encryption of message: a random confounder,
// AES-CTS with Ke, and the MAC with Ki appended.
func (u *usageKeys) encrypt(message []byte) ([]byte, error) {
	plain := make([]byte, aes.BlockSize+len(message))
	defer clear(plain)
	if _, err := rand.Read(plain[:aes.BlockSize]); err != nil {
		return nil, fmt.Errorf("cannot make a confounder: %w", err)
	}
	copy(plain[aes.BlockSize:], message)
	ct, err := ctsEncrypt(u.ke, plain)
	if err != nil {
		return nil, err
	}
	if u.sha2 {
		return append(ct, u.mac(ct)...), nil
	}
	return append(ct, u.mac(plain)...), nil
}

// decrypt checks and decrypts what encrypt makes and returns the message
// without its confounder.
func (u *usageKeys) decrypt(ciphertext []byte) ([]byte, error) {
	macLen := u.e.GetHMACBitLength() / 8
	if len(ciphertext) < aes.BlockSize+macLen {
		return nil, fmt.Errorf("ciphertext of %d bytes is too short", len(ciphertext))
	}
	ct, tag := ciphertext[:len(ciphertext)-macLen], ciphertext[len(ciphertext)-macLen:]
	if u.sha2 && subtle.ConstantTimeCompare(u.mac(ct), tag) != 1 {
		return nil, fmt.Errorf("integrity verification failed")
	}
	plain, err := ctsDecrypt(u.ke, ct)
	if err != nil {
		return nil, err
	}
	if !u.sha2 && subtle.ConstantTimeCompare(u.mac(plain), tag) != 1 {
		clear(plain)
		return nil, fmt.Errorf("integrity verification failed")
	}
	return plain[aes.BlockSize:], nil
}

// ctsEncrypt is AES in CBC mode with ciphertext stealing (RFC 3962
// section 5: CBC-CS3, the last two blocks swapped) and a zero IV.
func ctsEncrypt(key, plain []byte) ([]byte, error) {
	if len(plain) == 0 {
		return nil, fmt.Errorf("nothing to encrypt")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	defer wipeBlock(block)
	const bs = aes.BlockSize
	buf := make([]byte, (len(plain)+bs-1)/bs*bs)
	copy(buf, plain)
	prev := make([]byte, bs)
	for i := 0; i < len(buf); i += bs {
		b := buf[i : i+bs]
		subtle.XORBytes(b, b, prev)
		block.Encrypt(b, b)
		prev = b
	}
	if len(buf) == bs {
		return buf, nil
	}
	n := len(buf)
	out := make([]byte, 0, n+64) // room for the MAC the caller appends
	out = append(out, buf[:n-2*bs]...)
	out = append(out, buf[n-bs:]...)
	out = append(out, buf[n-2*bs:n-bs]...)
	clear(buf)
	return out[:len(plain)], nil
}

// ctsDecrypt undoes ctsEncrypt.
func ctsDecrypt(key, ct []byte) ([]byte, error) {
	const bs = aes.BlockSize
	if len(ct) < bs {
		return nil, fmt.Errorf("ciphertext of %d bytes is shorter than a block", len(ct))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	defer wipeBlock(block)
	full := (len(ct) + bs - 1) / bs * bs
	// buf is the ciphertext in CBC order once the stolen bytes are back.
	buf := make([]byte, full)
	copy(buf, ct)
	if full > bs {
		m := len(ct) - (full - bs) // bytes of the last, possibly short, block
		last, pen := buf[full-2*bs:full-bs], make([]byte, bs)
		// The block before the short one is the last CBC block; its
		// decryption ends with the bytes stolen from the one before it.
		d := make([]byte, bs)
		block.Decrypt(d, last)
		copy(pen, ct[full-bs:])
		copy(pen[m:], d[m:])
		tail := make([]byte, m)
		subtle.XORBytes(tail, d[:m], pen[:m])
		copy(buf[full-2*bs:], pen)
		// buf's last block now holds the plaintext's tail, kept aside
		// while the rest is decrypted as plain CBC.
		cbcDecrypt(block, buf[:full-bs])
		plain := make([]byte, len(ct))
		copy(plain, buf[:full-bs])
		copy(plain[full-bs:], tail)
		clear(d)
		clear(tail)
		clear(buf)
		return plain, nil
	}
	cbcDecrypt(block, buf)
	return buf, nil
}

// cbcDecrypt decrypts b (whole blocks) in place, CBC with a zero IV.
func cbcDecrypt(block interface{ Decrypt(dst, src []byte) }, b []byte) {
	const bs = aes.BlockSize
	prev, cur := make([]byte, bs), make([]byte, bs)
	for i := 0; i < len(b); i += bs {
		copy(cur, b[i:i+bs])
		block.Decrypt(b[i:i+bs], b[i:i+bs])
		subtle.XORBytes(b[i:i+bs], b[i:i+bs], prev)
		prev, cur = cur, prev
	}
	clear(prev)
	clear(cur)
}

// encryptWiping is gokrb5's crypto.GetEncryptedData, done by krenew for
// the AES enctypes; a keytab's other keys go through gokrb5 as they are.
func encryptWiping(plain []byte, key types.EncryptionKey, usage uint32, kvno int) (types.EncryptedData, error) {
	if !passwordEtypeSupported(key.KeyType) {
		return crypto.GetEncryptedData(plain, key, usage, kvno)
	}
	u, err := newUsageKeys(key.KeyType, key.KeyValue, usage)
	if err != nil {
		return types.EncryptedData{}, err
	}
	defer u.wipe()
	b, err := u.encrypt(plain)
	if err != nil {
		return types.EncryptedData{}, err
	}
	return types.EncryptedData{EType: key.KeyType, Cipher: b, KVNO: kvno}, nil
}

// decryptWiping is gokrb5's crypto.DecryptEncPart, done by krenew for the
// AES enctypes.
func decryptWiping(ed types.EncryptedData, key types.EncryptionKey, usage uint32) ([]byte, error) {
	if !passwordEtypeSupported(key.KeyType) {
		return crypto.DecryptEncPart(ed, key, usage)
	}
	u, err := newUsageKeys(key.KeyType, key.KeyValue, usage)
	if err != nil {
		return nil, err
	}
	defer u.wipe()
	return u.decrypt(ed.Cipher)
}
