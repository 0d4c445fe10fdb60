package renew

import (
	"fmt"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/crypto/etype"
	"github.com/jcmturner/gokrb5/v8/crypto/rfc3961"
	"github.com/jcmturner/gokrb5/v8/crypto/rfc3962"
	"github.com/jcmturner/gokrb5/v8/crypto/rfc8009"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/types"
)

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

// wipingEtype is gokrb5's enctype with krenew's key derivation: gokrb5's
// own would leave the long-term key in the AES key schedules and HMAC
// states it abandons, four times per AS exchange. The usage keys it hands
// to gokrb5 are kept and cleared by wipe.
type wipingEtype struct {
	etype.EType
	derived [][]byte
}

func newWipingEtype(id int32) (*wipingEtype, error) {
	if !passwordEtypeSupported(id) {
		return nil, fmt.Errorf("krenew does not support encryption type %d here", id)
	}
	e, err := crypto.GetEtype(id)
	if err != nil {
		return nil, err
	}
	return &wipingEtype{EType: e}, nil
}

func (w *wipingEtype) sha2() bool {
	id := w.GetETypeID()
	return id == etypeID.AES128_CTS_HMAC_SHA256_128 || id == etypeID.AES256_CTS_HMAC_SHA384_192
}

func (w *wipingEtype) DeriveKey(key, usage []byte) ([]byte, error) {
	k, err := deriveKey(w.EType, key, usage)
	if err == nil {
		w.derived = append(w.derived, k)
	}
	return k, err
}

// DeriveRandom is only gokrb5's PRF step, which the AS exchange never
// needs; refusing it keeps the key out of gokrb5's derivation for good.
func (w *wipingEtype) DeriveRandom(_, _ []byte) ([]byte, error) {
	return nil, fmt.Errorf("krenew does not derive random data with a long-term key")
}

// The message functions are gokrb5's package functions, called with w so
// that every key derivation inside them is w's.

func (w *wipingEtype) EncryptMessage(key, message []byte, usage uint32) ([]byte, []byte, error) {
	if w.sha2() {
		return rfc8009.EncryptMessage(key, message, usage, w)
	}
	return rfc3962.EncryptMessage(key, message, usage, w)
}

func (w *wipingEtype) DecryptMessage(key, ciphertext []byte, usage uint32) ([]byte, error) {
	if len(ciphertext) < w.GetConfounderByteSize()+w.GetHMACBitLength()/8 {
		return nil, fmt.Errorf("ciphertext too short")
	}
	if w.sha2() {
		return rfc8009.DecryptMessage(key, ciphertext, usage, w)
	}
	return rfc3962.DecryptMessage(key, ciphertext, usage, w)
}

func (w *wipingEtype) VerifyIntegrity(key, ct, pt []byte, usage uint32) bool {
	if w.sha2() {
		return rfc8009.VerifyIntegrity(key, ct, usage, w)
	}
	return rfc3961.VerifyIntegrity(key, ct, pt, usage, w)
}

func (w *wipingEtype) wipe() {
	for _, k := range w.derived {
		clear(k)
	}
	w.derived = nil
}

// encryptWiping is gokrb5's crypto.GetEncryptedData with wipingEtype for
// the AES enctypes; a keytab's other keys go through gokrb5 as they are.
func encryptWiping(plain []byte, key types.EncryptionKey, usage uint32, kvno int) (types.EncryptedData, error) {
	w, err := newWipingEtype(key.KeyType)
	if err != nil {
		return crypto.GetEncryptedData(plain, key, usage, kvno)
	}
	defer w.wipe()
	_, b, err := w.EncryptMessage(key.KeyValue, plain, usage)
	if err != nil {
		return types.EncryptedData{}, err
	}
	return types.EncryptedData{EType: key.KeyType, Cipher: b, KVNO: kvno}, nil
}

// decryptWiping is gokrb5's crypto.DecryptEncPart with wipingEtype for
// the AES enctypes.
func decryptWiping(ed types.EncryptedData, key types.EncryptionKey, usage uint32) ([]byte, error) {
	w, err := newWipingEtype(key.KeyType)
	if err != nil {
		return crypto.DecryptEncPart(ed, key, usage)
	}
	defer w.wipe()
	return w.DecryptMessage(key.KeyValue, ed.Cipher, usage)
}
