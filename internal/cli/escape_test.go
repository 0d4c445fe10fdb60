package cli

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/krenew/krenew/ccache"
)

// hostileName is a principal component as a planted cache file may have
// it: a screen clear, a title change with BEL, and a carriage return that
// would overwrite the line with a fake notice.
const hostileName = "evil\x1b[2J\x1b]0;owned\a\rkrenew: renewing alice@EXAMPLE.TEST until never"

const hostileShown = `evil\x1b[2J\x1b]0;owned\a\rkrenew: renewing alice@EXAMPLE.TEST until never`

// wantNoControls fails if out has a control character other than the
// newline ending each line.
func wantNoControls(t *testing.T, what, out string) {
	t.Helper()
	for _, r := range out {
		if r < 0x20 && r != '\n' || r == 0x7f || r >= 0x80 && r < 0xa0 {
			t.Errorf("%s has control character %U:\n%q", what, r, out)
			return
		}
	}
}

func TestStatusEscapesPrincipalFromCache(t *testing.T) {
	evil := ccache.Principal{Realm: "EXAMPLE.TEST", Components: []string{hostileName}}
	start := time.Now().Add(-time.Hour).Truncate(time.Second)
	tgt := ticket(krbtgt, start, 10*time.Hour, 7*24*time.Hour)
	tgt.Client = evil
	c := &ccache.Cache{Version: 4, DefaultPrincipal: evil}
	c.PutCredential(tgt)
	store, err := ccache.CreatePrivate(t.TempDir(), "krb5cc_test_", c)
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := inProcess(t, "--status", "-k", "FILE:"+store.Path)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	wantNoControls(t, "--status output", out+errOut)
	// As klist, the name escapes its '@' (MIT's unparse rules), then the
	// controls.
	name := strings.ReplaceAll(hostileShown, "@", `\@`) + "@EXAMPLE.TEST"
	if want := "principal:     " + name + "\n"; !strings.Contains(out, want) {
		t.Errorf("--status output lacks %q:\n%s", want, out)
	}
	// jq -r prints JSON strings raw: they are escaped the same way.
	code, out, errOut = inProcess(t, "--status", "--json", "-k", "FILE:"+store.Path)
	var j statusJSON
	if err := json.Unmarshal([]byte(out), &j); err != nil || code != exitOK {
		t.Fatalf("--status --json: exit %d, %v, stderr %q", code, err, errOut)
	}
	if j.Principal == nil || *j.Principal != name {
		t.Errorf("--status --json principal %q", *j.Principal)
	}
}

// Whatever reaches a message unescaped is escaped where it is written, and
// stays one line.
func TestMessageWritersEscape(t *testing.T) {
	out := captureStderr(t)
	report(&failure{msg: "cannot renew " + hostileName, hint: "ask\nkrenew: error: forged"})
	noticef("notice %s", "\x1b[31mred\x9b")
	o := &options{verbose: true}
	verbosef(o, "%s", "bell\a")
	want := "krenew: error: cannot renew " + hostileShown + "\n" +
		`krenew: hint: ask\nkrenew: error: forged` + "\n" +
		`krenew: notice \x1b[31mred\x9b` + "\n" +
		`krenew: bell\a` + "\n"
	if out.String() != want {
		t.Errorf("stderr\n%q\nwant\n%q", out.String(), want)
	}
	if got := passwordPrompt(hostileName + "@R"); got != "Password for "+hostileShown+"@R: " {
		t.Errorf("prompt %q", got)
	}
	out.Reset()
	report(errors.New(strings.Repeat("x", 20000)))
	if n := len(out.String()); n > 1100 {
		t.Errorf("an error of 20000 characters printed as %d", n)
	}
}

// A cache far larger than any real one is refused with its name, what is
// wrong and the limit, not read.
func TestTooLargeCacheFailure(t *testing.T) {
	path := filepath.Join(t.TempDir(), "krb5cc_big")
	if err := os.WriteFile(path, make([]byte, 9<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := inProcess(t, "--status", "-k", "FILE:"+path)
	want := "krenew: error: credential cache FILE:" + path + " is too large: 9437184 bytes, and krenew reads at most 8 MiB\n" +
		"krenew: hint: a real cache holds a few kilobytes; look at it, and remove it if it is garbage (kdestroy -c FILE:" + path + ")\n"
	if code != exitFailure || errOut != want {
		t.Errorf("exit %d, stderr\n%q\nwant\n%q", code, errOut, want)
	}
}
