package daemon

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"
)

func testCache(t *testing.T) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "krb5cc_test")
}

func TestLockSecondAcquireSeesHolder(t *testing.T) {
	cache := testCache(t)
	l, err := AcquireLock(cache)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	l.SetStatus("alice@R|FILE:" + cache + "|2026-01-01T00:00:00Z\n|42")
	wantStatus := "alice@R|FILE:" + cache + "|2026-01-01T00:00:00Z |42"

	// Every spelling of the same cache is the same lock.
	t.Chdir(filepath.Dir(cache))
	for _, name := range []string{cache, "FILE:" + cache, filepath.Base(cache), "./" + filepath.Base(cache)} {
		_, err := AcquireLock(name)
		if !errors.Is(err, ErrLocked) {
			t.Fatalf("AcquireLock(%q) = %v, want ErrLocked", name, err)
		}
		var he *HolderError
		if !errors.As(err, &he) {
			t.Fatalf("%v is not a *HolderError", err)
		}
		if he.PID != os.Getpid() || he.Status != wantStatus {
			t.Errorf("holder %+v, want pid %d status %q", he, os.Getpid(), wantStatus)
		}
		if want := fmt.Sprintf("cache is already maintained by krenew pid %d: %s", os.Getpid(), wantStatus); err.Error() != want {
			t.Errorf("error %q, want %q", err, want)
		}
	}
	pid, status, err := QueryHolder("FILE:" + cache)
	if err != nil || pid != os.Getpid() || status != wantStatus {
		t.Errorf("QueryHolder = %d, %q, %v", pid, status, err)
	}

	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if err := l.Release(); err != nil {
		t.Errorf("second Release: %v", err)
	}
	if _, _, err := QueryHolder(cache); !errors.Is(err, ErrNotHeld) {
		t.Errorf("QueryHolder after Release = %v, want ErrNotHeld", err)
	}
	l2, err := AcquireLock(cache)
	if err != nil {
		t.Fatalf("AcquireLock after Release: %v", err)
	}
	defer l2.Release()
	if _, status, _ := QueryHolder(cache); status != "" {
		t.Errorf("fresh lock serves %q, want an empty status", status)
	}
}

func TestLockOtherCacheIndependent(t *testing.T) {
	a, b := testCache(t), testCache(t)
	la, err := AcquireLock(a)
	if err != nil {
		t.Fatal(err)
	}
	defer la.Release()
	lb, err := AcquireLock(b)
	if err != nil {
		t.Fatalf("lock on another cache: %v", err)
	}
	defer lb.Release()
}

func TestQueryHolderNone(t *testing.T) {
	if _, _, err := QueryHolder(testCache(t)); !errors.Is(err, ErrNotHeld) {
		t.Errorf("QueryHolder on an unlocked cache = %v, want ErrNotHeld", err)
	}
}

func TestLockFreedWhenHolderKilled(t *testing.T) {
	cache := testCache(t)
	cmd, line := startHelper(t, os.Args[0], nil, "hold-lock", cache, "bob@R until tomorrow")
	if line != "locked" {
		t.Fatalf("helper said %q", line)
	}
	_, err := AcquireLock(cache)
	var he *HolderError
	if !errors.As(err, &he) || !errors.Is(err, ErrLocked) {
		t.Fatalf("AcquireLock while a helper holds it = %v", err)
	}
	if he.PID != cmd.Process.Pid || he.Status != "bob@R until tomorrow" {
		t.Errorf("holder %+v, want pid %d", he, cmd.Process.Pid)
	}
	pid, status, err := QueryHolder(cache)
	if err != nil || pid != cmd.Process.Pid || status != "bob@R until tomorrow" {
		t.Errorf("QueryHolder = %d %q %v", pid, status, err)
	}

	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	l, err := AcquireLock(cache)
	if err != nil {
		t.Fatalf("lock not freed by the holder's death: %v", err)
	}
	defer l.Release()
}

