package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// reaper remembers every daemon the benchmark started, so that all of them
// end whatever happens: detached daemons outlive us unless we stop them.
type reaper struct {
	mu    sync.Mutex
	procs map[int]string // pid -> a string its command line must contain
}

func newReaper() *reaper { return &reaper{procs: map[int]string{}} }

func (r *reaper) add(pid int, marker string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.procs[pid] = marker
}

// stop sends SIGTERM to the given daemons, waits up to grace for them to
// go, then SIGKILLs the rest. It reports how many needed the KILL.
func (r *reaper) stop(pids []int, grace time.Duration) (killed int) {
	r.mu.Lock()
	mine := map[int]string{}
	for _, pid := range pids {
		if m, ok := r.procs[pid]; ok {
			mine[pid] = m
			delete(r.procs, pid)
		}
	}
	r.mu.Unlock()
	for pid, m := range mine {
		if alive(pid) && cmdlineHas(pid, m) {
			_ = syscall.Kill(pid, syscall.SIGTERM)
		} else {
			delete(mine, pid)
		}
	}
	deadline := time.Now().Add(grace)
	for len(mine) > 0 && time.Now().Before(deadline) {
		for pid := range mine {
			if !alive(pid) {
				delete(mine, pid)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	for pid, m := range mine {
		if alive(pid) && cmdlineHas(pid, m) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			killed++
		}
	}
	return killed
}

// stopAll is the last resort, run on every way out of the benchmark.
func (r *reaper) stopAll() {
	r.mu.Lock()
	var pids []int
	for pid := range r.procs {
		pids = append(pids, pid)
	}
	r.mu.Unlock()
	if n := r.stop(pids, 5*time.Second); n > 0 {
		fmt.Fprintf(os.Stderr, "bench: %d daemons needed SIGKILL at cleanup\n", n)
	}
}

// readPidfile waits for a daemon's pidfile: both krenews write it after
// detaching, a moment after the starting process has exited.
func readPidfile(path string, timeout time.Duration) (int, error) {
	deadline := time.Now().Add(timeout)
	for {
		b, err := os.ReadFile(path)
		if err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
				return pid, nil
			}
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("no pid in %s after %v", path, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
