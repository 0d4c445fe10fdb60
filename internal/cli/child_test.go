package cli

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/krenew/krenew/ccache"
)

// parseArgs is main's parsing, in process, as the user's krenew or as
// the detached child.
func parseArgs(t *testing.T, child bool, args ...string) *options {
	t.Helper()
	var opts *options
	app := newApp(func(c *cli.Context) error {
		o, err := parseOptions(c, child)
		opts = o
		return err
	})
	expanded, err := expandShortOptions(args)
	if err != nil {
		t.Fatalf("%q: %v", args, err)
	}
	if err := app.Run(append([]string{"krenew"}, expanded...)); err != nil {
		t.Fatalf("%q: %v", args, err)
	}
	return opts
}

// carried is what the detached child must get from its parent's options;
// how each was given (-K or --interval, a relative -p) may differ.
func carried(o *options) map[string]any {
	kt, _ := o.keytabPath()
	return map[string]any{
		"lifetime": o.lifetime, "renewable": o.renewable, "keytab": kt, "interval": o.interval,
		"minLifetime": o.minLifetime, "always": o.always, "exitOnError": o.exitOnError,
		"ignoreErrors": o.ignoreErrors, "syslog": o.syslog, "verbose": o.verbose, "aklog": o.aklog,
		"waitLock": o.waitLock, "pidfile": absOrEmpty(o.pidfile), "childPidfile": absOrEmpty(o.childPidfile),
		"hupChild": o.hupChild, "command": o.command, "shareCache": o.shareCache,
		"explicitCache": o.explicitCache,
	}
}

func absOrEmpty(p string) string {
	if p == "" {
		return ""
	}
	return absPath(p)
}

// parse(childArgs(o)) == o for what the child needs: a flag the parent
// forgets to pass on is a daemon that behaves differently from the
// foreground run the user tested.
func TestChildArgsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	kt := filepath.Join(dir, "svc.keytab")
	if err := os.WriteFile(kt, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s := &session{cacheName: ccache.Name{Type: "FILE", Residual: filepath.Join(dir, "cc"), Path: filepath.Join(dir, "cc")}}
	alice := ccache.Principal{Realm: "R", Components: []string{"alice"}}
	daemonLines := [][]string{
		{"-b"},
		{"-b", "-l", "10h", "-r", "3d", "-K", "30", "-H", "20", "-a", "-x", "-v", "-p", "rel.pid"},
		{"-b", "-i", "-L", "-t", "--wait-lock"},
		{"-bK", "60", "-f", kt, "-u", "svc/host"},
		{"-b", "-k", "FILE:" + filepath.Join(dir, "named")},
	}
	for _, args := range daemonLines {
		parent := parseArgs(t, false, args...)
		childArgs := daemonArgs(s, parent, alice)
		child := parseArgs(t, true, childArgs...)
		if got, want := carried(child), carried(parent); !reflect.DeepEqual(got, want) {
			t.Errorf("krenew %q: the child (%q) got\n%v\nwant\n%v", args, childArgs, got, want)
		}
		if child.principal != alice.String() || child.cache != s.cacheName.String() {
			t.Errorf("krenew %q: the child renews %s in %s", args, child.principal, child.cache)
		}
	}
	commandLines := [][]string{
		{"-b", "--", "sleep", "60"},
		{"-b", "-c", "child.pid", "-s", "-K", "5", "--", "./job", "--flag"},
		{"-b", "-k", "FILE:" + filepath.Join(dir, "shared"), "--", "true"},
	}
	for _, args := range commandLines {
		parent := parseArgs(t, false, args...)
		childArgs := commandDaemonArgs(s, parent, alice)
		child := parseArgs(t, true, childArgs...)
		want := carried(parent)
		if cmd := parent.command; len(cmd) > 0 && filepath.Base(cmd[0]) != cmd[0] {
			want["command"] = append([]string{absPath(cmd[0])}, cmd[1:]...)
		}
		if got := carried(child); !reflect.DeepEqual(got, want) {
			t.Errorf("krenew %q: the child (%q) got\n%v\nwant\n%v", args, childArgs, got, want)
		}
		if wd, _ := os.Getwd(); child.commandDir != wd {
			t.Errorf("krenew %q: the child runs the command in %q, want %q", args, child.commandDir, wd)
		}
	}
}

// The fresh krenew that takes over after a prompt (execWithoutPassword)
// must behave as the process it replaces would have: parse(freshArgs) ==
// the user's options, read the way main reads them (optionsFrom).
func TestFreshExecArgsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s := &session{cacheName: ccache.Name{Type: "FILE", Residual: filepath.Join(dir, "cc"), Path: filepath.Join(dir, "cc")}}
	alice := ccache.Principal{Realm: "R", Components: []string{"alice"}}
	lines := [][]string{
		{"--", "sleep", "60"},
		{"-q", "-c", "child.pid", "-s", "-K", "5", "-p", "rel.pid", "--", "./job", "--flag"},
		{"-k", "FILE:" + filepath.Join(dir, "shared"), "-v", "-t", "-x", "--", "true"},
		{"--foreground", "-l", "10h", "-r", "3d", "-p", "rel.pid", "-q"},
		{"-K", "30", "-H", "20", "-a", "-i", "-L"},
		{"--foreground", "--wait-lock", "-H", "20"},
	}
	for _, args := range lines {
		parent := parseArgs(t, false, args...)
		var childArgs []string
		if parent.mode == modeCommand {
			childArgs = freshArgs(parent, commandDaemonArgs(s, parent, alice))
		} else {
			childArgs = freshArgs(parent, append(daemonArgs(s, parent, alice), "--"+flagForeground))
		}
		var child *options
		app := newApp(func(c *cli.Context) error {
			o, err := optionsFrom(c)
			child = o
			return err
		})
		expanded, err := expandShortOptions(childArgs)
		if err != nil {
			t.Fatal(err)
		}
		if err := app.Run(append([]string{"krenew"}, expanded...)); err != nil {
			t.Fatalf("krenew %q: the fresh krenew's %q: %v", args, childArgs, err)
		}
		want := carried(parent)
		if cmd := parent.command; len(cmd) > 0 && filepath.Base(cmd[0]) != cmd[0] {
			want["command"] = append([]string{absPath(cmd[0])}, cmd[1:]...)
		}
		want["mode"], want["foreground"], want["quiet"] = parent.mode, parent.foreground, parent.quiet
		got := carried(child)
		got["mode"], got["foreground"], got["quiet"] = child.mode, child.foreground, child.quiet
		if !reflect.DeepEqual(got, want) {
			t.Errorf("krenew %q: the fresh krenew (%q) got\n%v\nwant\n%v", args, childArgs, got, want)
		}
		if !child.supervise || child.principal != alice.String() || child.cache != s.cacheName.String() {
			t.Errorf("krenew %q: the fresh krenew (supervise %v) keeps %s in %s", args, child.supervise, child.principal, child.cache)
		}
	}
}
