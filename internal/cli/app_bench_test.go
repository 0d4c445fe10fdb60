package cli

import (
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
