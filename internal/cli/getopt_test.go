package cli

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"
)

var shortOptionCases = []struct {
	name       string
	args, want []string
}{
	{"empty", []string{}, []string{}},
	{"attached -H", []string{"-H5"}, []string{"-H", "5"}},
	{"attached -K", []string{"-K60"}, []string{"-K", "60"}},
	{"attached -k", []string{"-kFILE:/path"}, []string{"-k", "FILE:/path"}},
	{"attached -p", []string{"-p/run/x.pid"}, []string{"-p", "/run/x.pid"}},
	{"attached -u", []string{"-uhost/x@R"}, []string{"-u", "host/x@R"}},
	{"attached -l -r -f -c", []string{"-l10h", "-r2d", "-f/etc/kt", "-c/run/c.pid", "--", "cmd"},
		[]string{"-l", "10h", "-r", "2d", "-f", "/etc/kt", "-c", "/run/c.pid", "--", "cmd"}},
	{"attached value with dashes and equals", []string{"-kFILE:/a=b-c"}, []string{"-k", "FILE:/a=b-c"}},
	{"attached value starting with dash", []string{"-k-weird"}, []string{"-k", "-weird"}},
	{"Go's -X=value", []string{"-K=60", "-u=alice"}, []string{"-K", "60", "-u", "alice"}},
	{"Go's -X= empty", []string{"-k="}, []string{"-k", ""}},
	{"Go's bool -a=false", []string{"-a=false", "-b"}, []string{"-a=false", "-b"}},
	{"boolean cluster", []string{"-abt"}, []string{"-a", "-b", "-t"}},
	{"boolean cluster with q and h", []string{"-qvh"}, []string{"-q", "-v", "-h"}},
	{"cluster, value next word", []string{"-bK", "60"}, []string{"-b", "-K", "60"}},
	{"cluster, value attached", []string{"-bK60"}, []string{"-b", "-K", "60"}},
	{"cluster -qUf kt", []string{"-qUf", "kt"}, []string{"-q", "-U", "-f", "kt"}},
	{"cluster -qUfkt", []string{"-qUfkt"}, []string{"-q", "-U", "-f", "kt"}},
	{"cluster, value holds letters", []string{"-bkFILE:/x", "-v"}, []string{"-b", "-k", "FILE:/x", "-v"}},
	{"cluster, value after =", []string{"-bK=60"}, []string{"-b", "-K", "60"}},
	{"value missing at end", []string{"-bK"}, []string{"-b", "-K"}},
	{"lone value letter at end", []string{"-v", "-k"}, []string{"-v", "-k"}},
	{"separate value starting with dash", []string{"-k", "-weird", "-a"}, []string{"-k", "-weird", "-a"}},
	{"separate value looks like a cluster", []string{"-p", "-ab", "-ab"}, []string{"-p", "-ab", "-a", "-b"}},
	{"separate value is --", []string{"-k", "--", "-ab"}, []string{"-k", "--", "-a", "-b"}},
	{"cluster value next word is dashed", []string{"-bk", "-H5"}, []string{"-b", "-k", "-H5"}},
	{"double dash ends options", []string{"-bK60", "--", "-H5", "cmd", "-ab"},
		[]string{"-b", "-K", "60", "--", "-H5", "cmd", "-ab"}},
	{"command ends options", []string{"-K", "60", "cmd", "-x", "-H5"}, []string{"-K", "60", "cmd", "-x", "-H5"}},
	{"attached then command", []string{"-K60", "cmd", "-bK60"}, []string{"-K", "60", "cmd", "-bK60"}},
	{"lone dash ends options", []string{"-a", "-", "-bK60"}, []string{"-a", "-", "-bK60"}},
	{"empty word ends options", []string{"-a", "", "-bK60"}, []string{"-a", "", "-bK60"}},
	{"long options unchanged", []string{"--once", "--cache=FILE:/x", "--interval", "60", "-ab"},
		[]string{"--once", "--cache=FILE:/x", "--interval", "60", "-a", "-b"}},
	{"long option value is not rewritten", []string{"--pidfile", "-ab", "--principal", "-H5", "-H5"},
		[]string{"--pidfile", "-ab", "--principal", "-H5", "-H", "5"}},
	{"long option value is not a command", []string{"--cache", "FILE:/x", "-bK60"},
		[]string{"--cache", "FILE:/x", "-b", "-K", "60"}},
	{"every value-taking long option", []string{"--principal", "p", "--lifetime", "1h", "--renewable", "2h",
		"--keytab", "kt", "--cache", "c", "--interval", "1", "--min-lifetime", "2", "--pidfile", "pf",
		"--child-pidfile", "cp", "--command-dir", "/d", "-ab", "--", "cmd"},
		[]string{"--principal", "p", "--lifetime", "1h", "--renewable", "2h",
			"--keytab", "kt", "--cache", "c", "--interval", "1", "--min-lifetime", "2", "--pidfile", "pf",
			"--child-pidfile", "cp", "--command-dir", "/d", "-a", "-b", "--", "cmd"}},
	{"boolean long option takes no value word", []string{"--always", "cmd", "-ab"}, []string{"--always", "cmd", "-ab"}},
	{"long option value missing at end", []string{"-a", "--cache"}, []string{"-a", "--cache"}},
	{"unknown long option unchanged", []string{"--bogus", "x", "-ab"}, []string{"--bogus", "x", "-ab"}},
	{"one-dash long option (Go flag form)", []string{"-cache", "FILE:/x", "-status", "-aklog", "-H5"},
		[]string{"-cache", "FILE:/x", "-status", "-aklog", "-H", "5"}},
	{"one-dash long option with =", []string{"-principal=alice", "-i", "--", "cmd"},
		[]string{"-principal=alice", "-i", "--", "cmd"}},
	{"unknown letter alone", []string{"-Z"}, []string{"-Z"}},
	{"unknown letter in cluster stops rewriting", []string{"-H5", "-bZ", "-H5"}, []string{"-H", "5", "-bZ", "-H5"}},
	{"unknown letter after value letter is value", []string{"-kZZ"}, []string{"-k", "ZZ"}},
	{"digit after boolean", []string{"-h5"}, []string{"-h5"}},
	{"= after boolean in cluster", []string{"-ba=false"}, []string{"-ba=false"}},
	{"-i then -- then command", []string{"-i", "--", "cmd"}, []string{"-i", "--", "cmd"}},
	{"-i then command without -u", []string{"-i", "cmd"}, []string{"-i", "cmd"}},
	{"-u then -i then --", []string{"-u", "alice", "-i", "--", "cmd"}, []string{"-u", "alice", "-i", "--", "cmd"}},
	{"-u then -i then option", []string{"-u", "alice", "-i", "-b"}, []string{"-u", "alice", "-i", "-b"}},
	{"-u then -i at end", []string{"-u", "alice", "-i"}, []string{"-u", "alice", "-i"}},
	{"-i not last in cluster", []string{"-u", "alice", "-ib", "cmd"}, []string{"-u", "alice", "-i", "-b", "cmd"}},
	{"-i after its command", []string{"-u", "alice", "cmd", "-i", "admin"}, []string{"-u", "alice", "cmd", "-i", "admin"}},
	{"-u after -i", []string{"-i", "-uadmin", "cmd"}, []string{"-i", "-u", "admin", "cmd"}},
	{"-i as a value", []string{"-u", "alice", "-k", "-i", "cmd"}, []string{"-u", "alice", "-k", "-i", "cmd"}},
	{"--ignore-errors then command", []string{"-u", "alice", "--ignore-errors", "cmd"},
		[]string{"-u", "alice", "--ignore-errors", "cmd"}},
	{"-i=true then command", []string{"-u", "alice", "-i=true", "cmd"}, []string{"-u", "alice", "-i=true", "cmd"}},
}

