package renew

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
)

// The []byte string-to-key must agree bit for bit with gokrb5's string
// version (itself checked against the RFC vectors), for every enctype and
// with both default and explicit iteration counts.
func TestStringToKeyMatchesGokrb5(t *testing.T) {
	salt := "KRENEW.TESTalice"
	for _, id := range passwordEtypes {
		for _, params := range []string{"", "00000002", "00001000"} {
			e, err := crypto.GetEtype(id)
			if err != nil {
				t.Fatal(err)
			}
			wantParams := params
			if wantParams == "" {
				wantParams = e.GetDefaultStringToKeyParams()
			}
			want, err := e.StringToKey("correct horse", salt, wantParams)
			if err != nil {
				t.Fatal(err)
			}
			p, _ := hex.DecodeString(params)
			got, err := stringToKey([]byte("correct horse"), id, []byte(salt), p)
			if err != nil {
				t.Fatalf("etype %d params %q: %v", id, params, err)
			}
			if got.KeyType != id || !bytes.Equal(got.KeyValue, want) {
				t.Errorf("etype %d params %q: key %x, gokrb5 says %x", id, params, got.KeyValue, want)
			}
		}
	}
}

// RFC 3962 appendix B, first vector: 1 iteration, "password", ATHENA salt.
func TestStringToKeyRFC3962Vector(t *testing.T) {
	got, err := stringToKey([]byte("password"), etypeID.AES128_CTS_HMAC_SHA1_96, []byte("ATHENA.MIT.EDUraeburn"), []byte{0, 0, 0, 1})
	if err != nil {
		t.Fatal(err)
	}
	if want := "42263c6e89f4fc28b8df68ee09799f15"; hex.EncodeToString(got.KeyValue) != want {
		t.Fatalf("key %x, want %s", got.KeyValue, want)
	}
}

func TestStringToKeyRejects(t *testing.T) {
	if _, err := stringToKey([]byte("pw"), etypeID.RC4_HMAC, []byte("s"), nil); err == nil {
		t.Error("rc4-hmac accepted")
	}
	if _, err := stringToKey([]byte("pw"), etypeID.AES128_CTS_HMAC_SHA1_96, []byte("s"), []byte{0xff, 0xff, 0xff, 0xff}); err == nil {
		t.Error("2^32-1 iterations accepted")
	}
	if _, err := stringToKey([]byte("pw"), etypeID.AES128_CTS_HMAC_SHA1_96, []byte("s"), []byte{1, 2}); err == nil {
		t.Error("short s2kparams accepted")
	}
}
