package ccache

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"
)

// A daemon that answers GET_PRINCIPAL with garbage must produce an error,
// never a panic, a hang or a huge allocation.
func TestKCMHostileReplies(t *testing.T) {
	u32 := func(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
	cases := []struct {
		name  string
		reply []byte
		want  error // matched with errors.Is; nil: any *kcmStatusError
	}{
		{"nothing", nil, ErrKCMUnavailable},
		{"half a header", []byte{0, 0, 0}, ErrKCMUnavailable},
		{"header only", append(u32(8), u32(0)...), ErrKCMUnavailable},
		{"payload cut short", append(append(u32(100), u32(0)...), 0, 0, 0, 0, 1, 2), ErrKCMUnavailable},
		{"length 4 GiB", append(u32(0xffffffff), u32(0)...), ErrFormat},
		{"length just over the limit", append(u32(kcmMaxReply+1), u32(0)...), ErrFormat},
		{"no operation status", append(u32(2), append(u32(0), 0, 0)...), ErrFormat},
		{"empty payload", append(u32(0), u32(0)...), ErrFormat},
		{"transport status", append(u32(0), u32(22)...), nil},
		{"unknown operation status", frame(123456, nil), nil},
		{"negative unknown status", frame(-5, nil), nil},
		{"truncated principal", frame(0, MarshalPrincipal(alice)[:7]), ErrFormat},
		{"principal with trailing bytes", frame(0, append(MarshalPrincipal(alice), 9)), ErrFormat},
		{"principal claiming 4G components", frame(0, append(u32(1), u32(0xffffffff)...)), ErrFormat},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &KCMStore{Name: "x", Socket: rawKCM(t, c.reply, false)}
			_, err := s.Load()
			if err == nil {
				t.Fatal("Load accepted the reply")
			}
			if c.want == nil {
				var st *kcmStatusError
				if !errors.As(err, &st) {
					t.Fatalf("Load: %v, want a status error", err)
				}
				if errors.Is(err, ErrNotFound) {
					t.Fatalf("an unknown status must not look like a missing cache: %v", err)
				}
				return
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("Load: %v, want %v", err, c.want)
			}
			if !strings.Contains(err.Error(), "KCM:x") {
				t.Errorf("error %q does not name the cache", err)
			}
		})
	}
}

// The decoders see replies after the status; each must reject
// malformed input with an error wrapping ErrFormat.
func TestKCMDecodersRejectMalformed(t *testing.T) {
	u32 := func(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
	cred := MarshalCredential(kcmSample().Credentials[1])
	bad := map[string]func() error{
		"name without NUL":      func() error { _, err := decodeKCMName(kcmOpGenNew, []byte("abc")); return err },
		"empty name":            func() error { _, err := decodeKCMName(kcmOpGenNew, []byte{0}); return err },
		"name with newline":     func() error { _, err := decodeKCMName(kcmOpGenNew, []byte("a\nb\x00")); return err },
		"uuid list of 17 bytes": func() error { _, err := decodeKCMUUIDs(kcmOpGetCredUUIDList, make([]byte, 17)); return err },
		"too many uuids": func() error {
			_, err := decodeKCMUUIDs(kcmOpGetCredUUIDList, make([]byte, 16*(kcmMaxCreds+1)))
			return err
		},
		"truncated credential":      func() error { _, err := decodeKCMCred(cred[:len(cred)-1]); return err },
		"credential plus trailer":   func() error { _, err := decodeKCMCred(append(cred, 0)); return err },
		"cred list without count":   func() error { _, err := decodeKCMCredList([]byte{0, 0}); return err },
		"cred list count too large": func() error { _, err := decodeKCMCredList(u32(0xffffffff)); return err },
		"cred list length overruns": func() error {
			_, err := decodeKCMCredList(append(u32(1), append(u32(uint32(len(cred)+1)), cred...)...))
			return err
		},
		"cred list bad credential": func() error {
			_, err := decodeKCMCredList(append(u32(1), append(u32(3), 1, 2, 3)...))
			return err
		},
		"cred list trailer": func() error {
			_, err := decodeKCMCredList(append(encodeKCMCredList(nil), 7))
			return err
		},
		"cred list missing length": func() error { _, err := decodeKCMCredList(append(u32(2), u32(0)...)); return err },
		"short offset":             func() error { _, err := decodeKCMOffset([]byte{1, 2}); return err },
		"long offset":              func() error { _, err := decodeKCMOffset(make([]byte, 8)); return err },
		"principal garbage":        func() error { _, err := decodeKCMPrincipal([]byte{1}); return err },
	}
	for name, fn := range bad {
		if err := fn(); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: %v, want ErrFormat", name, err)
		}
	}
	if n, err := decodeKCMName(kcmOpGenNew, []byte("0:1\x00ignored")); err != nil || n != "0:1" {
		t.Errorf("name with trailing bytes (MIT ignores them): %q, %v", n, err)
	}
	creds, err := decodeKCMCredList(encodeKCMCredList(kcmSample().Credentials))
	if err != nil || len(creds) != 2 {
		t.Errorf("well-formed cred list: %d creds, %v", len(creds), err)
	}
}

