package renew

import (
	"encoding/binary"
	"fmt"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/types"
)

// passwordEtypes are the enctypes whose string-to-key krenew computes on
// the password's []byte directly. gokrb5's own string-to-key functions take
// a Go string, which cannot be wiped, so they are never called with the
// password. Weak enctypes (DES, 3DES, RC4) are left out deliberately.
var passwordEtypes = []int32{
	etypeID.AES256_CTS_HMAC_SHA384_192,
	etypeID.AES128_CTS_HMAC_SHA256_128,
	etypeID.AES256_CTS_HMAC_SHA1_96,
	etypeID.AES128_CTS_HMAC_SHA1_96,
}

var sha2EtypeNames = map[int32]string{
	etypeID.AES256_CTS_HMAC_SHA384_192: "aes256-cts-hmac-sha384-192",
	etypeID.AES128_CTS_HMAC_SHA256_128: "aes128-cts-hmac-sha256-128",
}

// maxIterations mirrors MIT's refusal of absurd PBKDF2 counts, so that a
// hostile KDC reply cannot make krenew spin for hours.
const maxIterations = 1 << 24

func passwordEtypeSupported(id int32) bool {
	for _, e := range passwordEtypes {
		if e == id {
			return true
		}
	}
	return false
}

// stringToKey derives the long-term key from the password bytes for the
// enctype, salt and s2kparams the KDC announced (RFC 3962, RFC 8009).
func stringToKey(password []byte, etype int32, salt []byte, s2kparams []byte) (types.EncryptionKey, error) {
	if !passwordEtypeSupported(etype) {
		return types.EncryptionKey{}, fmt.Errorf("the KDC offers encryption type %d, which krenew does not support for passwords", etype)
	}
	e, err := crypto.GetEtype(etype)
	if err != nil {
		return types.EncryptionKey{}, err
	}
	sha2 := etype == etypeID.AES256_CTS_HMAC_SHA384_192 || etype == etypeID.AES128_CTS_HMAC_SHA256_128
	iter := int64(4096)
	if sha2 {
		iter = 32768
	}
	if len(s2kparams) != 0 {
		if len(s2kparams) != 4 {
			return types.EncryptionKey{}, fmt.Errorf("the KDC sent malformed string-to-key parameters")
		}
		iter = int64(binary.BigEndian.Uint32(s2kparams))
		if iter == 0 || iter > maxIterations {
			return types.EncryptionKey{}, fmt.Errorf("the KDC asked for %d string-to-key iterations, more than krenew allows", iter)
		}
	}
	keyLen := e.GetKeyByteSize()
	pbSalt := salt
	if sha2 {
		// RFC 8009 section 4: the salt is prefixed with the enctype name.
		pbSalt = append(append([]byte(sha2EtypeNames[etype]), 0), salt...)
		if etype == etypeID.AES256_CTS_HMAC_SHA384_192 {
			keyLen = 32 // gokrb5 reports the checksum-sized 24; the key is 256 bits
		}
	}
	// PBKDF2 runs on the caller's slice (no string copy of the password
	// exists at any point) and, like the derivation after it, keeps every
	// intermediate value in buffers that are wiped here.
	tkey := make([]byte, keyLen)
	defer clear(tkey)
	pbkdf2Key(password, pbSalt, int(iter), tkey, e.GetHashFunc())
	key, err := deriveKey(e, tkey, []byte("kerberos"))
	if err != nil {
		return types.EncryptionKey{}, err
	}
	return types.EncryptionKey{KeyType: etype, KeyValue: key}, nil
}
