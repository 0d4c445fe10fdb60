package cli

import (
	"fmt"
	"regexp"
	"runtime/debug"
	"strings"

	"github.com/urfave/cli/v2"
)

// Flag names are constants because validation and messages refer to them.
const (
	flagPrincipal       = "principal"
	flagLifetime        = "lifetime"
	flagRenewable       = "renewable"
	flagKeytab          = "keytab"
	flagKeytabPrincipal = "keytab-principal"
	flagPasswordStdin   = "password-stdin"
	flagInit            = "init"
	flagWaitLock        = "wait-lock"
	flagCache           = "cache"
	flagInterval        = "interval"
	flagMinLifetime     = "min-lifetime"
	flagAlways          = "always"
	flagBackground      = "background"
	flagPidfile         = "pidfile"
	flagChildPidfile    = "child-pidfile"
	flagHupChild        = "hup-child"
	flagAklog           = "aklog"
	flagExitOnError     = "exit-on-error"
	flagIgnoreErrors    = "ignore-errors"
	flagSyslog          = "syslog"
	flagVerbose         = "verbose"
	flagQuiet           = "quiet"
	flagForeground      = "foreground"
	flagOnce            = "once"
	flagStatus          = "status"
	flagJSON            = "json"
	flagStop            = "stop"
	flagList            = "list"
	// flagCommandDir is internal: the -b daemon runs in / and must start
	// the command where the user started krenew.
	flagCommandDir = "command-dir"
	// flagShareCache is internal: the -b child of `krenew -k CACHE --
	// command` hands CACHE itself to the command, as the parent was told.
	flagShareCache = "share-cache"
	// flagPrivateCache is internal: the -b child of a keytab command gets
	// the private cache the parent filled from the keytab.
	flagPrivateCache = "private-cache"
	// flagExplicitCache is internal: the detached child always gets -k,
	// and learns from this whether the user named the cache, which
	// decides whether root may use another user's (ownerCheck).
	flagExplicitCache = "explicit-cache"
	// flagSupervise is internal: the fresh exec of krenew -- command
	// that runs the command once the prompting process, which held the
	// password, has put the ticket in place.
	flagSupervise = "supervise"
)

// Strings, not typed flags, for every value krenew parses itself, so that
// a bad value gets krenew's own message naming the flag.
func newApp(action cli.ActionFunc) *cli.App {
	cli.VersionFlag = fixedNames(&cli.BoolFlag{Name: "version", Usage: "print the version"})
	cli.HelpFlag = fixedNames(&cli.BoolFlag{Name: "help", Aliases: []string{"h"}, Usage: "show usage"})
	cli.VersionPrinter = func(c *cli.Context) { fmt.Fprintf(c.App.Writer, "krenew %s\n", c.App.Version) }
	return &cli.App{
		Name:                   "krenew",
		Usage:                  "get a renewable Kerberos ticket once and keep it renewed",
		Version:                version(),
		HideHelpCommand:        true,
		UseShortOptionHandling: true,
		CustomAppHelpTemplate:  usageText,
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return flagErrorText(err)
		},
		Flags: withFixedNames([]cli.Flag{
			&cli.StringFlag{Name: flagPrincipal, Aliases: []string{"u"}},
			&cli.StringFlag{Name: flagLifetime, Aliases: []string{"l"}, Value: "7d"},
			&cli.StringFlag{Name: flagRenewable, Aliases: []string{"r"}, Value: "14d"},
			&cli.StringFlag{Name: flagKeytab, Aliases: []string{"f"}},
			&cli.BoolFlag{Name: flagKeytabPrincipal, Aliases: []string{"U"}},
			&cli.BoolFlag{Name: flagPasswordStdin},
			&cli.BoolFlag{Name: flagInit},
			&cli.BoolFlag{Name: flagWaitLock},
			&cli.StringFlag{Name: flagCache, Aliases: []string{"k"}},
			&cli.StringFlag{Name: flagInterval, Aliases: []string{"K"}},
			&cli.StringFlag{Name: flagMinLifetime, Aliases: []string{"H"}},
			&cli.BoolFlag{Name: flagAlways, Aliases: []string{"a"}},
			&cli.BoolFlag{Name: flagBackground, Aliases: []string{"b"}},
			&cli.StringFlag{Name: flagPidfile, Aliases: []string{"p"}},
			&cli.StringFlag{Name: flagChildPidfile, Aliases: []string{"c"}},
			&cli.BoolFlag{Name: flagHupChild, Aliases: []string{"s"}},
			&cli.BoolFlag{Name: flagAklog, Aliases: []string{"t"}},
			&cli.BoolFlag{Name: flagExitOnError, Aliases: []string{"x"}},
			&cli.BoolFlag{Name: flagIgnoreErrors, Aliases: []string{"i"}},
			&cli.BoolFlag{Name: flagSyslog, Aliases: []string{"L"}},
			&cli.BoolFlag{Name: flagVerbose, Aliases: []string{"v"}},
			&cli.BoolFlag{Name: flagQuiet, Aliases: []string{"q"}},
			&cli.BoolFlag{Name: flagForeground},
			&cli.BoolFlag{Name: flagOnce},
			&cli.BoolFlag{Name: flagStatus},
			&cli.BoolFlag{Name: flagJSON},
			&cli.BoolFlag{Name: flagStop},
			&cli.BoolFlag{Name: flagList},
			&cli.StringFlag{Name: flagCommandDir, Hidden: true},
			&cli.BoolFlag{Name: flagShareCache, Hidden: true},
			&cli.StringFlag{Name: flagPrivateCache, Hidden: true},
			&cli.BoolFlag{Name: flagExplicitCache, Hidden: true},
			&cli.BoolFlag{Name: flagSupervise, Hidden: true},
		}),
		Action: action,
	}
}