// Garbage in one reply must not desynchronise later requests: after a
// malformed reply the connection is not used again.
func TestKCMMalformedReplyPoisonsConnection(t *testing.T) {
	sock := rawKCM(t, make([]byte, 8), false) // length 0: no operation status
	conn, err := dialKCM(sock, "KCM:x", kcmIOTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.call(kcmOpGetDefaultCache); !errors.Is(err, ErrFormat) {
		t.Fatalf("first call: %v", err)
	}
	if _, err := conn.call(kcmOpGetDefaultCache); !errors.Is(err, ErrFormat) {
		t.Errorf("second call on a poisoned connection: %v", err)
	}
}

func TestKCMHungDaemonTimesOut(t *testing.T) {
	// Half a reply, then silence.
	s := &KCMStore{Name: "x", Socket: rawKCM(t, []byte{0, 0}, true)}
	hooksOf(s).timeout = 200 * time.Millisecond
	start := time.Now()
	_, err := s.Load()
	if !errors.Is(err, ErrKCMUnavailable) {
		t.Fatalf("Load from a hung daemon: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Load took %v with a 200ms timeout", d)
	}
	if !strings.Contains(err.Error(), "timeout") {
		t.Errorf("error %q does not say it timed out", err)
	}
}

// Garbage in the replies only a write reads (the cache list the sweep
// walks, cache names, removals) is an error naming the cache, never a
// panic, and leaves the cache as it was.
func TestKCMHostileRepliesDuringWrites(t *testing.T) {
	cases := map[string]map[kcmOp][]byte{
		"cache list of 17 bytes":      {kcmOpGetCacheUUIDs: make([]byte, 17)},
		"cache name without NUL":      {kcmOpGetCacheByUUID: []byte("0:1")},
		"empty cache name":            {kcmOpGetCacheByUUID: {0}},
		"GEN_NEW name with newline":   {kcmOpGenNew: []byte("a\nb\x00")},
		"credential list of 15 bytes": {kcmOpGetCredUUIDList: make([]byte, 15)},
		"REMOVE_CRED with a payload":  {kcmOpRemoveCred: []byte("ignored")},
		"default cache name garbage":  {kcmOpGetDefaultCache: []byte{0xff}},
		"credential list, 4G creds":   {kcmOpGetCredList: binary.BigEndian.AppendUint32(nil, 0xffffffff)},
		"cache list claiming 2^16+1":  {kcmOpGetCacheUUIDs: make([]byte, 16*(kcmMaxCreds+1))},
	}
	for name, g := range cases {
		t.Run(name, func(t *testing.T) {
			failures := 0
			defer func() {
				// A payload after success is ignored, as MIT does.
				if want := name != "REMOVE_CRED with a payload"; (failures > 0) != want {
					t.Errorf("%d of 2 writes failed, want failures: %v", failures, want)
				}
			}()
			f := heimdalFake(t)
			seededDefault(t, f)
			before := kcmMustLoad(t, f.store("0"))
			f.mu.Lock()
			f.garbage = g
			f.mu.Unlock()
			for _, s := range []*KCMStore{f.store("0"), f.store("")} {
				hooksOf(s).grace = time.Millisecond
				err := s.Update(renewTGT)
				if err != nil && !errors.Is(err, ErrFormat) {
					t.Errorf("%s: Update: %v, want success or ErrFormat", s.display(""), err)
				}
				if err != nil && !strings.Contains(err.Error(), "KCM:") {
					t.Errorf("error %q does not name the cache", err)
				}
				if err == nil {
					continue
				}
				failures++
				f.mu.Lock()
				f.garbage = nil
				f.mu.Unlock()
				after, lerr := f.store("0").Load()
				f.mu.Lock()
				f.garbage = g
				f.mu.Unlock()
				if lerr == nil && len(after.Credentials) != len(before.Credentials) {
					t.Errorf("%s: cache has %d entries after a failed write, want %d", s.display(""), len(after.Credentials), len(before.Credentials))
				}
			}
		})
	}
}
