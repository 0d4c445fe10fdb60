package ccache

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"testing"
	"time"
)

// FuzzKCMReply feeds arbitrary bytes to the reply reader and to every
// decoder of what follows the status, including the marker of temporary
// caches in a decoded credential; none may panic, and a credential list
// that decodes must encode back to what decodes the same.
func FuzzKCMReply(f *testing.F) {
	c := kcmSample()
	var uuids []byte
	for i := range 3 {
		uuids = append(uuids, bytes.Repeat([]byte{byte(i + 1)}, kcmUUIDLen)...)
	}
	payloads := [][]byte{
		nil,                                  // INITIALIZE, STORE, DESTROY, MOVE_CACHE, REPLACE
		kcmNameArg("0:1"),                    // GEN_NEW, GET_DEFAULT_CACHE
		MarshalPrincipal(c.DefaultPrincipal), // GET_PRINCIPAL
		uuids,                                // GET_CRED_UUID_LIST
		MarshalCredential(c.Credentials[1]),  // GET_CRED_BY_UUID
		MarshalCredential(c.Credentials[0]),  // a config entry
		encodeKCMCredList(c.Credentials),     // GET_CRED_LIST
		encodeKCMCredList(nil),               // an empty GET_CRED_LIST
		kcmU32(0xfffffffe),                   // GET_KDC_OFFSET
		uuids[:kcmUUIDLen*2],                 // GET_CACHE_UUID_LIST
		kcmNameArg("1000:krenew"),            // GET_CACHE_BY_UUID
		MarshalCredential(kcmTempMarker(alice, "", time.Unix(1700000000, 0))), // a temporary cache's marker
		MarshalCredential(NewConfig(alice, kcmTempKey, nil, []byte{1, 2})),    // a truncated marker
	}
	for _, p := range payloads {
		f.Add(frame(0, p))
	}
	f.Add(frame(kcmCodeFCCNoFile, nil))
	f.Add(frame(kcmCodeFCCInternal, nil))
	f.Add(binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, 0), 22))
	f.Add(binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, 0xffffffff), 0))
	f.Add(frame(0, encodeKCMCredList(c.Credentials))[:40])
	f.Fuzz(func(t *testing.T, in []byte) {
		payload, err := readKCMReply(bytes.NewReader(in), kcmOpGetCredList)
		if err != nil {
			return
		}
		_, _ = decodeKCMName(kcmOpGenNew, payload)
		_, _ = decodeKCMPrincipal(payload)
		_, _ = decodeKCMUUIDs(kcmOpGetCacheUUIDs, payload)
		if c, err := decodeKCMCred(payload); err == nil {
			_, _, _ = decodeKCMTempMarker(&c)
		}
		_, _ = decodeKCMOffset(payload)
		creds, err := decodeKCMCredList(payload)
		if err != nil {
			return
		}
		again, err := decodeKCMCredList(encodeKCMCredList(creds))
		if err != nil {
			t.Fatalf("re-encoded credential list does not decode: %v", err)
		}
		if len(creds) == 0 && len(again) == 0 {
			return
		}
		if !reflect.DeepEqual(again, creds) {
			t.Fatalf("credential list round trip differs:\n got  %+v\n want %+v", again, creds)
		}
	})
}
