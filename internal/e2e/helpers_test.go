package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/krenew/krenew/internal/ptytest"
	"github.com/krenew/krenew/internal/testkcm"
	"github.com/krenew/krenew/internal/testkdc"
	"golang.org/x/sys/unix"
)

// krenewBin is the binary under test, built once by TestMain. Tests always
// run it by path: kstart's own krenew may be on PATH.
var krenewBin string

func TestMain(m *testing.M) {
	if path := os.Getenv("KRENEW_TEST_SIGNAL_COUNTER"); path != "" {
		os.Exit(signalCounter(path))
	}
	if os.Getenv(lockHolderEnv) != "" {
		os.Exit(holdInheritedLock())
	}
	// The tests name repository files (man/, completions/, testdata) as
	// they are seen from the top, and build the command there.
	if err := os.Chdir(filepath.Join("..", "..")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "krenew-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	krenewBin = filepath.Join(dir, "krenew")
	// The race detector needs cgo, so this is not quite the shipped
	// binary (shippedBinary is), but it is built from the same code.
	tags, err := makefileVariable("BUILDTAGS")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	build := exec.Command("go", "build", "-race", "-tags", tags, "-o", krenewBin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building krenew:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// longTest skips a test that waits on real time (tickets expiring,
// renewable lifetimes running out, KDC outages) for ten seconds or more
// under -short, the fast loop of `make quick`. CI runs without -short, so
// these never skip there.
func longTest(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("waits on real time for ten seconds or more; not with -short")
	}
}

type result struct {
	stdout, stderr string
	code           int
}

// errorLines are the "krenew: error:" lines; the standard says a failure
// is exactly one of them.
func (r result) errorLines() []string {
	var out []string
	for _, l := range strings.Split(r.stderr, "\n") {
		if strings.HasPrefix(l, "krenew: error: ") {
			out = append(out, l)
		}
	}
	return out
}

// krenew runs the built binary against the KDC (env from k, or a plain
// environment when k is nil) in a new session, so that it never finds the
// developer's terminal: a prompt must come from --password-stdin.
func krenew(t *testing.T, k *testkdc.KDC, stdin string, args ...string) result {
	t.Helper()
	return krenewEnv(t, k, nil, stdin, args...)
}

func krenewEnv(t *testing.T, k *testkdc.KDC, extraEnv []string, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, krenewBin, args...)
	if k != nil {
		cmd.Env = k.Env()
	} else {
		cmd.Env = os.Environ()
	}
	cmd.Env = append(cmd.Env, "LC_ALL=C")
	cmd.Env = append(cmd.Env, extraEnv...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errOut.String()}
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("running krenew %v: %v", args, err)
		}
		r.code = ee.ExitCode()
	}
	t.Logf("krenew %s -> %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	return r
}

func cacheIn(t *testing.T, name string) (ccname, path string) {
	path = filepath.Join(t.TempDir(), name)
	return "FILE:" + path, path
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mitKinit fills cache with a ticket from MIT kinit, the reference client.
func mitKinit(t *testing.T, k *testkdc.KDC, cache, principal, password string, args ...string) {
	t.Helper()
	all := append([]string{"-c", cache}, args...)
	all = append(all, principal)
	out, errOut, code := k.RunStdin(t, password+"\n", "kinit", all...)
	if code != 0 {
		t.Fatalf("kinit %v: exit %d\n%s%s", all, code, out, errOut)
	}
}

func wantOneError(t *testing.T, r result, code int, fragments ...string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit status %d, want %d", r.code, code)
	}
	lines := r.errorLines()
	if len(lines) != 1 {
		t.Fatalf("want exactly one 'krenew: error:' line, got %d:\n%s", len(lines), r.stderr)
	}
	for _, f := range fragments {
		if !strings.Contains(lines[0], f) {
			t.Errorf("error line %q lacks %q", lines[0], f)
		}
	}
	if strings.HasSuffix(lines[0], ".") {
		t.Errorf("error line ends in a period: %q", lines[0])
	}
}

func within(t *testing.T, what string, got, want, slack time.Duration) {
	t.Helper()
	if got < want-slack || got > want+slack {
		t.Errorf("%s = %s, want %s (±%s)", what, got, want, slack)
	}
}

