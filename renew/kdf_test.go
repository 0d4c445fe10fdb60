package renew

import (
	"bytes"
	"crypto/aes"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"hash"
	"reflect"
	"testing"

	"github.com/jcmturner/aescts/v2"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/crypto/common"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/types"
)

// RFC 6070's PBKDF2-HMAC-SHA1 vectors, and the standard library's PBKDF2
// for the SHA-2 hashes, passwords longer than a block and odd lengths.
func TestPBKDF2(t *testing.T) {
	for _, v := range []struct {
		password, salt string
		iter, size     int
		want           string
	}{
		{"password", "salt", 1, 20, "0c60c80f961f0e71f3a9b524af6012062fe037a6"},
		{"password", "salt", 2, 20, "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957"},
		{"password", "salt", 4096, 20, "4b007901b765489abead49d926f721d065a429c1"},
		{"passwordPASSWORDpassword", "saltSALTsaltSALTsaltSALTsaltSALTsalt", 4096, 25, "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038"},
		{"pass\x00word", "sa\x00lt", 4096, 16, "56fa6aa75548099dcc37d7f03425e0c3"},
	} {
		got := make([]byte, v.size)
		pbkdf2Key([]byte(v.password), []byte(v.salt), v.iter, got, sha1.New)
		if hex.EncodeToString(got) != v.want {
			t.Errorf("PBKDF2-SHA1(%q, %q, %d) = %x, want %s", v.password, v.salt, v.iter, got, v.want)
		}
	}
	long := bytes.Repeat([]byte("0123456789abcdef"), 20) // longer than any block
	for _, h := range []func() hash.Hash{sha1.New, sha256.New, sha512.New384, sha512.New} {
		for _, pw := range [][]byte{[]byte("correct horse"), long, {}} {
			for _, size := range []int{16, 32, 33, 100} {
				got := make([]byte, size)
				pbkdf2Key(pw, []byte("KRENEW.TESTalice"), 3, got, h)
				want, err := pbkdf2.Key(h, string(pw), []byte("KRENEW.TESTalice"), 3, size)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%T, password of %d bytes, %d bytes out: %x, want %x", h(), len(pw), size, got, want)
				}
			}
		}
	}
}

// RFC 3962 appendix B and RFC 8009 appendix A, through krenew's own
// PBKDF2 and key derivation.
func TestStringToKeyRFCVectors(t *testing.T) {
	r8009, _ := hex.DecodeString("10DF9DD783E5BC8ACEA1730E74355F61")
	athena := []byte("ATHENA.MIT.EDUraeburn")
	for _, v := range []struct {
		etype    int32
		password string
		salt     []byte
		iter     string
		want     string
	}{
		{etypeID.AES128_CTS_HMAC_SHA1_96, "password", athena, "00000001", "42263c6e89f4fc28b8df68ee09799f15"},
		{etypeID.AES256_CTS_HMAC_SHA1_96, "password", athena, "00000001", "fe697b52bc0d3ce14432ba036a92e65bbb52280990a2fa27883998d72af30161"},
		{etypeID.AES128_CTS_HMAC_SHA1_96, "password", athena, "000004b0", "4c01cd46d632d01e6dbe230a01ed642a"},
		{etypeID.AES256_CTS_HMAC_SHA1_96, "password", athena, "000004b0", "55a6ac740ad17b4846941051e1e8b0a7548d93b0ab30a8bc3ff16280382b8c2a"},
		{etypeID.AES256_CTS_HMAC_SHA1_96, "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", []byte("pass phrase exceeds block size"), "000004b0",
			"d78c5c9cb872a8c9dad4697f0bb5b2d21496c82beb2caeda2112fceea057401b"},
		{etypeID.AES128_CTS_HMAC_SHA256_128, "password", append(r8009, athena...), "00008000", "089bca48b105ea6ea77ca5d2f39dc5e7"},
		{etypeID.AES256_CTS_HMAC_SHA384_192, "password", append(r8009, athena...), "00008000", "45bd806dbf6a833a9cffc1c94589a222367a79bc21c413718906e9f578a78467"},
	} {
		params, _ := hex.DecodeString(v.iter)
		got, err := stringToKey([]byte(v.password), v.etype, v.salt, params)
		if err != nil {
			t.Fatal(err)
		}
		if hex.EncodeToString(got.KeyValue) != v.want {
			t.Errorf("etype %d, %d iterations: %x, want %s", v.etype, params, got.KeyValue, v.want)
		}
	}
}

// krenew's DK must give gokrb5's usage keys: Ke, Ki and Kc of the AS
// exchange's usages, and the string-to-key constant.
func TestDeriveKeyMatchesGokrb5(t *testing.T) {
	for _, id := range passwordEtypes {
		e, _ := crypto.GetEtype(id)
		key := bytes.Repeat([]byte{0x5a, 0x17}, 16)[:len(mustStringToKey(t, id).KeyValue)]
		labels := [][]byte{[]byte("kerberos")}
		for _, u := range []uint32{1, 3, 11} {
			labels = append(labels, common.GetUsageKe(u), common.GetUsageKi(u), common.GetUsageKc(u))
		}
		for _, l := range labels {
			want, err := e.DeriveKey(key, l)
			if err != nil {
				t.Fatal(err)
			}
			got, err := deriveKey(e, key, l)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("etype %d label %x: %x, gokrb5 says %x", id, l, got, want)
			}
		}
	}
}

