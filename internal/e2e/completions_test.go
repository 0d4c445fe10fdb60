package e2e

import (
	"bytes"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	kcli "github.com/krenew/krenew/internal/cli"

	"github.com/krenew/krenew/ccache"
	"github.com/krenew/krenew/internal/ptytest"
)

// The completion tests load completions/ in the real shells and check what
// Tab offers. Each shell reports candidates its own way; completeFunc
// hides that.

// candidate is one word a shell offers, with its description if the shell
// shows one.
type candidate struct {
	word, desc string
}

type completeFunc func(t *testing.T, line string) []candidate

type completionCase struct {
	name string
	// line is what is typed before Tab; {dir} stands for a directory
	// holding the files ccfile and keytab and the directory sub.
	line string
	// want must all be offered; a file matches by its base name.
	want []string
	// only: nothing but want may be offered.
	only bool
	// none: nothing at all may be offered.
	none bool
	// not must not be offered, nor may neverOffered.
	not []string
	// klist: the case needs klist (the default principal).
	klist bool
}

// The default principal of the cache the tests point KRB5CCNAME at.
const completionPrincipal = "alice@EXAMPLE.TEST"

var completionCases = []completionCase{
	{name: "long option prefix", line: "krenew --ke", want: []string{"--keytab", "--keytab-principal"}, only: true},
	{name: "internal option hidden", line: "krenew --com", none: true},
	{name: "more options", line: "krenew --once -", want: []string{"--init", "--cache", "-k"}},
	{name: "keytab file", line: "krenew -f {dir}/", want: []string{"ccfile", "keytab", "sub"}},
	{name: "pidfile", line: "krenew --pidfile {dir}/k", want: []string{"keytab"}, only: true},
	{name: "child pidfile", line: "krenew -c {dir}/cc", want: []string{"ccfile"}, only: true},
	{name: "keytab file after grouped options", line: "krenew -vf {dir}/k", want: []string{"keytab"}, only: true},
	{name: "cache type", line: "krenew -k FI", want: []string{"FILE:"}, only: true},
	{name: "cache types and files", line: "krenew -k ", want: []string{"FILE:", "DIR:", "KEYRING:", "KCM:", "ccfile", "sub"}},
	{name: "keyring collections", line: "krenew -k KEYRING:", want: []string{"persistent:" + strconv.Itoa(os.Getuid()), "session:"}},
	{name: "FILE cache", line: "krenew -k FILE:{dir}/", want: []string{"ccfile", "keytab", "sub"}},
	{name: "DIR cache", line: "krenew --cache=DIR:{dir}/", want: []string{"sub"}, only: true},
	{name: "command after --", line: "krenew -- sl", want: []string{"sleep"}},
	{name: "command as first word", line: "krenew sl", want: []string{"sleep"}, not: []string{"--keytab"}},
	{name: "command after cache", line: "krenew -k FILE:/x -- sl", want: []string{"sleep"}},
	{name: "command's own files", line: "krenew -bk FILE:/x ls {dir}/", want: []string{"ccfile", "keytab", "sub"}},
	{name: "command's own options", line: "krenew -- ls --al", want: []string{"--all"}, not: []string{"--always"}},
	{name: "lifetime", line: "krenew -l ", want: []string{"7d", "14d", "1h"}, not: []string{"ccfile"}},
	{name: "renewable", line: "krenew --renewable=1", want: []string{"14d", "1d", "1h"}, not: []string{"7d"}},
	{name: "interval minutes", line: "krenew -K ", none: true},
	{name: "min-lifetime minutes", line: "krenew --min-lifetime ", none: true},
	{name: "principal", line: "krenew -u ", want: []string{completionPrincipal}, only: true, klist: true},
}

// Never offered: the internal option and the cache types krenew rejects.
var neverOffered = []string{"--command-dir", "-command-dir", "MEMORY:", "API:"}

func TestCompletionBash(t *testing.T) {
	testCompletionBash(t, repoPath(t, filepath.Join("completions", "krenew.bash")))
}

func TestCompletionZsh(t *testing.T) {
	testCompletionZsh(t, repoPath(t, "completions"))
}

func TestCompletionFish(t *testing.T) {
	testCompletionFish(t, repoPath(t, "completions"))
}

// The completion tests take the completion files' place, so that the
// package test runs them on the installed files. script is the bash
// completion file; dir holds _krenew (zsh) or krenew.fish (fish).