// signalCounter is the test binary acting as a command under krenew: it
// reads a line from the terminal, then records every SIGINT it gets (one
// line each, as soon as it arrives, so two close together are two lines)
// until path+".done" exists.
func signalCounter(path string) int {
	ints := make(chan os.Signal, 16)
	signal.Notify(ints, syscall.SIGINT)
	fmt.Print("ask:")
	line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
	fmt.Printf("got:%s", line)
	fmt.Println("ready")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return 1
	}
	for {
		select {
		case <-ints:
			f.WriteString("INT\n")
		case <-time.After(50 * time.Millisecond):
			if _, err := os.Stat(path + ".done"); err == nil {
				return 4
			}
		}
	}
}

// background is a program a test leaves running (krenew --foreground, a
// unit's main process), its stderr collected line by line; it is killed
// when the test ends.
type background struct {
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []string
	done  chan struct{}
	code  int
}

func startBackground(t *testing.T, env []string, stdin string, argv ...string) *background {
	t.Helper()
	return startBackgroundAs(t, env, nil, stdin, argv...)
}

// startBackgroundAs is startBackground as another user (cred), or as the
// test's own user when cred is nil.
func startBackgroundAs(t *testing.T, env []string, cred *syscall.Credential, stdin string, argv ...string) *background {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Credential: cred}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	b := &background{cmd: cmd, done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 4<<20) // long log lines stay whole
		for sc.Scan() {
			b.mu.Lock()
			b.lines = append(b.lines, sc.Text())
			b.mu.Unlock()
		}
		err := cmd.Wait()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			b.code = ee.ExitCode()
		} else if err != nil {
			b.code = -1
		}
		close(b.done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-b.done
		t.Logf("%s logged:\n%s", strings.Join(argv, " "), b.text())
	})
	return b
}

func (b *background) text() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.lines, "\n")
}

func (b *background) count(s string) int { return strings.Count(b.text(), s) }

// wait returns the exit status, failing the test if it takes too long.
func (b *background) wait(t *testing.T, limit time.Duration) int {
	t.Helper()
	select {
	case <-b.done:
		return b.code
	case <-time.After(limit):
		t.Fatalf("%s still running after %s", b.cmd.Path, limit)
		return 0
	}
}

// faultCounts is what every fault test reports; failures must be zero.
type faultCounts struct {
	mu                      sync.Mutex
	runs, injected, failure int
	details                 []string
}

func (c *faultCounts) run() { c.mu.Lock(); c.runs++; c.mu.Unlock() }

func (c *faultCounts) inject() { c.mu.Lock(); c.injected++; c.mu.Unlock() }

// fail records a failure; only the first few are kept in full so that a
// systematic fault does not drown the log.
func (c *faultCounts) fail(format string, a ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failure++
	if len(c.details) < 10 {
		c.details = append(c.details, fmt.Sprintf(format, a...))
	}
}

func (c *faultCounts) report(t *testing.T) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	t.Logf("faults: runs=%d injected=%d failures=%d", c.runs, c.injected, c.failure)
	for _, d := range c.details {
		t.Error(d)
	}
	if c.failure != 0 {
		t.Errorf("%d failures (first %d shown)", c.failure, len(c.details))
	}
}

func (b *background) exited() bool {
	select {
	case <-b.done:
		return true
	default:
		return false
	}
}

const svc = "svc/svc.krenew.test"

// startKrenew leaves krenew running with the KDC's environment.
func startKrenew(t *testing.T, k *testkdc.KDC, args ...string) *background {
	t.Helper()
	return startBackground(t, append(k.Env(), "LC_ALL=C"), "", append([]string{krenewBin}, args...)...)
}

// waitFor polls cond until it holds or the limit passes.
func waitFor(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, limit)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

const (
	alicePrompt = "Password for " + alice + ": "
	// termTimeout bounds every wait for krenew (it talks to a KDC and is
	// built with -race); reaching it fails the test and kills krenew.
	termTimeout = time.Minute
	// shellBack is how soon plain krenew must give the terminal back once
	// the password is typed (daemon_test.go allows the same).
	shellBack = 10 * time.Second
)

// krenewAtTerminal starts krenew on a fresh terminal that is its controlling
// terminal and its stdin, stdout and stderr. configure, if not nil, adjusts
// the command first.
func krenewAtTerminal(t *testing.T, k *testkdc.KDC, configure func(*exec.Cmd), args ...string) (*ptytest.PTY, *exec.Cmd) {
	t.Helper()
	p := ptytest.Open(t)
	cmd := exec.Command(krenewBin, args...)
	// atexit_sleep_ms: a -race binary otherwise lingers 1s at exit.
	cmd.Env = append(k.Env(), "LC_ALL=C", "GORACE=atexit_sleep_ms=0")
	if configure != nil {
		configure(cmd)
	}
	p.Start(t, cmd)
	t.Cleanup(func() { t.Logf("krenew %s at a terminal showed:\n%s", strings.Join(args, " "), p.Output()) })
	return p, cmd
}

