package cli

import "strings"

// getoptFlag is one krenew option as expandShortOptions sees it: its
// letter (0 if it has none), its long name, and whether it takes a value.
// The table must agree with the flags in newApp (app.go): a cli.StringFlag
// takes a value, a cli.BoolFlag does not. TestGetoptTableMatchesApp checks it.
type getoptFlag struct {
	short byte
	long  string
	value bool
}

var getoptFlags = []getoptFlag{
	{'u', flagPrincipal, true},
	{'l', flagLifetime, true},
	{'r', flagRenewable, true},
	{'f', flagKeytab, true},
	{'U', flagKeytabPrincipal, false},
	{0, flagPasswordStdin, false},
	{0, flagInit, false},
	{0, flagWaitLock, false},
	{'k', flagCache, true},
	{'K', flagInterval, true},
	{'H', flagMinLifetime, true},
	{'a', flagAlways, false},
	{'b', flagBackground, false},
	{'p', flagPidfile, true},
	{'c', flagChildPidfile, true},
	{'s', flagHupChild, false},
	{'t', flagAklog, false},
	{'x', flagExitOnError, false},
	{'i', flagIgnoreErrors, false},
	{'L', flagSyslog, false},
	{'v', flagVerbose, false},
	{'q', flagQuiet, false},
	{0, flagForeground, false},
	{0, flagOnce, false},
	{0, flagStatus, false},
	{0, flagStop, false},
	{0, flagList, false},
	{0, flagJSON, false},
	{0, flagCommandDir, true},
	{0, "share-cache", false},    // internal
	{0, "private-cache", true},   // internal
	{0, "explicit-cache", false}, // internal
	{0, "supervise", false},      // internal
	{'h', "help", false},         // cli.HelpFlag, set in newApp
	{0, "version", false},        // cli.VersionFlag, set in newApp
}

// getoptShort and getoptLong index getoptFlags by letter and by long name.
var getoptShort, getoptLong = func() (map[byte]getoptFlag, map[string]getoptFlag) {
	short, long := map[byte]getoptFlag{}, map[string]getoptFlag{}
	for _, f := range getoptFlags {
		if f.short != 0 {
			short[f.short] = f
		}
		long[f.long] = f
	}
	return short, long
}()

// expandShortOptions rewrites getopt-style short options into the separate
// words urfave/cli parses, so that kstart's krenew and k5start command lines
// keep working: a value attached to its letter (-H5, -kFILE:/tmp/x) becomes
// two words (-H 5), and a cluster (-bK60, -qUf kt) becomes one word per
// letter, the value-taking letter's value being the rest of the word or else
// the next word, as getopt(3) does. As with kstart's "+" (POSIXLY_CORRECT)
// getopt, options end at "--" or at the first word that is not an option,
// and that word and everything after it are copied unchanged, so that they
// reach the command. Long options (--cache, --cache=x, and Go's one-dash
// -cache) and every word that is the value of an option are copied
// unchanged. A cluster with a letter krenew does not know is copied
// unchanged, with everything after it, for urfave/cli to report as an
// unknown option; a value-taking letter at the end of args is left for
// urfave/cli to report as needing a value.
//
// The one error is for k5start's -i INSTANCE: in krenew -i is
// --ignore-errors, so "-u alice -i admin" would run "admin" as a command;
// after -u, an -i followed by a word that is not an option is a usage
// error suggesting the principal alice/admin instead.
//
// args is os.Args[1:]. The result of an already expanded args is args
// itself.
func expandShortOptions(args []string) ([]string, error) {
	out := make([]string, 0, len(args)+2)
	principal, principalSet := "", false
	for i := 0; i < len(args); i++ {
		w := args[i]
		if w == "--" || w == "-" || !strings.HasPrefix(w, "-") {
			return append(out, args[i:]...), nil
		}
		if name, ok := longOptionName(w); ok {
			out = append(out, w)
			name, val, hasValue := strings.Cut(name, "=")
			f, known := getoptLong[name]
			if known && f.value && !hasValue && i+1 < len(args) {
				i++
				val, hasValue = args[i], true
				out = append(out, val)
			}
			if known && name == flagPrincipal && hasValue {
				principal, principalSet = val, true
			}
			continue
		}
		cluster := w[1:]
		if f, ok := getoptShort[cluster[0]]; ok && !f.value && len(cluster) > 1 && cluster[1] == '=' {
			// Go's -a=false: urfave/cli's form, not getopt's.
			out = append(out, w)
			continue
		}
		var words []string
		endsWithI := false
		for j := 0; j < len(cluster); j++ {
			f, ok := getoptShort[cluster[j]]
			if !ok {
				// Unknown letter (or '=' after a boolean one):
				// urfave/cli reports it at this word.
				return append(out, args[i:]...), nil
			}
			words = append(words, "-"+string(f.short))
			if !f.value {
				endsWithI = j == len(cluster)-1 && f.short == 'i'
				continue
			}
			val, hasValue := cluster[j+1:], false
			if val != "" {
				// -K=60 is Go's form of -K 60; keep it meaning that.
				val, hasValue = strings.TrimPrefix(val, "="), true
				words = append(words, val)
			} else if i+1 < len(args) {
				i++
				val, hasValue = args[i], true
				words = append(words, val)
			}
			if f.short == 'u' && hasValue {
				principal, principalSet = val, true
			}
			break
		}
		out = append(out, words...)
		if endsWithI && principalSet && i+1 < len(args) {
			if next := args[i+1]; next != "" && next[0] != '-' {
				return nil, instanceUsage(withInstance(principal, next))
			}
		}
	}
	return out, nil
}

// longOptionName returns the name (with any "=value") of a long option:
// --name, or -name when name is one of krenew's long options (Go's flag
// package takes one dash too, so -cache has always meant --cache).
func longOptionName(w string) (string, bool) {
	if rest, ok := strings.CutPrefix(w, "--"); ok {
		return rest, true
	}
	rest := w[1:]
	name, _, _ := strings.Cut(rest, "=")
	if _, ok := getoptLong[name]; ok && len(name) > 1 {
		return rest, true
	}
	return "", false
}

// withInstance puts instance into principal before its realm:
// alice@EXAMPLE.ORG and admin give alice/admin@EXAMPLE.ORG.
func withInstance(principal, instance string) string {
	if at := strings.LastIndexByte(principal, '@'); at >= 0 {
		return principal[:at] + "/" + instance + principal[at:]
	}
	return principal + "/" + instance
}
