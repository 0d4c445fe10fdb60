package e2e

import (
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	kcli "github.com/krenew/krenew/internal/cli"
)

// Usage errors are caught before anything is prompted or touched: exit 2
// and one error line naming the problem. No KDC is needed: krenew must not
// get that far.
func TestUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"-l", "7x", "--once"}, []string{"-l/--lifetime", "7x"}},
		{[]string{"-r", "", "--once"}, []string{"-r/--renewable"}},
		{[]string{"-l", "2d", "-r", "1d"}, []string{"shorter"}},
		{[]string{"-c", "/tmp/pid"}, []string{"-c/--child-pidfile", "needs a command"}},
		{[]string{"-s"}, []string{"-s/--hup-child", "needs a command"}},
		{[]string{"-a", "--once"}, []string{"-a/--always", "--once"}},
		{[]string{"-b", "--status"}, []string{"-b/--background", "--status"}},
		{[]string{"--once", "--status"}, []string{"--once", "--status"}},
		{[]string{"--once", "--", "true"}, []string{"--once does not run a command"}},
		{[]string{"-K", "0"}, []string{"-K/--interval"}},
		{[]string{"-H", "soon"}, []string{"-H/--min-lifetime"}},
		{[]string{"-x", "-i"}, []string{"-x/--exit-on-error", "-i/--ignore-errors"}},
		{[]string{"-U", "-u", "alice"}, []string{"-U/--keytab-principal", "-u/--principal"}},
		{[]string{"--password-stdin", "-f", "/etc/krb5.keytab"}, []string{"--password-stdin", "keytab"}},
		{[]string{"-b", "--foreground"}, []string{"--background", "--foreground"}},
		{[]string{"--no-such-flag"}, []string{"unknown option", "no-such-flag"}},
		{[]string{"-k"}, []string{"-k", "needs a value"}},
		{[]string{"--once", "-l", "1h"}, []string{"-l/--lifetime", "add --init"}},
		{[]string{"--wait-lock", "--", "true"}, []string{"--wait-lock", "command"}},
		{[]string{"-k", "FILE:/tmp/a", "--cache", "FILE:/tmp/b"}, []string{"option --cache given twice"}},
		{[]string{"--once=maybe"}, []string{`invalid value "maybe" for --once`}},
		{[]string{"--pidfile="}, []string{"-p/--pidfile needs a file name"}},
		{[]string{"--status", "-H", "10"}, []string{"-H/--min-lifetime", "--status"}},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			// A password on stdin would be consumed if krenew went as far
			// as prompting; a usage error must come first.
			args := c.args
			if !strings.Contains(strings.Join(args, " "), "--password-stdin") {
				args = append([]string{"--password-stdin"}, args...)
			}
			r := krenew(t, nil, "password\n", args...)
			wantOneError(t, r, 2, c.want...)
			if strings.Contains(r.stderr, "Password") {
				t.Errorf("prompted before rejecting the command line:\n%s", r.stderr)
			}
		})
	}
}

func TestVersionAndHelp(t *testing.T) {
	r := krenew(t, nil, "", "--version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "krenew ") {
		t.Errorf("--version: exit %d, stdout %q", r.code, r.stdout)
	}
	for _, flag := range []string{"-h", "--help"} {
		r = krenew(t, nil, "", flag)
		if r.code != 0 || !strings.Contains(r.stdout, "krenew [options] [--] [command [arg ...]]") {
			t.Errorf("%s: exit %d, stdout %q", flag, r.code, r.stdout)
		}
	}
}

// The usage text lists every flag the app registers, long and short, so
// help and the parser cannot drift apart.
func TestUsageTextListsEveryFlag(t *testing.T) {
	app := kcli.App()
	for _, f := range app.Flags {
		if v, ok := f.(cli.VisibleFlag); ok && !v.IsVisible() {
			continue // internal, between krenew and its own daemon
		}
		for _, name := range f.Names() {
			dash := "--"
			if len(name) == 1 {
				dash = "-"
			}
			if !strings.Contains(kcli.Usage, dash+name+" ") && !strings.Contains(kcli.Usage, dash+name+",") {
				t.Errorf("usage text does not mention %s%s", dash, name)
			}
		}
	}
}

// "krenew -- help" runs a command called help; urfave/cli must not turn it
// into its help command, and flags after the command belong to it.
func TestCommandArgumentsAreNotParsed(t *testing.T) {
	for _, args := range [][]string{{"--", "help"}, {"help"}, {"--", "true", "-l", "7x"}, {"true", "--once"}} {
		r := krenew(t, nil, "", args...)
		if strings.Contains(r.stdout, "Usage:") {
			t.Errorf("krenew %v printed the usage text", args)
		}
		if r.code == 2 {
			t.Errorf("krenew %v: the command's arguments were parsed as krenew's: %s", args, r.stderr)
		}
	}
}