// finished waits for krenew to exit and for the terminal to close, so the
// output is complete, and returns the exit status and the output.
func finished(t *testing.T, p *ptytest.PTY) (int, string) {
	t.Helper()
	code := p.Wait(t, termTimeout)
	p.WaitClosed(t, termTimeout)
	return code, p.Output()
}

func wantEchoOn(t *testing.T, p *ptytest.PTY) {
	t.Helper()
	if tio := p.Termios(t); tio.Lflag&unix.ECHO == 0 {
		t.Errorf("terminal left with echo off (lflag %#x)", tio.Lflag)
	}
}

// nobody is the unprivileged user TestPromptHardensProcess runs krenew as
// when the tests run as root.
const nobody = 65534

// writeProgram writes a script krenew is to run (an $AKLOG), through
// copyFile, so that it is never busy when krenew runs it.
func writeProgram(t *testing.T, path, text string) {
	t.Helper()
	src := path + ".src"
	if err := os.WriteFile(src, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	copyFile(t, src, path, 0o755)
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	if mode&0o111 != 0 {
		// A program this process writes can be held open for writing by
		// a child another test forks meanwhile, until that child execs,
		// and running the program then fails with ETXTBSY ("text file
		// busy"). cp writes it from a process of its own.
		if _, err := os.Lstat(to); err == nil {
			t.Fatalf("copying to %s: it exists", to)
		}
		if out, err := exec.Command("cp", from, to).CombinedOutput(); err != nil {
			t.Fatalf("cp %s %s: %v\n%s", from, to, err, out)
		}
		if err := os.Chmod(to, mode); err != nil {
			t.Fatal(err)
		}
		return
	}
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(to, mode); err != nil {
		t.Fatal(err)
	}
}

// kstart's programs, always by absolute path: ours may be first in PATH.
// Where krenew's .deb is installed, it has diverted kstart's krenew to
// krenew.kstart (packaging/deb/preinst).
var kstartKrenew = func() string {
	if _, err := os.Stat(kstartKrenewDiverted); err == nil {
		return kstartKrenewDiverted
	}
	return "/usr/bin/krenew"
}()

const (
	kstartKrenewDiverted = "/usr/bin/krenew.kstart"
	kstartK5start        = "/usr/bin/k5start"
)

// runLimited runs argv (krenewBin, a kstart program or an MIT tool) with
// k's environment in the C locale, in a new session so that it finds no
// terminal, and gives up after limit: then the whole process group is
// killed and timedOut is true. A detached child that keeps the output
// pipes open does not hold it up for more than two seconds.
func runLimited(t *testing.T, k *testkdc.KDC, limit time.Duration, stdin string, argv ...string) (r result, timedOut bool) {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(k.Env(), "LC_ALL=C")
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %v: %v", argv, err)
	}
	timer := time.AfterFunc(limit, func() {
		timedOut = true
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	})
	err := cmd.Wait()
	timer.Stop()
	r = result{stdout: out.String(), stderr: errOut.String()}
	var ee *exec.ExitError
	switch {
	case err == nil, errors.Is(err, exec.ErrWaitDelay):
		r.code = cmd.ProcessState.ExitCode()
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("running %v: %v", argv, err)
	}
	t.Logf("%s -> %d (timed out: %v)\nstdout: %s\nstderr: %s", strings.Join(argv, " "), r.code, timedOut, r.stdout, r.stderr)
	return r, timedOut
}

// oursLimited runs krenewBin with a limit and fails the test if it hangs; a
// daemon it reports as started is killed when the test ends.
func oursLimited(t *testing.T, k *testkdc.KDC, stdin string, args ...string) result {
	t.Helper()
	r, timedOut := runLimited(t, k, 20*time.Second, stdin, append([]string{krenewBin}, args...)...)
	reapDetached(t, r)
	if timedOut {
		t.Fatalf("krenew %v still running after 20s", args)
	}
	return r
}

// peerLimited runs a kstart program or MIT tool with a limit.
func peerLimited(t *testing.T, k *testkdc.KDC, stdin string, argv ...string) result {
	t.Helper()
	r, timedOut := runLimited(t, k, 20*time.Second, stdin, argv...)
	if timedOut {
		t.Fatalf("%v still running after 20s", argv)
	}
	return r
}

