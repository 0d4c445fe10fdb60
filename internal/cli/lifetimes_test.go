package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/krenew/krenew/renew/krb5conf"
)

func parseConf(t *testing.T, content string) (*krb5conf.Conf, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "krb5.conf")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := krb5conf.Parse([]string{path})
	if err != nil {
		t.Fatal(err)
	}
	return c, path
}

// The flag, then [appdefaults] (realm subsections first), then the
// built-in value; [libdefaults] is kinit's and only noted.
func TestChooseLifetimePrecedence(t *testing.T) {
	const day = 24 * time.Hour
	full := `[libdefaults]
 ticket_lifetime = 24h
 renew_lifetime = 7d
[appdefaults]
 krenew = {
  lifetime = 2d
  R.TEST = {
   renewable = 30d
  }
 }
 R.TEST = {
  lifetime = 9d
 }
 renewable = 20d
`
	conf, path := parseConf(t, full)
	empty, _ := parseConf(t, "[libdefaults]\n ticket_lifetime = 24h\n")
	for _, tc := range []struct {
		name    string
		conf    *krb5conf.Conf
		realm   string
		knob    lifetimeKnob
		flag    time.Duration
		flagSet bool
		want    time.Duration
		from    string
		kinits  bool
	}{
		{"flag wins", conf, "R.TEST", lifetimeKnobR, 3 * day, true, 3 * day, "-r/--renewable", false},
		{"krenew's realm subsection", conf, "R.TEST", lifetimeKnobR, 0, false, 30 * day, "[appdefaults] krenew = { R.TEST = { renewable } } in " + path, false},
		{"krenew's section before the realm's", conf, "R.TEST", lifetimeKnobL, 0, false, 2 * day, "[appdefaults] krenew = { lifetime } in " + path, false},
		{"top level for another realm", conf, "OTHER.TEST", lifetimeKnobR, 0, false, 20 * day, "[appdefaults] renewable in " + path, false},
		{"built-in, libdefaults ignored", empty, "R.TEST", lifetimeKnobL, 0, false, 7 * day, builtinSource, true},
		{"built-in renewable", empty, "R.TEST", lifetimeKnobR, 0, false, 14 * day, builtinSource, false},
	} {
		got, err := chooseLifetime(tc.conf, tc.realm, tc.knob, tc.flag, tc.flagSet)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got.value != tc.want || got.from != tc.from || got.flag != tc.flagSet || (got.kinits != nil) != tc.kinits {
			t.Errorf("%s: got %v from %q (flag %v, kinit's %v), want %v from %q", tc.name, got.value, got.from, got.flag, got.kinits, tc.want, tc.from)
		}
	}
}

// The realm-level [appdefaults] REALM = { } comes after krenew's own
// section, as in krb5_appdefault_string.
func TestChooseLifetimeRealmLevel(t *testing.T) {
	conf, path := parseConf(t, "[appdefaults]\n R.TEST = {\n  lifetime = 9d\n }\n lifetime = 1d\n")
	got, err := chooseLifetime(conf, "R.TEST", lifetimeKnobL, 0, false)
	if err != nil || got.value != 9*24*time.Hour || got.from != "[appdefaults] R.TEST = { lifetime } in "+path {
		t.Errorf("got %+v, %v", got, err)
	}
}

// A bad value is an error naming the file, the relation and the flag
// that overrides it; with the flag given it is not even read.
func TestChooseLifetimeBadValue(t *testing.T) {
	for _, v := range []string{"7days", "0", "-1d", ""} {
		conf, path := parseConf(t, "[appdefaults]\n krenew = {\n  lifetime = \""+v+"\"\n }\n")
		_, err := chooseLifetime(conf, "R.TEST", lifetimeKnobL, 0, false)
		f, ok := err.(*failure)
		if !ok {
			t.Errorf("lifetime %q: got %v, want a failure", v, err)
			continue
		}
		if f.exitCode() != exitFailure || !strings.Contains(f.msg, path) || !strings.Contains(f.msg, "[appdefaults] krenew = { lifetime }") ||
			!strings.Contains(f.msg, `"`+v+`"`) || !strings.Contains(f.hint, "-l/--lifetime") {
			t.Errorf("lifetime %q: %q / hint %q", v, f.msg, f.hint)
		}
		if got, err := chooseLifetime(conf, "R.TEST", lifetimeKnobL, time.Hour, true); err != nil || got.value != time.Hour {
			t.Errorf("lifetime %q with -l 1h: %+v, %v", v, got, err)
		}
	}
}

