package ccache

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Re-executing the test binary with lockHolderEnv set turns it into a
// process that holds an OFD write lock on the file, as kinit does while it
// writes, until its stdin closes; see TestMain.
const lockHolderEnv = "KRENEW_CCACHE_TEST_HOLD_LOCK"

func holdLock(path string) int {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	lk := unix.Flock_t{Type: unix.F_WRLCK}
	if err := unix.FcntlFlock(f.Fd(), unix.F_OFD_SETLKW, &lk); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("locked")
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

// startLockHolder starts a process holding path's lock; release (also run
// at cleanup) makes it let go and exit.
func startLockHolder(t *testing.T, path string) (pid int, release func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), lockHolderEnv+"="+path)
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
	return cmd.Process.Pid, release
}

// A lock held past the wait's bound ends the wait with an error naming
// the holder, for reads and writes alike; MIT's tools would wait forever.
func TestLockWaitGivesUpNamingTheHolder(t *testing.T) {
	s := storeWith(t, readFixture(t, "mit-v4.ccache"))
	pid, _ := startLockHolder(t, s.Path)
	s.Wait = LockWait{Timeout: 300 * time.Millisecond}
	for name, op := range map[string]func() error{
		"Load":   func() error { _, err := s.Load(); return err },
		"Update": func() error { return s.Update(increment) },
	} {
		start := time.Now()
		err := op()
		took := time.Since(start)
		var busy *LockBusyError
		if !errors.As(err, &busy) || !errors.Is(err, ErrLockBusy) {
			t.Fatalf("%s: error %v (%T), want a *LockBusyError", name, err, err)
		}
		if took < 300*time.Millisecond || took > 3*time.Second {
			t.Errorf("%s gave up after %v with a 300ms bound", name, took)
		}
		if busy.Canceled || busy.Path != s.Path {
			t.Errorf("%s: %+v", name, busy)
		}
		want := LockHolder{PID: pid, UID: os.Getuid(), Command: commandOf(t, pid)}
		if len(busy.Holders) != 1 || busy.Holders[0] != want {
			t.Errorf("%s: holders %+v, want %+v", name, busy.Holders, want)
		}
		if msg := err.Error(); !strings.Contains(msg, fmt.Sprintf("held by pid %d (", pid)) || !strings.Contains(msg, "gave up waiting after") {
			t.Errorf("%s: message %q", name, msg)
		}
	}
}

func commandOf(t *testing.T, pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// Closing Cancel ends a wait at once (Ctrl-C), long before its bound.
func TestLockWaitEndsOnCancel(t *testing.T) {
	s := storeWith(t, readFixture(t, "mit-v4.ccache"))
	pid, _ := startLockHolder(t, s.Path)
	cancel := make(chan struct{})
	s.Wait = LockWait{Timeout: time.Minute, Cancel: cancel}
	time.AfterFunc(200*time.Millisecond, func() { close(cancel) })
	start := time.Now()
	_, err := s.Load()
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Load returned %v after the cancel", took)
	}
	var busy *LockBusyError
	if !errors.As(err, &busy) || !busy.Canceled {
		t.Fatalf("error %v, want a cancelled *LockBusyError", err)
	}
	if len(busy.Holders) != 1 || busy.Holders[0].PID != pid {
		t.Errorf("holders %+v, want pid %d", busy.Holders, pid)
	}
	// Once cancelled, a held lock fails at once.
	start = time.Now()
	if _, err := (FileStore{Path: s.Path, Wait: LockWait{Cancel: cancel}}).Load(); !errors.Is(err, ErrLockBusy) {
		t.Errorf("second Load while held: %v", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("second Load waited %v after the cancel", took)
	}
}

// The usual contention, a lock held for a moment, is waited out.
func TestLockWaitOutlastsABriefHolder(t *testing.T) {
	s := storeWith(t, readFixture(t, "mit-v4.ccache"))
	_, release := startLockHolder(t, s.Path)
	time.AfterFunc(300*time.Millisecond, release)
	s.Wait = LockWait{Timeout: 20 * time.Second}
	if err := s.Update(increment); err != nil {
		t.Fatalf("Update after the holder let go: %v", err)
	}
	if n := readCounter(t, s); n != 1 {
		t.Errorf("counter %d, want 1", n)
	}
}

// The zero LockWait is bounded too.
func TestLockWaitDefaultIsBounded(t *testing.T) {
	w := LockWait{}.start()
	if got := w.deadline.Sub(w.began); got != DefaultLockTimeout {
		t.Errorf("default bound %v, want %v", got, DefaultLockTimeout)
	}
	if DefaultLockTimeout > 10*time.Second {
		t.Errorf("DefaultLockTimeout %v is not a few seconds", DefaultLockTimeout)
	}
}

// /proc/locks and fdinfo lines: granted locks on the inode count, waiters
// ("->") and other files do not.
func TestLockLines(t *testing.T) {
	text := "1: OFDLCK ADVISORY  WRITE -1 fe:00:1234 0 EOF\n" +
		"1: -> OFDLCK ADVISORY  WRITE -1 fe:00:1234 0 EOF\n" +
		"2: POSIX  ADVISORY  READ 4242 fe:00:1234 0 EOF\n" +
		"3: POSIX  ADVISORY  WRITE 99 fe:00:12345 0 EOF\n" +
		"lock:\t4: FLOCK  ADVISORY  WRITE 77 fe:00:1234 0 EOF\n" +
		"garbage\n"
	got := lockLines([]byte(text), "fe:00:1234")
	want := []lockLine{{"OFDLCK", -1}, {"POSIX", 4242}, {"FLOCK", 77}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("lockLines = %v, want %v", got, want)
	}
}

// A FIFO planted as a DIR collection's primary file is refused at once;
// opening it for reading used to wait for a writer that never comes.
func TestReadPrimaryRefusesFIFO(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "primary"), 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := readPrimary(dir, ownerPolicy{}); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("readPrimary of a FIFO: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("readPrimary blocked on a FIFO")
	}
}
