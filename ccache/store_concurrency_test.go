package ccache

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Re-executing the test binary with these variables set turns it into a
// worker that increments the counter; see TestMain.
const (
	helperPathEnv  = "KRENEW_CCACHE_TEST_COUNTER_PATH"
	helperCountEnv = "KRENEW_CCACHE_TEST_COUNTER_N"
	counterKey     = "krenew_test_counter"
)

func TestMain(m *testing.M) {
	if path := os.Getenv(lockHolderEnv); path != "" {
		os.Exit(holdLock(path))
	}
	if path := os.Getenv(helperPathEnv); path != "" {
		n, _ := strconv.Atoi(os.Getenv(helperCountEnv))
		if err := hammer(FileStore{Path: path}, 2, n); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// increment adds one to the counter kept in a config entry, creating the
// cache if needed, and keeps every other entry as it is.
func increment(old *Cache) (*Cache, error) {
	if old == nil {
		old = &Cache{DefaultPrincipal: alice}
	}
	n := 0
	if v, ok := old.Config(counterKey, nil); ok {
		var err error
		if n, err = strconv.Atoi(string(v)); err != nil {
			return nil, err
		}
	}
	old.SetConfig(counterKey, nil, []byte(strconv.Itoa(n+1)))
	return old, nil
}

// hammer runs n increments in each of g goroutines.
func hammer(s FileStore, g, n int) error {
	var wg sync.WaitGroup
	errs := make(chan error, g)
	for range g {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range n {
				if err := s.Update(increment); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

func readCounter(t *testing.T, s FileStore) int {
	t.Helper()
	c, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	v, ok := c.Config(counterKey, nil)
	if !ok {
		t.Fatal("no counter in cache")
	}
	n, err := strconv.Atoi(string(v))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Starting from no file at all also races the creation path.
func TestConcurrentUpdatesLoseNothingAcrossGoroutines(t *testing.T) {
	s := storeWith(t, nil)
	const g, n = 8, 25
	if err := hammer(s, g, n); err != nil {
		t.Fatal(err)
	}
	if got := readCounter(t, s); got != g*n {
		t.Errorf("counter %d, want %d: updates were lost", got, g*n)
	}
	assertNoTemps(t, s)
}

func TestConcurrentUpdatesLoseNothingAcrossProcesses(t *testing.T) {
	s := storeWith(t, readFixture(t, "mit-v4.ccache"))
	const procs, perProc = 4, 25 // each worker runs 2 goroutines
	var cmds []*exec.Cmd
	for range procs {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), helperPathEnv+"="+s.Path, helperCountEnv+"="+strconv.Itoa(perProc))
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	const local = 2 * 25
	herr := hammer(s, 2, 25)
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("worker %d: %v", i, err)
		}
	}
	if herr != nil {
		t.Fatal(herr)
	}
	if got, want := readCounter(t, s), procs*2*perProc+local; got != want {
		t.Errorf("counter %d, want %d: updates were lost", got, want)
	}
	// MIT's entries survived a hundred-odd rewrites.
	c, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.FindTGT(); !ok || len(c.Credentials) != 5 {
		t.Errorf("%d credentials after updates, want the 4 from MIT plus the counter", len(c.Credentials))
	}
	assertNoTemps(t, s)
}

// libkrb5 takes the same OFD lock, so klist must wait while Update holds it.
func TestUpdateLockExcludesMITKlist(t *testing.T) {
	s := storeWith(t, readFixture(t, "mit-v4.ccache"))
	bin, err := exec.LookPath("klist")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("klist not installed in CI: %v", err)
		}
		t.Skip("MIT klist not installed")
	}
	done := make(chan error, 1)
	err = s.Update(func(c *Cache) (*Cache, error) {
		cmd := exec.Command(bin, "-c", "FILE:"+s.Path)
		cmd.Env = append(os.Environ(), "KRB5_CONFIG=/dev/null")
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			t.Errorf("klist finished (%v) while the cache was locked", err)
			done <- err
		case <-time.After(500 * time.Millisecond):
		}
		c.SetConfig(counterKey, nil, []byte("1"))
		return c, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("klist failed after the lock was released: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("klist still blocked after Update returned")
	}
}
