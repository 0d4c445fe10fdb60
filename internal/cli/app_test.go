package cli

import (
	"slices"
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