func TestExpandShortOptions(t *testing.T) {
	for _, tc := range shortOptionCases {
		t.Run(tc.name, func(t *testing.T) {
			in := slices.Clone(tc.args)
			got, err := expandShortOptions(in)
			if err != nil {
				t.Fatalf("expandShortOptions(%q): %v", tc.args, err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("expandShortOptions(%q)\n got %q\nwant %q", tc.args, got, tc.want)
			}
			if !slices.Equal(in, tc.args) {
				t.Errorf("expandShortOptions modified its argument: %q", in)
			}
		})
	}
}

// An expanded (or already separate) command line is its own expansion.
func TestExpandShortOptionsIdempotent(t *testing.T) {
	for _, tc := range shortOptionCases {
		t.Run(tc.name, func(t *testing.T) {
			for _, args := range [][]string{tc.args, tc.want} {
				once, err := expandShortOptions(args)
				if err != nil {
					t.Fatal(err)
				}
				twice, err := expandShortOptions(once)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(once, twice) {
					t.Errorf("expand(%q) = %q, but expand of that = %q", args, once, twice)
				}
			}
		})
	}
}

func TestExpandShortOptionsInstanceError(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-u", "alice", "-i", "admin"}, "-u alice/admin"},
		{[]string{"-ualice", "-i", "admin", "-x"}, "-u alice/admin"},
		{[]string{"-u=alice", "-bi", "admin"}, "-u alice/admin"},
		{[]string{"-bu", "alice@EXAMPLE.ORG", "-ai", "admin"}, "-u alice/admin@EXAMPLE.ORG"},
		{[]string{"--principal", "alice", "-i", "root"}, "-u alice/root"},
		{[]string{"--principal=bob@R", "-K", "5", "-i", "admin"}, "-u bob/admin@R"},
		{[]string{"-principal", "alice", "-i", "admin"}, "-u alice/admin"},
		{[]string{"-u", "first", "-u", "second", "-i", "admin"}, "-u second/admin"},
	} {
		got, err := expandShortOptions(tc.args)
		var ue *usageError
		if !errors.As(err, &ue) {
			t.Errorf("expandShortOptions(%q) = %q, %v; want a *usageError", tc.args, got, err)
			continue
		}
		wantMsg := "-i is --ignore-errors in krenew, not k5start's client instance; " +
			"write the instance in the principal: " + tc.want
		if ue.msg != wantMsg {
			t.Errorf("expandShortOptions(%q) error\n got %q\nwant %q", tc.args, ue.msg, wantMsg)
		}
	}
}