// reapDetached kills, when the test ends, every daemon a krenew run
// announced with "(pid N)".
func reapDetached(t *testing.T, r result) {
	for _, m := range detachedPid.FindAllStringSubmatch(r.stderr, -1) {
		pid, _ := strconv.Atoi(m[1])
		if pid > 1 {
			t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
		}
	}
}

// copyCacheFile writes a byte-identical copy of the cache file at src into a
// new temporary file and returns its FILE: name and path.
func copyCacheFile(t *testing.T, src, name string) (ccname, path string) {
	t.Helper()
	ccname, path = cacheIn(t, name)
	if err := os.WriteFile(path, readFile(t, src), 0o600); err != nil {
		t.Fatal(err)
	}
	return ccname, path
}

func sameBytes(t *testing.T, who, path string, want []byte) {
	t.Helper()
	if got := readFile(t, path); !bytes.Equal(got, want) {
		t.Errorf("%s changed the cache %s (%d bytes, was %d)", who, filepath.Base(path), len(got), len(want))
	}
}

var statusDaemon = regexp.MustCompile(`renewed by:\s+krenew pid (\d+)`)

// statusHolder is the pid --status reports as renewing cc, 0 if none; a
// daemon found is killed when the test ends.
func statusHolder(t *testing.T, k *testkdc.KDC, cc string) (int, result) {
	t.Helper()
	st := oursLimited(t, k, "", "--status", "-k", cc)
	m := statusDaemon.FindStringSubmatch(st.stdout)
	if m == nil {
		return 0, st
	}
	pid, _ := strconv.Atoi(m[1])
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	return pid, st
}

// noDaemonLeft fails the test if a krenew daemon renews cc: a one-shot
// run must not leave one behind.
func noDaemonLeft(t *testing.T, k *testkdc.KDC, cc string) {
	t.Helper()
	if pid, _ := statusHolder(t, k, cc); pid != 0 {
		t.Errorf("a one-shot run left krenew pid %d renewing %s", pid, cc)
		syscall.Kill(pid, syscall.SIGTERM)
	}
}

// pidInFile reads a pidfile, 0 if it is missing or not a number.
func pidInFile(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// klistS is MIT klist -s's exit status for cc.
func klistS(t *testing.T, k *testkdc.KDC, cc string) int {
	t.Helper()
	return peerLimited(t, k, "", "klist", "-s", "-c", cc).code
}

// stillRunning reports whether b has not exited yet.
func stillRunning(b *background) bool {
	select {
	case <-b.done:
		return false
	default:
		return true
	}
}

// kcmCache starts a private Heimdal kcm and points the realm's krb5.conf
// (read by MIT's tools and krenew alike) at its socket; "KCM:" is then
// the daemon's default cache for this user, as on a Fedora desktop.
func kcmCache(t *testing.T, k *testkdc.KDC) string {
	d := testkcm.Start(t, testkcm.Options{})
	k.Krb5Conf = d.Krb5Conf(t, k.Krb5Conf)
	return "KCM:"
}

// exitStatus is a finished command's exit status: 0 without an error,
// the status of an *exec.ExitError, else -1 and the error (it did not run).
func exitStatus(runErr error) (int, error) {
	var ee *exec.ExitError
	switch {
	case runErr == nil:
		return 0, nil
	case errors.As(runErr, &ee):
		return ee.ExitCode(), nil
	}
	return -1, runErr
}

func missing(t *testing.T, pkg, what string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not installed; CI must install the Debian package %s", what, pkg)
	}
	t.Skipf("%s is not installed (Debian package %s); skipping", what, pkg)
}

const alice = "alice@" + testkdc.Realm

const (
	carol         = "carol"
	carolPassword = "carol-secret-pw"
)

// collectionKinds are the cache types that hold a collection of caches,
// one per principal, with a primary; KCM twice, Heimdal's and sssd-kcm.
func collectionKinds() []cacheKind {
	var out []cacheKind
	for _, kind := range cacheKinds {
		switch kind.name {
		case "DIR", "KEYRING:session", "KCM":
			out = append(out, kind)
		}
	}
	return append(out, sssdKind)
}

