package e2e

// The hostile-waits suite (issue 16, points 2 and 9): files and
// neighbours that used to make krenew wait for ever, deaf to Ctrl-C, and a
// limit on open files that killed the Go runtime with a goroutine dump.
// Every attack must end krenew promptly with exactly one error line, by
// itself or on the SIGINT or SIGTERM the test sends while it waits: exit
// 1 for a refusal, 128 + the signal's number for an interruption. Like
// the fault suite, it reports "faults: runs=N injected=N failures=N".

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/krenew/krenew/internal/testkdc"
)

// lockHolderEnv turns the test binary into a process that holds an OFD
// write lock, the lock kinit takes, on its fd 3 until its stdin closes:
// a neighbour sitting on the cache's lock (see TestMain).
const lockHolderEnv = "KRENEW_TEST_HOLD_LOCK"

func holdInheritedLock() int {
	lk := unix.Flock_t{Type: unix.F_WRLCK}
	if err := unix.FcntlFlock(3, unix.F_OFD_SETLKW, &lk); err != nil {
		fmt.Fprintln(os.Stderr, "lock:", err)
		return 1
	}
	fmt.Println("locked")
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

// holdCacheLock starts a neighbour holding path's lock: as nobody when
// the tests run as root (then from a copy of the test binary nobody can
// run), on a descriptor the test opens for it, as a user who can open the
// file would. It returns the holder's pid and uid, and release, which
// makes it let go (also at cleanup).
func holdCacheLock(t *testing.T, path string) (pid, uid int, release func()) {
	t.Helper()
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var cred *syscall.Credential
	uid = os.Geteuid()
	if uid == 0 {
		dir, err := os.MkdirTemp("", "krenew-holder-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		copyFile(t, bin, filepath.Join(dir, "holder"), 0o755)
		bin, uid = filepath.Join(dir, "holder"), nobody
		cred = &syscall.Credential{Uid: nobody, Gid: nobody}
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close() // the holder's copy keeps the open file, and the lock
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), lockHolderEnv+"=1")
	cmd.ExtraFiles = []*os.File{f}
	cmd.Dir = "/" // nobody may not reach the test's directory
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			stdin.Close()
			_ = cmd.Wait()
		})
	}
	t.Cleanup(release)
	if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || line != "locked\n" {
		t.Fatalf("lock holder said %q (%v)", line, err)
	}
	return cmd.Process.Pid, uid, release
}

// waitAttack is one hostile run of krenew.
type waitAttack struct {
	name string
	args []string
	env  []string // added to the suite's environment
	// ready says krenew is waiting; the signal (if any) is sent then, or
	// after two seconds if ready is nil or never holds.
	ready func(pid int) bool
	sig   syscall.Signal
	// mustWait: krenew ending before the signal is a failure (a wait
	// that should have been there was not, so the signal proved nothing).
	mustWait bool
	// codes are the exit statuses allowed; fragments must all be in the
	// error line. With a signal, an exit before it came counts by
	// refused, and one after it must be 128 + the signal, saying so.
	codes     []int
	fragments []string
	refused   []string // the error line's fragments if krenew ended before the signal
	// limit bounds the whole run (without a signal) or the time from the
	// signal to the exit.
	limit time.Duration
}

// runWaitAttack runs a, returning what went wrong ("" if nothing).
func runWaitAttack(env []string, a waitAttack) string {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, krenewBin, a.args...)
	cmd.Env = append(append([]string{}, env...), a.env...)
	cmd.Stdin = strings.NewReader("not-the-password\n")
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.WaitDelay = 2 * time.Second
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return err.Error()
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var runErr error
	exited, signalled := false, time.Time{}
	if a.sig != 0 {
		faultPoll(2*time.Second, 10*time.Millisecond, func() bool {
			select {
			case runErr = <-done:
				exited = true
				return true
			default:
			}
			return a.ready != nil && a.ready(cmd.Process.Pid)
		})
		if !exited {
			time.Sleep(100 * time.Millisecond) // well into the wait
			signalled = time.Now()
			_ = cmd.Process.Signal(a.sig)
		}
	}
	if !exited {
		select {
		case runErr = <-done:
		case <-time.After(a.limit):
			_ = cmd.Process.Kill()
			<-done
			since := "start"
			if !signalled.IsZero() {
				since = unix.SignalName(a.sig)
			}
			return fmt.Sprintf("still running %v after the %s, killed; it printed:\n%s", a.limit, since, out.String())
		}
	}
	code, err := exitStatus(runErr)
	if err != nil {
		return err.Error()
	}
	codes, fragments := a.codes, a.fragments
	if a.sig != 0 {
		if signalled.IsZero() && a.mustWait {
			return fmt.Sprintf("ended before the %s was sent; it printed:\n%s", unix.SignalName(a.sig), out.String())
		}
		if signalled.IsZero() {
			codes, fragments = []int{1}, a.refused
		} else {
			codes = []int{128 + int(a.sig)}
			fragments = append([]string{"interrupted by " + unix.SignalName(a.sig)}, fragments...)
		}
	}
	problems := faultVerdict(code, out.String(), nil, codes...)
	if line := errorMessage(out.String()); problems == "" {
		for _, f := range fragments {
			if !strings.Contains(line, f) {
				problems = fmt.Sprintf("error line %q lacks %q", line, f)
			}
		}
	}
	if strings.Contains(out.String(), "goroutine ") {
		problems += "; a goroutine dump"
	}
	if problems != "" {
		return fmt.Sprintf("%s (after %v)", problems, time.Since(start).Round(time.Millisecond))
	}
	return ""
}