// Every flag newApp defines, by each of its names, is in getoptFlags with
// the same kind: a cli.StringFlag takes a value, a cli.BoolFlag does not.
func TestGetoptTableMatchesApp(t *testing.T) {
	app := newApp(nil)
	flags := append(slices.Clone(app.Flags), cli.HelpFlag, cli.VersionFlag)
	inApp := map[string]bool{}
	for _, fl := range flags {
		var value bool
		switch fl.(type) {
		case *cli.StringFlag, *stringFlag:
			value = true
		case *cli.BoolFlag, *boolFlag:
			value = false
		default:
			t.Errorf("flag %v: type %T; expandShortOptions knows only string and bool flags", fl.Names(), fl)
			continue
		}
		for _, name := range fl.Names() {
			inApp[name] = true
			var f getoptFlag
			var ok bool
			if len(name) == 1 {
				f, ok = getoptShort[name[0]]
			} else {
				f, ok = getoptLong[name]
			}
			if !ok {
				t.Errorf("%s is in newApp but not in getoptFlags", dashed(name))
				continue
			}
			if f.value != value {
				t.Errorf("%s: newApp's %T, but getoptFlags says value=%v", dashed(name), fl, f.value)
			}
		}
	}
	// And the other way: nothing in the table that the app lacks.
	for _, f := range getoptFlags {
		names := []string{f.long}
		if f.short != 0 {
			names = append(names, string(f.short))
		}
		for _, name := range names {
			if !inApp[name] {
				t.Errorf("%s is in getoptFlags but newApp has no such flag", dashed(name))
			}
		}
	}
}