func TestLifetimeSourceLine(t *testing.T) {
	kinits := &krb5conf.Setting{Value: "24h", File: "/etc/krb5.conf", Where: "[libdefaults] ticket_lifetime"}
	for _, tc := range []struct {
		knob lifetimeKnob
		r    requestedLifetime
		want string
	}{
		{lifetimeKnobL, requestedLifetime{value: time.Hour, from: "-l/--lifetime", flag: true}, "ticket lifetime 1h, from -l/--lifetime"},
		{lifetimeKnobR, requestedLifetime{value: 30 * 24 * time.Hour, from: "[appdefaults] krenew = { R = { renewable } } in /x"},
			"renewable lifetime 30d, from [appdefaults] krenew = { R = { renewable } } in /x"},
		{lifetimeKnobL, requestedLifetime{value: 7 * 24 * time.Hour, from: builtinSource, kinits: kinits},
			"ticket lifetime 7d, krenew's built-in default ([libdefaults] ticket_lifetime = 24h in /etc/krb5.conf is kinit's default, not krenew's: set [appdefaults] krenew = { lifetime = ... } for krenew)"},
	} {
		if got := lifetimeSourceLine(tc.knob, tc.r); got != tc.want {
			t.Errorf("got  %q\nwant %q", got, tc.want)
		}
	}
}

// Through the command line: a bad krb5.conf value stops a run that would
// ask for a ticket before any prompt, with one error line naming it, and
// does not concern --status.
func TestConfLifetimeErrorInProcess(t *testing.T) {
	bad := "[appdefaults]\n krenew = {\n  renewable = fortnight\n }\n"
	cache := "FILE:" + filepath.Join(t.TempDir(), "cc")
	code, out, errOut := inProcessConf(t, bad, "--once", "--init", "-u", "alice", "-k", cache)
	conf := os.Getenv("KRB5_CONFIG")
	lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
	if code != exitFailure || out != "" || len(lines) != 2 {
		t.Fatalf("exit %d, stdout %q, stderr %q; want 1 and an error and a hint", code, out, errOut)
	}
	if want := `krenew: error: invalid renewable lifetime "fortnight" in ` + conf + `: [appdefaults] krenew = { renewable }: `; !strings.HasPrefix(lines[0], want) {
		t.Errorf("error line %q, want it to start %q", lines[0], want)
	}
	if !strings.HasPrefix(lines[1], "krenew: hint: ") || !strings.Contains(lines[1], "-r/--renewable") {
		t.Errorf("hint %q", lines[1])
	}
	start := time.Now().Add(-time.Hour).Truncate(time.Second)
	path := writeCache(t, ticket(krbtgt, start, 10*time.Hour, 7*24*time.Hour))
	if code, _, errOut := inProcessConf(t, bad, "--status", "-k", "FILE:"+path); code != exitOK || errOut != "" {
		t.Errorf("--status with a bad krb5.conf lifetime: exit %d, stderr %q", code, errOut)
	}
}

// -r shorter than -l: exit 2 when the command line gave one of them (it
// is the user's to change), 1 when krb5.conf and the default disagree.
func TestLifetimesDisagreeInProcess(t *testing.T) {
	cache := "FILE:" + filepath.Join(t.TempDir(), "cc")
	long := "[appdefaults]\n krenew = {\n  lifetime = 20d\n }\n"
	for _, tc := range []struct {
		conf string
		args []string
		code int
		want string
	}{
		{"", []string{"-l", "20d"}, exitUsage, "the renewable lifetime 14d (krenew's built-in default) is shorter than the ticket lifetime 20d (-l/--lifetime)"},
		{long, nil, exitFailure, "the renewable lifetime 14d (krenew's built-in default) is shorter than the ticket lifetime 20d ([appdefaults] krenew = { lifetime } in "},
		{long, []string{"-r", "10d"}, exitUsage, "the renewable lifetime 10d (-r/--renewable) is shorter than the ticket lifetime 20d ([appdefaults] krenew = { lifetime } in "},
	} {
		args := append([]string{"--once", "--init", "-u", "alice", "-k", cache}, tc.args...)
		code, _, errOut := inProcessConf(t, tc.conf, args...)
		if code != tc.code || !strings.HasPrefix(errOut, "krenew: error: "+tc.want) || strings.Count(errOut, "krenew: error: ") != 1 {
			t.Errorf("krenew %v with %q: exit %d, stderr %q; want %d and %q", tc.args, tc.conf, code, errOut, tc.code, tc.want)
		}
	}
}