func errorMessage(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if msg, ok := strings.CutPrefix(l, "krenew: error: "); ok {
			return msg
		}
	}
	return ""
}

// lockedBuffer is an output buffer the test may read while krenew writes.
type lockedBuffer struct {
	mu  chan struct{}
	buf strings.Builder
}

func (b *lockedBuffer) lock() {
	if b.mu == nil {
		b.mu = make(chan struct{}, 1)
	}
	b.mu <- struct{}{}
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.lock()
	defer func() { <-b.mu }()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.lock()
	defer func() { <-b.mu }()
	return b.buf.String()
}

// hasOpen says whether process pid has path open: krenew opens the cache
// just before it tries its lock.
func hasOpen(pid int, path string) bool {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	fds, _ := os.ReadDir(dir)
	for _, fd := range fds {
		if l, err := os.Readlink(filepath.Join(dir, fd.Name())); err == nil && l == path {
			return true
		}
	}
	return false
}

// listeningSilentKDC is a "KDC" that reads every request and answers none; asked
// says whether a request came.
func listeningSilentKDC(t *testing.T) (addr string, asked func() bool) {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	var got atomic.Bool
	go func() {
		buf := make([]byte, 65536)
		for {
			if _, _, err := c.ReadFrom(buf); err != nil {
				return
			}
			got.Store(true)
		}
	}()
	return c.LocalAddr().String(), got.Load
}