// members is `klist -l` of a collection: principal -> its cache's name.
// The primary comes first.
func members(t *testing.T, k *testkdc.KDC, collection string) (byPrincipal map[string]string, primary string) {
	t.Helper()
	cmd := k.Command(t, "klist", "-l")
	cmd.Env = append(cmd.Env, "KRB5CCNAME="+collection, "LC_ALL=C")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("klist -l of %s: %v\n%s", collection, err, out)
	}
	byPrincipal = map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || strings.HasPrefix(f[0], "Principal") || strings.HasPrefix(f[0], "---") {
			continue
		}
		name := strings.TrimSuffix(f[0], "(Expired)")
		// klist -l cuts principals at 30 characters.
		for _, full := range []string{alice, carol + "@" + testkdc.Realm, svc + "@" + testkdc.Realm, "bob@" + testkdc.Realm} {
			if strings.HasPrefix(full, name) {
				name = full
			}
		}
		byPrincipal[name] = f[1]
		if primary == "" {
			primary = name
		}
	}
	return byPrincipal, primary
}

// holds says why cache does not hold a valid ticket of principal, or "".
func holds(t *testing.T, k *testkdc.KDC, cache, principal string) string {
	t.Helper()
	out, errOut, code := k.Run(t, "klist", "-c", cache)
	if code != 0 {
		return fmt.Sprintf("klist -c %s: exit %d: %s", cache, code, errOut)
	}
	if !strings.Contains(out, "Default principal: "+principal+"\n") {
		return fmt.Sprintf("%s no longer holds %s:\n%s", cache, principal, out)
	}
	if _, _, code := k.Run(t, "klist", "-s", "-c", cache); code != 0 {
		return fmt.Sprintf("%s holds no valid ticket of %s any more", cache, principal)
	}
	return ""
}

func collectionCleanup(t *testing.T, k *testkdc.KDC, collection string) {
	t.Cleanup(func() {
		cmd := k.Command(t, "kdestroy", "-A")
		cmd.Env = append(cmd.Env, "KRB5CCNAME="+collection)
		cmd.Run()
	})
}

// cacheKind makes a fresh, empty cache of one type for a test, arranging
// whatever MIT's tools need to reach it.
type cacheKind struct {
	name string
	make func(t *testing.T, k *testkdc.KDC) string
}

var cacheKinds = []cacheKind{
	{"FILE", func(t *testing.T, k *testkdc.KDC) string { cc, _ := cacheIn(t, "cc"); return cc }},
	{"DIR", func(t *testing.T, k *testkdc.KDC) string { return "DIR:" + filepath.Join(t.TempDir(), "collection") }},
	{"KEYRING:session", func(t *testing.T, k *testkdc.KDC) string {
		return keyringCache(t, k, "KEYRING:session:krenew_"+randomTag(t))
	}},
	{"KEYRING:persistent", func(t *testing.T, k *testkdc.KDC) string {
		// A whole persistent collection, as sites configure it
		// (KEYRING:persistent:%{uid}). Root uses a fresh uid's, which it
		// may, because the tests of package ccache create caches in
		// root's own at the same time and may make one its primary.
		uid := os.Getuid()
		if uid == 0 {
			var b [3]byte
			if _, err := rand.Read(b[:]); err != nil {
				t.Fatal(err)
			}
			uid = 2_000_000_000 + (int(b[0])<<16 | int(b[1])<<8 | int(b[2]))
		}
		return keyringCache(t, k, fmt.Sprintf("KEYRING:persistent:%d", uid))
	}},
	{"KCM", func(t *testing.T, k *testkdc.KDC) string { return kcmCache(t, k) }},
}

var detachedPid = regexp.MustCompile(`\(pid (\d+)\)`)

// startDaemon runs plain krenew (which detaches) and returns the daemon's
// pid; the daemon is killed when the test ends.
func startDaemon(t *testing.T, k *testkdc.KDC, stdin string, args ...string) int {
	t.Helper()
	began := time.Now()
	r := krenew(t, k, stdin, args...)
	if r.code != 0 {
		t.Fatalf("krenew %v: exit %d\n%s", args, r.code, r.stderr)
	}
	if took := time.Since(began); took > 10*time.Second {
		t.Errorf("krenew took %s to return", took)
	}
	m := detachedPid.FindStringSubmatch(r.stderr)
	if m == nil || !strings.Contains(r.stderr, "krenew: renewing ") && !strings.Contains(r.stderr, "krenew: keeping ") {
		t.Fatalf("no 'renewing ... (pid N)' or 'keeping ... (pid N)' line:\n%s", r.stderr)
	}
	pid, _ := strconv.Atoi(m[1])
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	return pid
}

