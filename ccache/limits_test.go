package ccache

import (
	"bytes"
	"encoding/binary"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"
)

// minimalCache is a version 4 cache of n credentials as small as the
// format allows (67 bytes each: empty principals, key, ticket), the
// cheapest way to make a cache hold many.
func minimalCache(n int) []byte {
	head := (&Cache{DefaultPrincipal: alice}).Marshal()
	one := (&Cache{Credentials: []Credential{{}}}).Marshal()
	cred := one[len((&Cache{}).Marshal()):]
	var b bytes.Buffer
	b.Grow(len(head) + n*len(cred))
	b.Write(head)
	for range n {
		b.Write(cred)
	}
	return b.Bytes()
}

// allocated is what fn allocates, in bytes.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestParseCredentialCountLimit(t *testing.T) {
	c, err := Parse(minimalCache(maxCredentials))
	if err != nil || len(c.Credentials) != maxCredentials {
		t.Fatalf("a cache of %d credentials: %v", maxCredentials, err)
	}
	_, err = Parse(minimalCache(maxCredentials + 1))
	if !errors.Is(err, ErrTooLarge) || !errors.Is(err, ErrFormat) {
		t.Fatalf("a cache of %d credentials: %v, want ErrTooLarge (and ErrFormat)", maxCredentials+1, err)
	}
	if !strings.Contains(err.Error(), "more than the 8192 credentials krenew reads") {
		t.Errorf("error %q does not say the limit", err)
	}
}

// One principal of a million empty components fits in the size limit but
// would cost 16 bytes of string header for each 4 in the file.
func TestParseElementLimit(t *testing.T) {
	n := maxElements + 1
	var b bytes.Buffer
	b.Write([]byte{5, 4, 0, 0})                   // version 4, empty header
	b.Write([]byte{0, 0, 0, 1})                   // name type
	binary.Write(&b, binary.BigEndian, uint32(n)) // components
	b.Write([]byte{0, 0, 0, 1, 'R'})              // realm
	b.Write(make([]byte, 4*n))                    // empty components
	var err error
	if got := allocated(func() { _, err = Parse(b.Bytes()) }); got > 1<<20 {
		t.Errorf("Parse allocated %d bytes before refusing %d components", got, n)
	}
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("%d components: %v, want ErrTooLarge", n, err)
	}
}

// The case: 64 MB of minimal credentials cost 786 MB of memory
// for --status. Now the file is refused by its size, unread, and a cache
// at the limits costs memory in proportion to its size.
func TestLoadHostileSizesBounded(t *testing.T) {
	huge := minimalCache((64 << 20) / 67)
	s := storeWith(t, huge)
	var err error
	start := time.Now()
	if got := allocated(func() { _, err = s.Load() }); got > 1<<20 {
		t.Errorf("Load allocated %d bytes for a %d-byte cache it refuses", got, len(huge))
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("Load took %s to refuse a %d-byte cache", took, len(huge))
	}
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), s.Path) || !strings.Contains(err.Error(), "at most 8 MiB") {
		t.Fatalf("Load of %d bytes: %v, want ErrTooLarge naming the file and the limit", len(huge), err)
	}

	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"the most credentials", minimalCache(maxCredentials)},
		{"the most elements", elementsCache(maxElements)},
	} {
		s := storeWith(t, tc.b)
		var c *Cache
		got := allocated(func() { c, err = s.Load() })
		if err != nil || c == nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		// The file is read once and its data copied once; the rest is
		// bookkeeping, bounded by the limits whatever the file says.
		if limit := uint64(4*len(tc.b) + 8<<20); got > limit {
			t.Errorf("%s: Load of %d bytes allocated %d, more than %d", tc.name, len(tc.b), got, limit)
		}
		t.Logf("%s: Load of %d bytes allocated %d", tc.name, len(tc.b), got)
	}
}

// elementsCache holds one credential whose server has n-2 components.
func elementsCache(n int) []byte {
	comps := make([]string, n-2)
	for i := range comps {
		comps[i] = "c"
	}
	return (&Cache{DefaultPrincipal: alice, Credentials: []Credential{{Client: alice, Server: Principal{Realm: "R", Components: comps}}}}).Marshal()
}