func TestFaultHostileWaits(t *testing.T) {
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	env := append(k.Env(), "LC_ALL=C")
	var fc faultCounts
	defer fc.report(t)
	dir := t.TempDir()
	alice := "alice@" + testkdc.Realm

	// Files that are not what they claim: a FIFO nobody writes to (open
	// used to block), /dev/zero (read without bound) and a keytab of
	// gigabyte claims, as -f, and a FIFO as a DIR collection's primary.
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge.keytab")
	if err := os.WriteFile(huge, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(huge, 64<<20); err != nil {
		t.Fatal(err)
	}
	coll := filepath.Join(dir, "coll")
	if err := os.Mkdir(coll, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(coll, "primary"), 0o600); err != nil {
		t.Fatal(err)
	}
	fileCC, _ := cacheIn(t, "files")
	var attacks []waitAttack
	for _, f := range []struct {
		name string
		args []string
		want string
	}{
		{"FIFO keytab", []string{"--once", "-f", fifo, "-u", alice, "-k", fileCC}, "is not a regular file (a FIFO)"},
		{"/dev/zero keytab", []string{"--once", "-f", "/dev/zero", "-u", alice, "-k", fileCC}, "is not a regular file (a character device)"},
		{"64 MiB keytab", []string{"--once", "-f", huge, "-u", alice, "-k", fileCC}, "is larger than 1024 KiB"},
		{"FIFO keytab -U", []string{"-U", "-f", fifo, "--foreground", "-k", fileCC}, "is not a regular file (a FIFO)"},
		{"FIFO primary --status", []string{"--status", "-k", "DIR:" + coll}, "primary is not a regular file"},
		{"FIFO primary --init", []string{"--once", "--init", "--password-stdin", "-k", "DIR:" + coll}, "primary is not a regular file"},
	} {
		// There should be nothing to interrupt: each run ends before the
		// signal, refusing the file; one still running must end on it.
		attacks = append(attacks, waitAttack{name: f.name, args: f.args, codes: []int{1}, fragments: []string{f.want}, limit: 10 * time.Second})
		for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
			attacks = append(attacks, waitAttack{name: f.name, args: f.args, sig: sig, refused: []string{f.want}, limit: 10 * time.Second})
		}
	}

	// A neighbour sitting on the cache's lock: given up on after five
	// seconds, naming the holder, or interrupted at once by a signal.
	lockCC, lockPath := cacheIn(t, "locked")
	mitKinit(t, k, lockCC, alice, testkdc.AlicePassword, "-l", "1h", "-r", "2h")
	holder, holderUID, release := holdCacheLock(t, lockPath)
	holderText := fmt.Sprintf("pid %d (", holder)
	uidText := fmt.Sprintf("uid %d)", holderUID)
	waiting := func(pid int) bool { return hasOpen(pid, lockPath) }
	for _, args := range [][]string{
		{"--status", "-k", lockCC},
		{"--status", "--json", "-k", lockCC},
		{"--once", "--init", "--password-stdin", "-k", lockCC},
		{"--once", "-k", lockCC},
		{"--foreground", "-k", lockCC},
		{"-k", lockCC, "--", "true"},
	} {
		if args[1] != "--json" {
			attacks = append(attacks, waitAttack{name: "lock held", args: args, codes: []int{1},
				fragments: []string{"credential cache " + lockCC + " is locked by " + holderText, uidText, "gave up waiting after 5s"},
				limit:     15 * time.Second})
		}
		for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
			attacks = append(attacks, waitAttack{name: "lock held", args: args, ready: waiting, sig: sig, mustWait: true,
				fragments: []string{"while waiting for the lock of credential cache " + lockCC, "held by " + holderText},
				limit:     3 * time.Second})
		}
	}

	// A KDC that never answers: the start-up's wait for it ends on a
	// signal too.
	for i, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		kdcAddr, asked := listeningSilentKDC(t)
		conf := filepath.Join(dir, fmt.Sprintf("silent-%d.conf", i))
		text := fmt.Sprintf("[libdefaults]\n default_realm = SILENT.TEST\n dns_lookup_kdc = false\n dns_lookup_realm = false\n"+
			"[realms]\n SILENT.TEST = {\n  kdc = %s\n }\n", kdcAddr)
		if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		cc, _ := cacheIn(t, fmt.Sprintf("silent-%d", i))
		attacks = append(attacks, waitAttack{name: "silent KDC", args: []string{"--once", "--init", "--password-stdin", "-u", "alice", "-k", cc},
			env: []string{"KRB5_CONFIG=" + conf}, ready: func(int) bool { return asked() }, sig: sig, mustWait: true, limit: 3 * time.Second})
	}

	var jobs []func()
	for _, a := range attacks {
		jobs = append(jobs, func() {
			fc.run()
			fc.inject()
			if problem := runWaitAttack(env, a); problem != "" {
				sent := "no signal"
				if a.sig != 0 {
					sent = unix.SignalName(a.sig) + " while it waits"
				}
				fc.fail("%s: krenew %s (%s): %s", a.name, strings.Join(a.args, " "), sent, problem)
			}
		})
	}
	faultParallel(jobs)
	release()
	if err := faultKlist(env, lockCC); err != nil {
		fc.fail("the cache is not intact once its lock is free: %v", err)
	}
}

// A limit on open files too low for the Go runtime (it died at its first
// poll, printing a goroutine dump) is refused in one line, as early as
// krenew can, in every mode.
func TestFaultLowOpenFilesLimit(t *testing.T) {
	t.Parallel()
	var fc faultCounts
	defer fc.report(t)
	cc, _ := cacheIn(t, "cc")
	for _, limit := range []int{6, 8, 16, 31} {
		for _, args := range [][]string{{"--status"}, {"--once", "--init", "--password-stdin"}, {"--foreground"}, {"--", "true"}, {"--version"}} {
			fc.run()
			fc.inject()
			argv := append([]string{"-c", fmt.Sprintf("ulimit -n %d; exec \"$0\" \"$@\"", limit), krenewBin, "-k", cc}, args...)
			cmd := exec.Command("sh", argv...)
			cmd.Env = append(os.Environ(), "LC_ALL=C")
			cmd.Stdin = strings.NewReader("pw\n")
			out, err := cmd.CombinedOutput()
			code, err := exitStatus(err)
			if err != nil {
				t.Fatal(err)
			}
			problem := faultVerdict(code, string(out), nil, 1)
			if want := fmt.Sprintf("the open-files limit is %d, and krenew needs at least", limit); problem == "" && !strings.Contains(errorMessage(string(out)), want) {
				problem = fmt.Sprintf("error line %q lacks %q", errorMessage(string(out)), want)
			}
			if !strings.Contains(string(out), "krenew: hint: raise it with 'ulimit -n") {
				problem += "; no hint"
			}
			if strings.Contains(string(out), "goroutine ") {
				problem += "; a goroutine dump"
			}
			if problem != "" {
				fc.fail("ulimit -n %d; krenew %s: %s\n%s", limit, strings.Join(args, " "), problem, out)
			}
		}
	}
}
