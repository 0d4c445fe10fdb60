package cli

import "github.com/urfave/cli/v2"

// App is the command line without its action, for the end-to-end tests
// that check that --help, the man page, the completions and the fault
// suite cover every flag the parser knows.
func App() *cli.App { return newApp(func(*cli.Context) error { return nil }) }

// Usage is the text of --help, for the same tests.
const Usage = usageText
