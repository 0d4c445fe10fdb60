package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/krenew/krenew/internal/testkdc"
)

// krenewBin is the binary under test, built once by TestMain. Tests always
// run it by path: kstart's own krenew may be on PATH.
var krenewBin string

func TestMain(m *testing.M) {
	if path := os.Getenv("KRENEW_TEST_SIGNAL_COUNTER"); path != "" {
		os.Exit(signalCounter(path))
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
	build := exec.Command("go", "build", "-race", "-o", krenewBin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building krenew:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
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