func alive(pid int) bool {
	// A zombie would still accept signal 0; its /proc status says Z.
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	f := strings.Fields(string(b))
	return len(f) > 2 && f[2] != "Z"
}

func waitGone(t *testing.T, pid int, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("pid %d still running after %s", pid, limit)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func files(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(root, p)
			out = append(out, rel)
		}
		return nil
	})
	slices.Sort(out)
	return out
}

func randomTag(t *testing.T) string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b[:])
}

// keyringCache destroys the cache when the test ends, so the kernel
// keyrings the tests share are left as they were found.
func keyringCache(t *testing.T, k *testkdc.KDC, name string) string {
	t.Cleanup(func() { k.Run(t, "kdestroy", "-c", name) })
	k.Run(t, "kdestroy", "-c", name)
	return name
}

// The shipped binary is what `make build` makes: these tests build it
// that way once and look at it, so that a flag dropped from the Makefile
// or a dependency that drags a removed package back in fails here.
var shipped struct {
	once sync.Once
	path string
	out  []byte
	err  error
}

func shippedBinary(t *testing.T) string {
	t.Helper()
	shipped.once.Do(func() {
		dir, err := os.MkdirTemp("", "krenew-shipped-")
		if err != nil {
			shipped.err = err
			return
		}
		shipped.path = filepath.Join(dir, "krenew")
		shipped.out, shipped.err = exec.Command("make", "-s", "build", "OUT="+shipped.path).CombinedOutput()
		if shipped.err == nil {
			shipped.err = evictFromPageCache(shipped.path)
		}
	})
	if shipped.err != nil {
		t.Fatalf("make build: %v\n%s", shipped.err, shipped.out)
	}
	return shipped.path
}

// makeVariable is the value of a `NAME := value` line of the Makefile.
func makeVariable(t *testing.T, name string) string {
	t.Helper()
	v, err := makefileVariable(name)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func makefileVariable(name string) (string, error) {
	b, err := os.ReadFile("Makefile")
	if err != nil {
		return "", err
	}
	m := regexp.MustCompile(`(?m)^` + name + `\s*:=\s*(\S.*)$`).FindSubmatch(b)
	if m == nil {
		return "", fmt.Errorf("the Makefile sets no %s", name)
	}
	return strings.TrimSpace(string(m[1])), nil
}

// binaryRss is the resident KiB of pid's mappings of the file bin, from
// /proc/PID/smaps.
func binaryRss(t *testing.T, pid int, bin string) int {
	t.Helper()
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	header := regexp.MustCompile(`^[0-9a-f]+-[0-9a-f]+ `)
	total, in := 0, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if header.MatchString(line) {
			fields := strings.Fields(line)
			in = len(fields) >= 6 && fields[5] == bin
			continue
		}
		if in && strings.HasPrefix(line, "Rss:") {
			n, _ := strconv.Atoi(strings.Fields(line)[1])
			total += n
		}
	}
	return total
}

func threads(t *testing.T, pid int) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

// evictFromPageCache makes the next run of the binary read it from disk,
// as an installed krenew is after a boot. Left as the linker wrote it, a
// kernel with large page-cache folios (since about 6.16) maps a whole
// folio, up to 2 MiB, at each page fault, so what a daemon keeps resident
// would depend on how the file was written, not on krenew.
func evictFromPageCache(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return err
	}
	return unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
}

// forceRenewalOnceStarted sends SIGALRM to a --foreground daemon once it
// has printed its start line: it then holds the ticket, and renews it.
func forceRenewalOnceStarted(t *testing.T, b *background, what string) {
	t.Helper()
	waitFor(t, what+": daemon start", 10*time.Second, func() bool { return strings.Contains(b.text(), "renewing ") || b.exited() })
	_ = b.cmd.Process.Signal(syscall.SIGALRM)
}

// wantRefusedAtOnce: a run the KDC refused ended with status 1 within
// 10 s and said msg once, naming the principal, with a hint.
func wantRefusedAtOnce(t *testing.T, what string, code int, took time.Duration, out, msg, principal string) {
	t.Helper()
	if code != 1 || took > 10*time.Second {
		t.Errorf("%s: exit status %d after %v, want 1 at once:\n%s", what, code, took.Round(time.Millisecond), out)
	}
	if strings.Count(out, msg) != 1 || !strings.Contains(out, principal) || !strings.Contains(out, "hint: ") {
		t.Errorf("%s: want one message %q naming %s, with a hint:\n%s", what, msg, principal, out)
	}
}