func TestWaitLock(t *testing.T) {
	cache := testCache(t)
	l, err := AcquireLock(cache)
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	if _, err := WaitLock(ctx, cache); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitLock on a held lock past its deadline = %v", err)
	}

	got := make(chan error, 1)
	go func() {
		l2, err := WaitLock(context.Background(), cache)
		if err == nil {
			err = l2.Release()
		}
		got <- err
	}()
	time.Sleep(600 * time.Millisecond)
	select {
	case err := <-got:
		t.Fatalf("WaitLock returned %v while the lock was held", err)
	default:
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-got:
		if err != nil {
			t.Errorf("WaitLock after Release: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("WaitLock did not take the freed lock")
	}
}

func TestLockName(t *testing.T) {
	dir := t.TempDir()
	if err := os.Symlink(dir, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	name := func(s string) string {
		t.Helper()
		n, err := LockName(s)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	base := name(filepath.Join(dir, "cc"))
	if !regexp.MustCompile(fmt.Sprintf(`^@krenew/%d/[0-9a-f]{32}$`, os.Geteuid())).MatchString(base) {
		t.Errorf("lock name %q", base)
	}
	for _, same := range []string{"FILE:" + dir + "/cc", dir + "//cc", filepath.Join(dir, "link", "cc"), dir + "/x/../cc"} {
		if got := name(same); got != base {
			t.Errorf("%q has lock %q, %q has %q", same, got, dir+"/cc", base)
		}
	}
	for _, other := range []string{dir + "/cc2", "DIR:" + dir + "/cc", "KEYRING:persistent:1000"} {
		if name(other) == base {
			t.Errorf("%q shares the lock of %q", other, dir+"/cc")
		}
	}
	if _, err := LockName(""); err == nil {
		t.Error("empty cache name accepted")
	}
}

// nobodyBinary copies the test binary where user nobody can run it, for
// the tests that need a process of another user.
func nobodyBinary(t *testing.T) (string, *syscall.Credential) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a helper as another user")
	}
	dir, err := os.MkdirTemp("", "krenew-daemon-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// cp, not a copy written by this process: a child another test forks
	// meanwhile could hold that open for writing, and running it would
	// fail with ETXTBSY ("text file busy").
	bin := filepath.Join(dir, "helper")
	if out, err := exec.Command("cp", os.Args[0], bin).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, out)
	}
	if err := os.Chmod(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	return bin, &syscall.Credential{Uid: 65534, Gid: 65534}
}

func TestLockSquattedByOtherUser(t *testing.T) {
	bin, nobody := nobodyBinary(t)
	cache := testCache(t)
	name, err := LockName(cache)
	if err != nil {
		t.Fatal(err)
	}
	_, line := startHelper(t, bin, nobody, "bind-name", name)
	if line != "bound" {
		t.Fatalf("helper said %q", line)
	}
	_, err = AcquireLock(cache)
	if !errors.Is(err, ErrSquatted) || errors.Is(err, ErrLocked) {
		t.Errorf("AcquireLock on a name bound by uid 65534 = %v, want ErrSquatted and not ErrLocked", err)
	}
	if _, _, err := QueryHolder(cache); !errors.Is(err, ErrSquatted) {
		t.Errorf("QueryHolder on a squatted name = %v, want ErrSquatted", err)
	}
}

func TestLockStatusRefusedToOtherUser(t *testing.T) {
	bin, nobody := nobodyBinary(t)
	cache := testCache(t)
	l, err := AcquireLock(cache)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	l.SetStatus("secret-ish status")
	_, line := startHelper(t, bin, nobody, "raw-query", l.Name())
	if line != `got:"" err:<nil>` {
		t.Errorf("another user's query got %s, want nothing", line)
	}
	// The holder still answers its own user.
	if _, status, err := QueryHolder(cache); err != nil || status != "secret-ish status" {
		t.Errorf("QueryHolder = %q, %v", status, err)
	}
}