func testCompletionBash(t *testing.T, script string) {
	requireTool(t, "bash", "bash")
	const library = "/usr/share/bash-completion/bash_completion"
	if _, err := os.Stat(library); err != nil {
		missing(t, "bash-completion", library)
	}
	s := newCompletionSetup(t)
	harness := repoPath(t, filepath.Join("completions", "testdata", "complete.bash"))
	bash := func(t *testing.T, line string) []candidate {
		t.Helper()
		args := append([]string{"--norc", "--noprofile", harness, script, line}, bashWords(line)...)
		stdout, stderr := s.run(t, "bash", args...)
		for _, l := range strings.Split(stderr, "\n") {
			if l != "" && !strings.HasPrefix(l, "compopt ") {
				t.Fatalf("bash printed an error completing %q:\n%s", line, stderr)
			}
		}
		var got []candidate
		for _, w := range strings.Split(stdout, "\n") {
			if w != "" {
				got = append(got, candidate{word: w})
			}
		}
		return got
	}
	runCompletionCases(t, s, bash)
	t.Run("all options", func(t *testing.T) { checkAllOptions(t, bash(t, "krenew -")) })
}

func testCompletionZsh(t *testing.T, dir string) {
	requireTool(t, "zsh", "zsh")
	s := newCompletionSetup(t)
	env := append(slices.Clone(s.env), "KRENEW_COMPLETIONS="+dir, "TERM=xterm")
	capture := repoPath(t, filepath.Join("completions", "testdata", "capture.zsh"))
	zsh := func(t *testing.T, line string) []candidate {
		t.Helper()
		return zshComplete(t, env, s.dir, capture, line)
	}
	runCompletionCases(t, s, zsh)
	t.Run("all options", func(t *testing.T) { checkAllOptions(t, zsh(t, "krenew -")) })
	t.Run("descriptions", func(t *testing.T) { checkDescriptions(t, zsh(t, "krenew --")) })
}

func testCompletionFish(t *testing.T, dir string) {
	requireTool(t, "fish", "fish")
	s := newCompletionSetup(t)
	// --no-config leaves fish_complete_path empty: krenew.fish is found
	// there by its name, as in an installed vendor_completions.d, and the
	// other commands' completions (ls) in fish's own directory.
	const script = `set -g fish_complete_path $argv[1] $__fish_data_dir/completions; complete -C $argv[2]`
	fish := func(t *testing.T, line string) []candidate {
		t.Helper()
		stdout, stderr := s.run(t, "fish", "--no-config", "-c", script, dir, line)
		if strings.TrimSpace(stderr) != "" {
			t.Fatalf("fish printed an error completing %q:\n%s", line, stderr)
		}
		var got []candidate
		for _, l := range strings.Split(stdout, "\n") {
			if l == "" {
				continue
			}
			word, desc, _ := strings.Cut(l, "\t")
			got = append(got, candidate{word: word, desc: desc})
		}
		return got
	}
	runCompletionCases(t, s, fish)
	t.Run("all options", func(t *testing.T) { checkAllOptions(t, fish(t, "krenew -")) })
	t.Run("descriptions", func(t *testing.T) { checkDescriptions(t, fish(t, "krenew --")) })
}

func runCompletionCases(t *testing.T, s *completionSetup, complete completeFunc) {
	t.Helper()
	for _, c := range completionCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if c.klist {
				requireTool(t, "klist", "krb5-user")
			}
			line := strings.ReplaceAll(c.line, "{dir}", s.dir)
			checkCandidates(t, line, c, complete(t, line))
		})
	}
}

func checkCandidates(t *testing.T, line string, c completionCase, got []candidate) {
	t.Helper()
	offered := map[string]bool{}
	for _, g := range got {
		offered[candidateName(g.word)] = true
	}
	words := slices.Sorted(maps.Keys(offered))
	if c.none && len(got) > 0 {
		t.Fatalf("%q offers %q, want nothing", line, words)
	}
	for _, w := range c.want {
		if !offered[w] {
			t.Errorf("%q does not offer %q; it offers %q", line, w, words)
		}
	}
	if c.only && len(words) != len(c.want) {
		t.Errorf("%q offers %q, want only %q", line, words, c.want)
	}
	for _, w := range append(c.not, neverOffered...) {
		if offered[w] {
			t.Errorf("%q offers %q; it must not", line, w)
		}
	}
}

