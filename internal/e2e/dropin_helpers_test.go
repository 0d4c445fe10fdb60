package e2e

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/krenew/krenew/internal/testkdc"
)

// kstart's programs, always by absolute path: ours may be first in PATH.
const (
	kstartKrenew  = "/usr/bin/krenew"
	kstartK5start = "/usr/bin/k5start"
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
