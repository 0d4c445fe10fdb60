package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/krenew/krenew/internal/testkdc"
)

// Issue 16, points 1 and 3, as a fault test: a hostile neighbour in a
// shared directory. mallory (uid malloryUID: a file chowned to a uid is
// that user's, no account is needed) plants caches holding her own
// ticket, collection directories and primary files where the victim's
// krenew looks, and links to files only the victim can read. Every
// attack must be refused before any prompt (there is no terminal: a
// prompt would be a "no terminal" error instead), with one error line
// naming the file and what is wrong with it and a hint, and nothing may
// change in the shared directory. The victim is nobody, and root for the
// attacks on root; so the test needs root, which CI has.
//
// Root may use another user's cache it named with -k (sudo krenew -k
// FILE:/home/alice/cc), not one from KRB5CCNAME or the defaults: the last
// runs check that judgement.

// malloryUID owns what the attacker plants; no user has it.
const malloryUID = 4242

// neighbourModes are the ways a victim runs krenew on the planted cache;
// KEYTAB stands for a keytab of svc the victim may read.
var neighbourModes = [][]string{
	{},
	{"--once"},
	{"--status"},
	{"--foreground"},
	{"--", "true"},
	{"--init", "--password-stdin"},
	{"--foreground", "-f", "KEYTAB", "-u", svc},
}

// neighbourAttack is one planted thing and how the victim comes to use it.
type neighbourAttack struct {
	name   string
	shared string   // the directory it is planted in, which must not change
	root   bool     // the victim is root, not nobody
	env    []string // how the victim names the cache (KRB5CCNAME=...)
	args   []string // or -k ...
	want   []string // fragments of the one error line
	secret string   // must not appear in the output
}