func mustStringToKey(t *testing.T, id int32) types.EncryptionKey {
	t.Helper()
	k, err := stringToKey([]byte("correct horse"), id, []byte("KRENEW.TESTalice"), []byte{0, 0, 0, 2})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// What krenew encrypts gokrb5 decrypts and the other way round; a
// tampered or truncated message is refused; and the usage keys are
// cleared afterwards.
func TestWipingEtypeInterop(t *testing.T) {
	msg := []byte("a timestamp, or an EncASRepPart with a session key in it")
	for _, id := range passwordEtypes {
		key := mustStringToKey(t, id)
		ed, err := encryptWiping(msg, key, 1, 0)
		if err != nil {
			t.Fatal(err)
		}
		if ed.EType != id {
			t.Errorf("etype %d: encrypted data says %d", id, ed.EType)
		}
		got, err := crypto.DecryptEncPart(ed, key, 1)
		if err != nil || !bytes.Equal(got, msg) {
			t.Errorf("etype %d: gokrb5 decrypts krenew's message to %q, %v", id, got, err)
		}
		ed, err = crypto.GetEncryptedData(msg, key, 3, 0)
		if err != nil {
			t.Fatal(err)
		}
		got, err = decryptWiping(ed, key, 3)
		if err != nil || !bytes.Equal(got, msg) {
			t.Errorf("etype %d: krenew decrypts gokrb5's message to %q, %v", id, got, err)
		}
		if _, err := decryptWiping(ed, key, 1); err == nil {
			t.Errorf("etype %d: decrypted with the wrong usage", id)
		}
		ed.Cipher[len(ed.Cipher)/2] ^= 1
		if _, err := decryptWiping(ed, key, 3); err == nil {
			t.Errorf("etype %d: tampered message accepted", id)
		}
		for _, n := range []int{0, 5, 16} {
			if _, err := decryptWiping(types.EncryptedData{EType: id, Cipher: make([]byte, n)}, key, 3); err == nil {
				t.Errorf("etype %d: %d-byte message accepted", id, n)
			}
		}

		u, err := newUsageKeys(id, key.KeyValue, 1)
		if err != nil {
			t.Fatal(err)
		}
		kept := [][]byte{u.ke, u.ki}
		u.wipe()
		for _, k := range kept {
			if len(k) < 16 || !allZero(k) {
				t.Errorf("etype %d: usage key %x left after wipe", id, k)
			}
		}
	}
	if _, err := encryptWiping(msg, types.EncryptionKey{KeyType: etypeID.AES256_CTS_HMAC_SHA1_96, KeyValue: make([]byte, 16)}, 1, 0); err == nil {
		t.Error("a 16-byte key accepted for aes256")
	}
}

// krenew's AES-CTS is jcmturner/aescts's (which gokrb5 uses) for every
// length around the block boundaries, both ways.
func TestCTSMatchesAescts(t *testing.T) {
	for _, keyLen := range []int{16, 32} {
		key := bytes.Repeat([]byte{0xa5}, keyLen)
		for n := 1; n <= 80; n++ {
			plain := make([]byte, n)
			for i := range plain {
				plain[i] = byte(i*7 + n)
			}
			_, want, err := aescts.Encrypt(key, make([]byte, 16), plain)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ctsEncrypt(key, plain)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("key %d bytes, %d bytes: %x (%v), aescts says %x", keyLen, n, got, err, want)
			}
			if n < 16 {
				continue // padded to a block: not a length Kerberos sends
			}
			back, err := ctsDecrypt(key, got)
			if err != nil || !bytes.Equal(back, plain) {
				t.Fatalf("key %d bytes, %d bytes: decrypted to %x (%v)", keyLen, n, back, err)
			}
		}
	}
	if _, err := ctsDecrypt(make([]byte, 16), make([]byte, 15)); err == nil {
		t.Error("15-byte ciphertext accepted")
	}
}

func TestWipeClearsState(t *testing.T) {
	for _, h := range []func() hash.Hash{sha1.New, sha256.New, sha512.New384} {
		m := newMacKey(h, []byte("correct horse"))
		m.sum(nil, []byte("message"))
		bufs := [][]byte{m.ipad, m.opad, m.istate, m.ostate}
		if m.istate == nil || m.ostate == nil {
			t.Errorf("%T: hash state not marshalled", m.inner)
		}
		m.wipe()
		for i, b := range bufs {
			if !allZero(b) {
				t.Errorf("%T: buffer %d not wiped: %x", m.inner, i, b)
			}
		}
		for _, x := range []hash.Hash{m.inner, m.outer} {
			if v := reflect.ValueOf(x).Elem(); !v.IsZero() {
				t.Errorf("%T not wiped", x)
			}
		}
	}
	b, err := aes.NewCipher(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	wipeBlock(b)
	if v := reflect.ValueOf(b).Elem(); !v.IsZero() {
		t.Errorf("%T not wiped", b)
	}
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