// The expanded words mean to urfave/cli what getopt would make of the
// original ones.
func TestGetoptParsedByApp(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		check func(*options) bool
	}{
		{[]string{"-H5"}, func(o *options) bool { return o.minLifetime == 5*time.Minute }},
		{[]string{"-K60"}, func(o *options) bool { return o.interval == 60*time.Minute }},
		{[]string{"-bK", "60"}, func(o *options) bool { return o.background && o.interval == 60*time.Minute }},
		{[]string{"-bK60"}, func(o *options) bool { return o.background && o.interval == 60*time.Minute }},
		{[]string{"-bK=60"}, func(o *options) bool { return o.background && o.interval == 60*time.Minute }},
		{[]string{"-Uf", "kt"}, func(o *options) bool { return o.keytab == "kt" && o.keytabPrincipal }},
		{[]string{"-qUf", "kt"}, func(o *options) bool { return o.keytab == "kt" && o.keytabPrincipal }},
		{[]string{"-Ufkt"}, func(o *options) bool { return o.keytab == "kt" && o.keytabPrincipal }},
		{[]string{"-kFILE:/tmp/x"}, func(o *options) bool { return o.cache == "FILE:/tmp/x" }},
		{[]string{"-k", "-weird"}, func(o *options) bool { return o.cache == "-weird" }},
		{[]string{"-k-weird", "-a"}, func(o *options) bool { return o.cache == "-weird" && o.always }},
		{[]string{"-p/run/x.pid"}, func(o *options) bool { return o.pidfile == "/run/x.pid" }},
		{[]string{"-uhost/x@R"}, func(o *options) bool { return o.principal == "host/x@R" }},
		{[]string{"-l10h", "-r2d"}, func(o *options) bool { return o.lifetime == 10*time.Hour && o.renewable == 48*time.Hour }},
		{[]string{"-atx", "-L", "-v"}, func(o *options) bool { return o.always && o.aklog && o.exitOnError && o.syslog && o.verbose }},
		// urfave/cli's own splitting gets this one wrong: it matches the
		// unknown "-ab" against the value word "ab" and gives up.
		{[]string{"-p", "ab", "-ab"}, func(o *options) bool { return o.pidfile == "ab" && o.always && o.background }},
		{[]string{"-K", "60", "cmd", "-x"}, func(o *options) bool {
			return o.interval == 60*time.Minute && !o.exitOnError && slices.Equal(o.command, []string{"cmd", "-x"})
		}},
		{[]string{"-sc/run/c.pid", "--", "cmd", "-H5"}, func(o *options) bool {
			return o.hupChild && o.childPidfile == "/run/c.pid" && slices.Equal(o.command, []string{"cmd", "-H5"})
		}},
		{[]string{"-u", "alice", "-i", "--", "cmd"}, func(o *options) bool {
			return o.principal == "alice" && o.ignoreErrors && slices.Equal(o.command, []string{"cmd"})
		}},
		{[]string{"-cache", "FILE:/x", "-H5"}, func(o *options) bool { return o.cache == "FILE:/x" && o.minLifetime == 5*time.Minute }},
	} {
		o, err := parseExpanded(t, tc.args)
		if err != nil {
			t.Errorf("%q: %v", tc.args, err)
			continue
		}
		if !tc.check(o) {
			t.Errorf("%q: unexpected options %+v", tc.args, *o)
		}
	}
}

// What urfave/cli reports for what expandShortOptions leaves to it.
func TestGetoptErrorsLeftToApp(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-Z"}, "unknown option -Z"},
		{[]string{"-bZ"}, "unknown option -bZ"},
		{[]string{"-H5", "-bZ"}, "unknown option -bZ"},
		{[]string{"-bK"}, "option -K needs a value"},
		{[]string{"--cache"}, "option --cache needs a value"},
	} {
		_, err := parseExpanded(t, tc.args)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.args, err, tc.want)
		}
	}
}

func parseExpanded(t *testing.T, args []string) (*options, error) {
	t.Helper()
	expanded, err := expandShortOptions(args)
	if err != nil {
		return nil, err
	}
	var opts *options
	app := newApp(func(c *cli.Context) error {
		o, err := optionsFrom(c)
		opts = o
		return err
	})
	app.Writer, app.ErrWriter = io.Discard, io.Discard
	commandLine = expanded // as run sets it, for the option's dashes in errors
	if err := app.Run(append([]string{"krenew"}, expanded...)); err != nil {
		return nil, err
	}
	if opts == nil {
		t.Fatalf("%q: the action did not run", args)
	}
	return opts, nil
}