// withFixedNames gives each flag a Names() computed once. urfave/cli
// rebuilds a flag's names with a regular expression at every lookup, and
// at each start it looks up every flag once per flag (runFlagActions,
// IsSet): for krenew's thirty flags that was about 5,600 allocations and
// half a millisecond of every `krenew --once` (BenchmarkAppRun). The
// wrappers are pointers, since urfave/cli compares flags with ==, and
// embed the concrete flag, so every interface urfave/cli asks a
// flag for is still there; only its help output, which krenew replaces
// with its own usage text, looks for the concrete types.
func withFixedNames(flags []cli.Flag) []cli.Flag {
	out := make([]cli.Flag, len(flags))
	for i, f := range flags {
		out[i] = fixedNames(f)
	}
	return out
}

// fixedNames is withFixedNames for one flag.
func fixedNames(f cli.Flag) cli.Flag {
	switch f := f.(type) {
	case *cli.BoolFlag:
		return &boolFlag{f, flagNames(f.Name, f.Aliases)}
	case *cli.StringFlag:
		return &stringFlag{f, flagNames(f.Name, f.Aliases)}
	}
	panic(fmt.Sprintf("fixedNames: flag type %T", f))
}

// flagNames is what cli.FlagNames returns for krenew's names, which have
// no commas or spaces for its regular expression to cut off.
func flagNames(name string, aliases []string) []string {
	return append([]string{name}, aliases...)
}

type boolFlag struct {
	*cli.BoolFlag
	names []string
}

func (f *boolFlag) Names() []string { return f.names }

type stringFlag struct {
	*cli.StringFlag
	names []string
}

func (f *stringFlag) Names() []string { return f.names }

// flagErrorText rewrites the flag package's messages into krenew's style
// (lowercase, flag named with its dashes).
func flagErrorText(err error) *usageError {
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		// Go's flag package names every option with one dash; say it the
		// way the user typed it.
		name := strings.TrimLeft(rest, "-")
		return unknownOptionUsage(typedAs(name), dashedOrEmpty(nearestFlag(name)))
	}
	if rest, ok := strings.CutPrefix(msg, "flag needs an argument: "); ok {
		return optionNeedsValueUsage(dashed(strings.TrimLeft(rest, "-")))
	}
	if rest, ok := strings.CutPrefix(msg, "Cannot use two forms of the same flag: "); ok {
		if names := strings.Fields(rest); len(names) == 2 {
			return optionTwiceUsage(dashed(names[1]), dashed(names[0]))
		}
	}
	if m := boolValueError.FindStringSubmatch(msg); m != nil {
		return takesNoValueUsage(m[1], dashed(m[2]))
	}
	return &usageError{msg: msg}
}

// commandLine is the command line run is parsing, for typedAs.
var commandLine []string

// typedAs is an option as it appears on the command line: "--name" or
// "-name" (a cluster such as -bZ), else as krenew spells it.
func typedAs(name string) string {
	for _, arg := range commandLine {
		switch {
		case arg == "--":
			return dashed(name)
		case arg == "--"+name || strings.HasPrefix(arg, "--"+name+"="):
			return "--" + name
		case arg == "-"+name || strings.HasPrefix(arg, "-"+name+"="):
			return "-" + name
		}
	}
	return dashed(name)
}

func dashedOrEmpty(name string) string {
	if name == "" {
		return ""
	}
	return dashed(name)
}

// nearestFlag is the option a mistyped name most likely meant: the one a
// single edit or swap away (two for long names), or that it is the start
// of; "" if none or more than one fit as well.
func nearestFlag(typed string) string {
	if len(typed) < 2 {
		return ""
	}
	best, bestDist, ties := "", 3, 0
	for _, f := range getoptFlags {
		if f.long == "" || internalFlag(f.long) {
			continue
		}
		d := editDistance(typed, f.long)
		if strings.HasPrefix(f.long, typed) {
			d = 1
		}
		limit := 1
		if len(typed) >= 5 {
			limit = 2
		}
		switch {
		case d > limit || d > bestDist:
		case d < bestDist:
			best, bestDist, ties = f.long, d, 0
		default:
			ties++
		}
	}
	if ties > 0 {
		return ""
	}
	return best
}

func internalFlag(name string) bool {
	return name == flagCommandDir || name == flagShareCache || name == flagPrivateCache
}

// editDistance counts insertions, deletions, substitutions and swaps of
// neighbours (optimal string alignment).
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

var boolValueError = regexp.MustCompile(`^invalid boolean value (".*") for -+([\w-]+)`)

func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// buildVersion is set by the Makefile's build (-ldflags -X), so that
// `make build` and the .deb and .rpm of `make package` print the version
// the packages carry (VERSION in the Makefile); empty in other builds.
var buildVersion string

// version is buildVersion if set; otherwise it comes from the module's
// build info, so a `go install`ed binary names its release, and a plain go
// build the release in NEWS.md with its commit, if git told the build.
func version() string {
	if buildVersion != "" {
		return buildVersion
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := bi.Main.Version
	if v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	// A plain go build from a checkout or a tarball: the release it is
	// on the way to, as packaging/version.sh names it, never "devel".
	if rev == "" {
		return release
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	v = release + "~git." + rev
	if dirty {
		v += ".dirty"
	}
	return v
}