func TestFaultHostileNeighbours(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("needs root to play two users; CI runs the tests as root")
		}
		t.Skip("needs root to play two users (the victim runs as nobody, the attacker's files are chowned)")
	}
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	k.AddPrincipal(t, carol, carolPassword) // mallory's principal
	var fc faultCounts
	defer fc.report(t)

	base, err := os.MkdirTemp("", "krenew-neighbours-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	bin, conf := filepath.Join(base, "krenew"), filepath.Join(base, "krb5.conf")
	copyFile(t, krenewBin, bin, 0o755)
	copyFile(t, k.Krb5Conf, conf, 0o644)
	env := append(k.Env(), "LC_ALL=C", "KRB5_CONFIG="+conf)
	keytab := filepath.Join(base, "svc.keytab")
	copyFile(t, k.AddKeytab(t, svc), keytab, 0o600)
	own(t, keytab, nobody)

	// The victim's secret, readable by the victim alone.
	secret := filepath.Join(base, "secret")
	if err := os.WriteFile(secret, []byte("hunter2-victims-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	own(t, secret, nobody)

	// shared is one /tmp per attack: sticky and world-writable.
	n := 0
	shared := func() string {
		n++
		d := filepath.Join(base, "tmp"+strconv.Itoa(n))
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d, os.ModeSticky|0o777); err != nil {
			t.Fatal(err)
		}
		return d
	}
	// plant puts mallory's own ticket at path, owned by uid with mode.
	plant := func(path string, uid int, mode os.FileMode) {
		mitKinit(t, k, "FILE:"+path, carol, carolPassword, "-l", "1h", "-r", "2h")
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		own(t, path, uid)
	}
	mkdir := func(path string, uid int, mode os.FileMode) {
		if err := os.Mkdir(path, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		own(t, path, uid)
	}
	write := func(path, content string, uid int, mode os.FileMode) {
		if err := os.WriteFile(path, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		own(t, path, uid)
	}

	var attacks []neighbourAttack
	// Point 1: mallory's cache where the victim's cache will be.
	for _, mode := range []os.FileMode{0o644, 0o600, 0o666} {
		d := shared()
		cc := filepath.Join(d, "krb5cc_65534")
		plant(cc, malloryUID, mode)
		want := []string{"refusing credential cache FILE:" + cc, "uid 4242"}
		attacks = append(attacks,
			neighbourAttack{name: fmt.Sprintf("planted FILE cache, mode %04o, from KRB5CCNAME", mode), shared: d, env: []string{"KRB5CCNAME=FILE:" + cc}, want: want},
			neighbourAttack{name: fmt.Sprintf("planted FILE cache, mode %04o, with -k", mode), shared: d, args: []string{"-k", "FILE:" + cc}, want: want})
	}
	{
		// A whole collection of mallory's.
		d := shared()
		dir := filepath.Join(d, "krb5cc_dir")
		mkdir(dir, malloryUID, 0o755)
		write(filepath.Join(dir, "primary"), "tkt\n", malloryUID, 0o644)
		plant(filepath.Join(dir, "tkt"), malloryUID, 0o644)
		want := []string{"refusing credential cache directory " + dir, "uid 4242"}
		attacks = append(attacks,
			neighbourAttack{name: "planted DIR collection", shared: d, env: []string{"KRB5CCNAME=DIR:" + dir}, want: want},
			neighbourAttack{name: "planted DIR collection, one cache", shared: d, args: []string{"-k", "DIR::" + filepath.Join(dir, "tkt")}, want: want})
	}
	{
		// The victim's own collection directory, but world-writable,
		// and mallory filled it.
		d := shared()
		dir := filepath.Join(d, "krb5cc_dir")
		mkdir(dir, nobody, 0o777)
		write(filepath.Join(dir, "primary"), "tkt\n", malloryUID, 0o644)
		plant(filepath.Join(dir, "tkt"), malloryUID, 0o644)
		attacks = append(attacks, neighbourAttack{name: "world-writable DIR collection", shared: d, env: []string{"KRB5CCNAME=DIR:" + dir},
			want: []string{"refusing credential cache directory " + dir, "mode 0777"}})
	}
	{
		// The victim's own directory, with mallory's primary and cache in
		// it (only root could put them there; they are refused all the
		// same).
		d := shared()
		dir := filepath.Join(d, "krb5cc_dir")
		mkdir(dir, nobody, 0o700)
		write(filepath.Join(dir, "primary"), "tktmallory\n", malloryUID, 0o644)
		plant(filepath.Join(dir, "tktmallory"), malloryUID, 0o644)
		attacks = append(attacks, neighbourAttack{name: "another user's primary file", shared: d, env: []string{"KRB5CCNAME=DIR:" + dir},
			want: []string{"refusing " + filepath.Join(dir, "primary"), "uid 4242"}})
	}
	// Point 3: a primary file that is a link to the victim's secret, in
	// mallory's directory and in the victim's own.
	for _, owner := range []int{malloryUID, nobody} {
		d := shared()
		dir := filepath.Join(d, "krb5cc_dir")
		mkdir(dir, owner, 0o755)
		if err := os.Symlink(secret, filepath.Join(dir, "primary")); err != nil {
			t.Fatal(err)
		}
		own(t, filepath.Join(dir, "primary"), owner)
		want := []string{"refusing " + filepath.Join(dir, "primary"), "symbolic link"}
		if owner == malloryUID {
			want = []string{"refusing credential cache directory " + dir, "uid 4242"}
		}
		attacks = append(attacks, neighbourAttack{name: fmt.Sprintf("primary file linked to a secret, directory of uid %d", owner), shared: d,
			env: []string{"KRB5CCNAME=DIR:" + dir}, want: want, secret: "hunter2"})
	}
	{
		// A collection directory that is mallory's link to the victim's
		// own directory: krenew would write there on her say-so.
		d := shared()
		target := filepath.Join(base, "victims-dir")
		mkdir(target, nobody, 0o700)
		link := filepath.Join(d, "krb5cc_dir")
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
		own(t, link, malloryUID)
		attacks = append(attacks, neighbourAttack{name: "collection directory that is a link", shared: d, env: []string{"KRB5CCNAME=DIR:" + link},
			want: []string{"refusing credential cache directory " + link, "symbolic link"}})
	}
	// Root is a victim too: a cache in /tmp not owned by root is refused
	// unless root named it with -k, and a world-writable one even then.
	{
		d := shared()
		cc := filepath.Join(d, "krb5cc_0")
		plant(cc, malloryUID, 0o644)
		attacks = append(attacks, neighbourAttack{name: "planted cache for root, from KRB5CCNAME", shared: d, root: true,
			env: []string{"KRB5CCNAME=FILE:" + cc}, want: []string{"refusing credential cache FILE:" + cc, "uid 4242", "not by uid 0 (root)"}})
		d = shared()
		cc = filepath.Join(d, "krb5cc_0")
		plant(cc, malloryUID, 0o666)
		attacks = append(attacks, neighbourAttack{name: "world-writable cache for root, with -k", shared: d, root: true,
			args: []string{"-k", "FILE:" + cc}, want: []string{"refusing credential cache FILE:" + cc, "mode 0666"}})
	}

	for _, a := range attacks {
		t.Logf("attack: %s", a.name)
		for _, mode := range neighbourModes {
			fc.run()
			fc.inject()
			before := neighbourSnapshot(a.shared)
			args := append([]string{}, a.args...)
			for _, m := range mode {
				args = append(args, strings.ReplaceAll(m, "KEYTAB", keytab))
			}
			code, out, err := neighbourExec(env, a.env, a.root, bin, base, "not-the-password\n", args...)
			if v := faultVerdict(code, out, err, 1); v != "" {
				fc.fail("%s, krenew %q: %s", a.name, args, v)
				continue
			}
			line := errorLine(out)
			for _, w := range a.want {
				if !strings.Contains(line, w) {
					fc.fail("%s, krenew %q: the error lacks %q:\n%s", a.name, args, w, out)
				}
			}
			if !strings.Contains(out, "krenew: hint: ") {
				fc.fail("%s, krenew %q: no hint:\n%s", a.name, args, out)
			}
			if a.secret != "" && strings.Contains(out, a.secret) {
				fc.fail("%s, krenew %q: the victim's secret is in the output:\n%s", a.name, args, out)
			}
			if after := neighbourSnapshot(a.shared); after != before {
				fc.fail("%s, krenew %q changed the shared directory:\nbefore:\n%s\nafter:\n%s", a.name, args, before, after)
			}
		}
	}
	t.Logf("%d attacks, %d runs", len(attacks), len(attacks)*len(neighbourModes))

	// The judgement: root renews another user's private cache it named
	// with -k, and the cache stays that user's.
	fc.run()
	d := shared()
	cc := filepath.Join(d, "krb5cc_4242")
	plant(cc, malloryUID, 0o600)
	code, out, err := neighbourExec(env, nil, true, bin, base, "", "--once", "-k", "FILE:"+cc)
	if err != nil || code != 0 {
		fc.fail("root's krenew --once -k on a user's cache: exit %d, %v:\n%s", code, err, out)
	}
	if fi, err := os.Lstat(cc); err != nil || fi.Sys().(*syscall.Stat_t).Uid != malloryUID {
		fc.fail("root's --once -k gave the user's cache another owner: %v", err)
	}
	if err := faultKlist(env, "FILE:"+cc); err != nil {
		fc.fail("after root's --once -k: %v", err)
	}
}

func own(t *testing.T, path string, uid int) {
	t.Helper()
	if err := os.Lchown(path, uid, uid); err != nil {
		t.Fatal(err)
	}
}

func errorLine(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "krenew: error: ") {
			return l
		}
	}
	return ""
}

// neighbourSnapshot is faultDirSnapshot with owners and contents: a
// refused run changes nothing, not even an owner.
func neighbourSnapshot(dir string) string {
	var b strings.Builder
	b.WriteString(faultDirSnapshot(dir))
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return nil
		}
		fmt.Fprintf(&b, "%s uid %d\n", p, fi.Sys().(*syscall.Stat_t).Uid)
		if fi.Mode().IsRegular() {
			c, _ := os.ReadFile(p)
			fmt.Fprintf(&b, "%s %x\n", p, c)
		}
		return nil
	})
	return b.String()
}

// neighbourExec runs krenew as the victim: nobody, or root. A run that
// wrongly starts a daemon gets it killed here, so that a failing test
// leaves nothing behind.
func neighbourExec(env, extra []string, root bool, bin, dir, stdin string, args ...string) (int, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(append([]string{}, env...), extra...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if !root {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: nobody, Gid: nobody}
	}
	cmd.WaitDelay = 2 * time.Second
	runErr := cmd.Run()
	if m := detachedPid.FindStringSubmatch(out.String()); m != nil {
		if pid, _ := strconv.Atoi(m[1]); pid > 0 {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	if ctx.Err() != nil {
		return -1, out.String(), errors.New("still running after 30s: it adopted the cache")
	}
	code, err := exitStatus(runErr)
	return code, out.String(), err
}