// candidateName is what a case names a candidate by: a value without the
// --option= fish repeats, and files by their base name (shells offer them
// as typed, as full paths or as base names) after any cache type prefix,
// and keyring collections without the KEYRING: before them.
func candidateName(word string) string {
	if strings.HasPrefix(word, "--") {
		if _, value, found := strings.Cut(word, "="); found {
			word = value
		}
	}
	// fish repeats the KEYRING: a keyring collection follows; the other
	// shells complete only after the colon.
	if rest, ok := strings.CutPrefix(word, "KEYRING:"); ok && rest != "" {
		word = rest
	}
	if strings.HasSuffix(word, ":") {
		return word
	}
	_, rest, found := strings.Cut(word, ":")
	if found && (strings.HasPrefix(rest, "/") || rest == "") {
		word = rest
	}
	trimmed := strings.TrimSuffix(word, "/")
	if strings.Contains(trimmed, "/") {
		return path.Base(trimmed)
	}
	return trimmed
}

// checkAllOptions compares the options a shell offers for "-" with the
// app's visible flags, so a flag added to app.go without a completion, or
// the other way round, fails here.
func checkAllOptions(t *testing.T, got []candidate) {
	t.Helper()
	var offered []string
	for _, g := range got {
		// zsh also offers "--" to end the options.
		if strings.HasPrefix(g.word, "-") && g.word != "-" && g.word != "--" {
			offered = append(offered, g.word)
		}
	}
	offered = sortedUnique(offered)
	if want := visibleOptions(t); !slices.Equal(offered, want) {
		t.Errorf("offered options differ from the app's flags\noffered: %q\napp:     %q", offered, want)
	}
}

func visibleOptions(t *testing.T) []string {
	t.Helper()
	app := kcli.App()
	app.Setup() // adds --help and --version
	var opts []string
	for _, f := range app.Flags {
		if v, ok := f.(cli.VisibleFlag); ok && !v.IsVisible() {
			continue
		}
		for _, n := range f.Names() {
			if len(n) == 1 {
				opts = append(opts, "-"+n)
			} else {
				opts = append(opts, "--"+n)
			}
		}
	}
	if len(opts) < 20 {
		t.Fatalf("app has only %d options: %q", len(opts), opts)
	}
	return sortedUnique(opts)
}

// usageOption is an option line of kcli.Usage: "-u, --principal NAME
// description" (the short name and the value are optional).
var usageOption = regexp.MustCompile(`^\s+(?:-\w, )?\s*(--[a-z-]+)(?: [A-Z]+)?\s{2,}(\S.*)$`)

// checkDescriptions checks that each long option a shell offers has a
// description and that it is the start of --help's description, so the
// two say the same thing.
func checkDescriptions(t *testing.T, got []candidate) {
	t.Helper()
	usage := map[string]string{}
	for _, l := range strings.Split(kcli.Usage, "\n") {
		if m := usageOption.FindStringSubmatch(l); m != nil {
			usage[m[1]] = m[2]
		}
	}
	seen := 0
	for _, g := range got {
		if !strings.HasPrefix(g.word, "--") || g.word == "--" {
			continue
		}
		seen++
		help, ok := usage[g.word]
		if !ok {
			t.Errorf("%s is offered but not in --help", g.word)
			continue
		}
		// zsh shows "--keytab  -- description".
		desc := g.desc
		if _, after, found := strings.Cut(desc, " -- "); found {
			desc = after
		}
		desc = strings.TrimSpace(desc)
		if desc == "" || !strings.HasPrefix(help, desc) {
			t.Errorf("%s is described as %q; --help says %q", g.word, desc, help)
		}
	}
	if seen < 20 {
		t.Errorf("only %d long options offered with descriptions: %q", seen, got)
	}
}

// zshComplete types line and Tab into an interactive zsh on a pty and
// returns what capture.zsh printed for that completion.
func zshComplete(t *testing.T, env []string, dir, capture, line string) []candidate {
	t.Helper()
	p := ptytest.Open(t)
	cmd := exec.Command("zsh", "-f", "-i")
	cmd.Env = env
	cmd.Dir = dir
	p.Start(t, cmd)
	p.Write(t, "source "+capture+"\n")
	// The prompt capture.zsh sets shows that the line editor reads keys.
	p.Expect(t, "capture> ", shellTimeout)
	p.Write(t, line+"\t")
	out := p.Expect(t, ">>>", shellTimeout)
	start := strings.LastIndex(out, "<<<")
	end := strings.LastIndex(out, ">>>")
	if start < 0 || end < start {
		t.Fatalf("zsh did not bracket the completion of %q; the terminal showed %q", line, out)
	}
	var got []candidate
	for _, l := range strings.Split(out[start:end], "\n") {
		l = strings.TrimRight(l, "\r")
		if rest, ok := strings.CutPrefix(l, "candidate:"); ok {
			word, desc, _ := strings.Cut(rest, "\t")
			got = append(got, candidate{word: word, desc: desc})
		} else if strings.Contains(l, "_krenew") || strings.Contains(l, "command not found") {
			t.Errorf("zsh printed an error completing %q: %q", line, l)
		}
	}
	return got
}

