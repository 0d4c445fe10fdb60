package cli

import (
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// BenchmarkAppRun is the command line's share of every start: building
// the app and parsing a typical --once command line.
func BenchmarkAppRun(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		app := newApp(func(*cli.Context) error { return nil })
		if err := app.Run([]string{"krenew", "--once", "-k", "FILE:/tmp/krb5cc_test"}); err != nil {
			b.Fatal(err)
		}
	}
}

// The fixed names are what urfave/cli would compute, for every flag.
func TestFixedNamesAreCLIFlagNames(t *testing.T) {
	app := newApp(nil)
	for _, f := range append(append([]cli.Flag(nil), app.Flags...), cli.HelpFlag, cli.VersionFlag) {
		var name string
		var aliases []string
		switch f := f.(type) {
		case *boolFlag:
			name, aliases = f.Name, f.Aliases
		case *stringFlag:
			name, aliases = f.Name, f.Aliases
		default:
			t.Fatalf("flag %v is a %T, not wrapped by withFixedNames", f.Names(), f)
		}
		if got, want := f.Names(), cli.FlagNames(name, aliases); !slices.Equal(got, want) {
			t.Errorf("flag %s: names %q, urfave/cli's %q", name, got, want)
		}
	}
}

// A version stamped by the Makefile wins over the build info, and
// --version prints it as the packages name it.
func TestVersionPrefersBuildVersion(t *testing.T) {
	if v := version(); v == "" {
		t.Fatal("version() is empty without a stamped version")
	}
	saved := buildVersion
	t.Cleanup(func() { buildVersion = saved })
	buildVersion = "0.1.0~git.42.0123456789ab"
	if v := version(); v != buildVersion {
		t.Errorf("version() = %q, want the stamped %q", v, buildVersion)
	}
	var out strings.Builder
	app := newApp(func(*cli.Context) error { return nil })
	app.Writer = &out
	if err := app.Run([]string{"krenew", "--version"}); err != nil {
		t.Fatal(err)
	}
	if want := "krenew " + buildVersion + "\n"; out.String() != want {
		t.Errorf("--version printed %q, want %q", out.String(), want)
	}
}

// A typo keeps the user's dashes and gets the option it most likely
// meant; a word nothing is near gets the plain usage hint (issue 18).
func TestUnknownOptionSuggestsTheNearest(t *testing.T) {
	for typed, want := range map[string]string{
		"--stauts":        "did you mean --status?",
		"--statsu":        "did you mean --status?",
		"--lifetim":       "did you mean --lifetime?",
		"--forground":     "did you mean --foreground?",
		"--pasword-stdin": "did you mean --password-stdin?",
		"--lis":           "did you mean --list?",
		"--zzzzzz":        "see 'krenew --help' for usage",
		"-Z":              "see 'krenew --help' for usage",
	} {
		code, _, errOut := inProcess(t, typed)
		wantErr := "krenew: error: unknown option " + typed + "\n"
		if code != exitUsage || !strings.HasPrefix(errOut, wantErr) || !strings.Contains(errOut, "krenew: hint: "+want) {
			t.Errorf("krenew %s: exit %d\n%s\nwant %q and a hint %q", typed, code, errOut, wantErr, want)
		}
	}
	if near := nearestFlag("s"); near != "" {
		t.Errorf("a one-letter typo suggests %q", near)
	}
}

func TestModeWordAsCommandGetsAHint(t *testing.T) {
	f := commandStartFailure("status", exec.ErrNotFound)
	if f.code != exitNotFound || !strings.Contains(f.hint, "'krenew --status'") {
		t.Errorf("krenew status: %+v", f)
	}
	if f := commandStartFailure("make", exec.ErrNotFound); f.hint != "" {
		t.Errorf("an ordinary missing command got a hint: %+v", f)
	}
}

// A build without the Makefile's stamp names the release NEWS.md is on
// the way to, never "devel" (issue 18).
func TestReleaseIsNEWSRelease(t *testing.T) {
	news, err := os.ReadFile("../../NEWS.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^krenew ([0-9][0-9.]*) `).FindSubmatch(news)
	if m == nil || string(m[1]) != release {
		t.Errorf("release = %q, NEWS.md's newest is %q", release, m)
	}
	saved := buildVersion
	t.Cleanup(func() { buildVersion = saved })
	buildVersion = ""
	if v := version(); !strings.HasPrefix(v, release) {
		t.Errorf("unstamped version() = %q, want it to start with %q", v, release)
	}
}
