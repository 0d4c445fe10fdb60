package ccache

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// The fixtures are written by real MIT kinit/kvno; see
// testdata/make-fixtures.sh.
func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseMITFixtures(t *testing.T) {
	const realm = "FIXTURE.TEST"
	for _, tt := range []struct {
		file    string
		version int
		creds   int
		config  bool
		renewed bool
	}{
		{"mit-v4.ccache", 4, 4, true, false},
		{"mit-v3.ccache", 3, 4, true, false},
		{"mit-v4-renewed.ccache", 4, 1, false, true},
	} {
		t.Run(tt.file, func(t *testing.T) {
			c, err := Parse(readFixture(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if c.Version != tt.version {
				t.Errorf("version %d, want %d", c.Version, tt.version)
			}
			if _, ok := c.KDCOffset(); ok != (tt.version == 4) {
				t.Errorf("kdc offset present %v, want %v", ok, tt.version == 4)
			}
			if got := c.DefaultPrincipal.String(); got != "alice@"+realm {
				t.Errorf("default principal %q", got)
			}
			if len(c.Credentials) != tt.creds {
				t.Fatalf("%d credentials, want %d", len(c.Credentials), tt.creds)
			}

			tgtName := Principal{Realm: realm, Components: []string{"krbtgt", realm}}
			if tt.config {
				v, ok := c.Config("fast_avail", &tgtName)
				if !ok || string(v) != "yes" {
					t.Errorf("fast_avail = %q %v, want yes", v, ok)
				}
				v, ok = c.Config("pa_type", &tgtName)
				if !ok || string(v) != "2" {
					t.Errorf("pa_type = %q %v, want 2 (encrypted timestamp)", v, ok)
				}
				for _, cr := range c.Credentials {
					if cr.IsConfig() && (!cr.EndTime.IsZero() || cr.Flags != 0 || !cr.Client.Equal(c.DefaultPrincipal)) {
						t.Errorf("config entry %v has ticket fields set", cr.Server)
					}
				}
			}

			tgt, ok := c.FindTGT()
			if !ok {
				t.Fatal("no TGT found")
			}
			if got := tgt.Server.String(); got != "krbtgt/"+realm+"@"+realm {
				t.Errorf("tgt server %q", got)
			}
			if !tgt.HasFlags(FlagRenewable | FlagInitial | FlagPreAuth) {
				t.Errorf("tgt flags %#x lack renewable|initial|preauth", tgt.Flags)
			}
			if tgt.Key.EType != 18 || len(tgt.Key.Value) != 32 {
				t.Errorf("tgt key etype %d, %d bytes; want aes256 (18), 32 bytes", tgt.Key.EType, len(tgt.Key.Value))
			}
			if len(tgt.Ticket) < 100 || tgt.Ticket[0] != 0x61 { // [APPLICATION 1] Ticket
				t.Errorf("tgt ticket does not look like a DER Ticket: %x", tgt.Ticket[:min(8, len(tgt.Ticket))])
			}
			if d := tgt.EndTime.Sub(tgt.StartTime); d != time.Hour {
				t.Errorf("lifetime %v, want 1h (kinit -l 1h)", d)
			}
			if d := tgt.RenewTill.Sub(tgt.AuthTime); d != 2*time.Hour {
				t.Errorf("renewable lifetime %v, want 2h (kinit -r 2h)", d)
			}
			if tt.renewed != tgt.StartTime.After(tgt.AuthTime) {
				t.Errorf("starttime %v authtime %v: renewed=%v", tgt.StartTime, tgt.AuthTime, tt.renewed)
			}

			if !tt.renewed {
				svc := c.Credentials[len(c.Credentials)-1]
				if got := svc.Server.String(); got != "host/svc.fixture.test@"+realm {
					t.Errorf("service ticket server %q", got)
				}
				if svc.IsConfig() || svc.HasFlags(FlagInitial) {
					t.Errorf("service ticket flags %#x / config %v", svc.Flags, svc.IsConfig())
				}
			}
		})
	}
}

// A version 4 file written by MIT must come back byte for byte: that proves
// the writer matches libkrb5's layout, header included.
func TestMarshalMatchesMITBytes(t *testing.T) {
	for _, f := range []string{"mit-v4.ccache", "mit-v4-renewed.ccache"} {
		in := readFixture(t, f)
		c, err := Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if out := c.Marshal(); !bytes.Equal(out, in) {
			t.Errorf("%s: Marshal differs from the MIT file", f)
		}
	}
}

func TestV3RewrittenAsV4(t *testing.T) {
	v3, err := Parse(readFixture(t, "mit-v3.ccache"))
	if err != nil {
		t.Fatal(err)
	}
	out := v3.Marshal()
	if out[0] != 5 || out[1] != 4 {
		t.Fatalf("Marshal wrote version %x", out[:2])
	}
	v4, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	v3.Version = 4
	if !reflect.DeepEqual(v3, v4) {
		t.Errorf("content changed when rewriting v3 as v4")
	}
}

// Cutting an MIT file anywhere but at a credential boundary must fail;
// cutting at a boundary yields the credentials before it.
func TestParseEveryPrefixOfMITFile(t *testing.T) {
	in := readFixture(t, "mit-v4.ccache")
	full, err := Parse(in)
	if err != nil {
		t.Fatal(err)
	}
	boundary := map[int]int{}
	for k := 0; k <= len(full.Credentials); k++ {
		part := *full
		part.Credentials = full.Credentials[:k]
		boundary[len(part.Marshal())] = k
	}
	for n := 0; n < len(in); n++ {
		c, err := Parse(in[:n])
		k, atBoundary := boundary[n]
		switch {
		case atBoundary && err != nil:
			t.Errorf("prefix %d (after %d credentials): %v", n, k, err)
		case atBoundary && len(c.Credentials) != k:
			t.Errorf("prefix %d: %d credentials, want %d", n, len(c.Credentials), k)
		case !atBoundary && err == nil:
			t.Errorf("prefix %d parsed without error", n)
		}
	}
}
