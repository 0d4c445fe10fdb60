package e2e

// Issue 17, point 3, with what a real Samba AD DC sent: its refusals of
// a disabled, expired and locked-out account, recorded on the wire
// (testdata/samba-ad/README), replayed from a KDC on 127.0.0.1. Samba's
// KDC refuses a disabled account's renewal with KDC_ERR_POLICY and
// nothing else; krenew's daemon used to retry that until the ticket ran
// out, which looked like a hang.

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/krenew/krenew/ccache"
)

const sambaRealm = "SAMDOM.TEST"

func sambaReply(t *testing.T, name string) []byte {
	t.Helper()
	text, err := os.ReadFile(filepath.Join("internal", "e2e", "testdata", "samba-ad", name+".hex"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := hex.DecodeString(strings.TrimSpace(string(text)))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return b
}

func TestSambaADRecordedRefusals(t *testing.T) {
	t.Parallel()
	kdc := startHostileKDC(t)
	env := append(os.Environ(), "LC_ALL=C", "KRB5_CONFIG="+kdc.confFor(t, sambaRealm), "KRB5CCNAME=FILE:/nonexistent/cc")
	cases := []struct {
		reply, user string
		renewal     bool   // a TGS reply: --once and the daemon; else --once --init
		msg         string // the account's part of the error line
	}{
		{"tgs-disabled-dave", "dave", true, "; the account may be disabled or locked"},
		{"tgs-expired-bob", "bob", true, "the account bob@SAMDOM.TEST has expired"},
		{"tgs-locked-carol", "carol", true, "the account carol@SAMDOM.TEST is disabled, locked or expired"},
		{"as-disabled-dave", "dave", false, "the account dave@SAMDOM.TEST is disabled"},
		{"as-expired-bob", "bob", false, "the account bob@SAMDOM.TEST has expired"},
		{"as-locked-carol", "carol", false, "the account carol@SAMDOM.TEST is disabled, locked or expired"},
	}
	for _, c := range cases {
		kdc.replay(sambaReply(t, c.reply))
		name := c.user + "@" + sambaRealm
		client := ccache.Principal{NameType: ccache.NameTypePrincipal, Realm: sambaRealm, Components: []string{c.user}}
		runs := [][]string{{"--once", "--init", "--password-stdin", "-u", name, "-k", "FILE:" + filepath.Join(t.TempDir(), "cc")}}
		if c.renewal {
			runs = [][]string{{"--once", "-k", "FILE:" + hostileTGTCache(t, client)}, {"--foreground", "-k", "FILE:" + hostileTGTCache(t, client)}}
		}
		for _, args := range runs {
			what := fmt.Sprintf("%s, krenew %s", c.reply, args[0])
			before := kdc.seen.Load()
			start := time.Now()
			b := startBackground(t, env, "password\n", append([]string{krenewBin}, args...)...)
			if args[0] == "--foreground" {
				// The daemon holds the ticket until SIGALRM forces the
				// renewal, as in the report.
				forceRenewalOnceStarted(t, b, what)
			}
			code := b.wait(t, 20*time.Second)
			wantRefusedAtOnce(t, what, code, time.Since(start), b.text(), c.msg, name)
			out := b.text()
			if strings.Contains(out, "-l/-r") || strings.Contains(out, "retrying") {
				t.Errorf("%s: a message that does not fit:\n%s", what, out)
			}
			if n := kdc.seen.Load() - before; n != 1 {
				t.Errorf("%s: %d requests, want the one refused", what, n)
			}
		}
	}
}