// bashWords splits line as readline does before it calls a completion
// function: at blanks, and at the COMP_WORDBREAKS characters the test
// lines use (= and :), which become words of their own. A line ending in
// a blank has an empty word last.
func bashWords(line string) []string {
	var words []string
	for _, field := range strings.Split(line, " ") {
		var cur strings.Builder
		inBreak := false
		for _, r := range field {
			isBreak := r == '=' || r == ':'
			if isBreak != inBreak && cur.Len() > 0 {
				words = append(words, cur.String())
				cur.Reset()
			}
			inBreak = isBreak
			cur.WriteRune(r)
		}
		words = append(words, cur.String())
	}
	return words
}

func TestCompletionBashWords(t *testing.T) {
	for line, want := range map[string][]string{
		"krenew --ke":               {"krenew", "--ke"},
		"krenew -K ":                {"krenew", "-K", ""},
		"krenew --cache=DIR:/d/":    {"krenew", "--cache", "=", "DIR", ":", "/d/"},
		"krenew -k FILE:/x -- sl":   {"krenew", "-k", "FILE", ":", "/x", "--", "sl"},
		"krenew --renewable=1":      {"krenew", "--renewable", "=", "1"},
		"krenew -k FILE::/x":        {"krenew", "-k", "FILE", "::", "/x"},
		"krenew --renewable=":       {"krenew", "--renewable", "="},
		"krenew --cache=FILE:/d/ x": {"krenew", "--cache", "=", "FILE", ":", "/d/", "x"},
	} {
		if got := bashWords(line); !slices.Equal(got, want) {
			t.Errorf("bashWords(%q) = %q, want %q", line, got, want)
		}
	}
}

// completionSetup is what every shell runs with: a working directory
// holding the files ccfile and keytab and the directory sub (so file
// completion has known answers, and a case that must offer no files would
// show them if it did), and an environment whose KRB5CCNAME names a cache
// with a known default principal.
type completionSetup struct {
	dir string
	env []string
}

func newCompletionSetup(t *testing.T) *completionSetup {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"ccfile", "keytab"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	cache := filepath.Join(home, "krb5cc")
	c := &ccache.Cache{DefaultPrincipal: ccache.Principal{
		NameType: ccache.NameTypePrincipal, Realm: "EXAMPLE.TEST", Components: []string{"alice"},
	}}
	if err := os.WriteFile(cache, c.Marshal(), 0o600); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "KRB5") && !strings.HasPrefix(name, "XDG_") && !strings.HasPrefix(name, "LC_") &&
			name != "HOME" && name != "LANG" && name != "TERM" {
			env = append(env, kv)
		}
	}
	env = append(env, "KRB5CCNAME=FILE:"+cache, "KRB5_CONFIG=/dev/null", "HOME="+home,
		"XDG_CONFIG_HOME="+filepath.Join(home, "config"), "XDG_DATA_HOME="+filepath.Join(home, "data"),
		"XDG_CACHE_HOME="+filepath.Join(home, "cache"), "LC_ALL=C.UTF-8")
	return &completionSetup{dir: dir, env: env}
}

// run runs a shell non-interactively and returns its output; a failure or
// a hang fails the test.
func (s *completionSetup) run(t *testing.T, name string, args ...string) (stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = s.env
	cmd.Dir = s.dir
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s %q: %v\nstdout:\n%s\nstderr:\n%s", name, args, err, out.String(), errOut.String())
		}
	case <-time.After(shellTimeout):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("%s %q still running after %v, killed\nstdout:\n%s\nstderr:\n%s",
			name, args, shellTimeout, out.String(), errOut.String())
	}
	return out.String(), errOut.String()
}

// shellTimeout bounds one completion; they take well under a second.
const shellTimeout = 10 * time.Second

// requireTool finds a program the completion tests need. Missing, it
// fails the test in CI (which must install it) and skips it elsewhere.
func requireTool(t *testing.T, program, pkg string) {
	t.Helper()
	if _, err := exec.LookPath(program); err != nil {
		missing(t, pkg, program)
	}
}

// repoPath is the absolute path of a file of the repository, for shells
// that run elsewhere.
func repoPath(t *testing.T, rel string) string {
	t.Helper()
	p, err := filepath.Abs(rel)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func sortedUnique(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}
