package ccache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"
)

// DefaultLockTimeout is how long a FILE or DIR cache waits for a lock
// another process holds, unless LockWait says otherwise. libkrb5 holds the
// lock for the milliseconds of one read or write; a lock held for seconds
// is a hung or hostile process, and MIT's own tools would wait for it
// forever.
const DefaultLockTimeout = 5 * time.Second

// maxLockPause is the longest sleep between two attempts at a busy lock.
const maxLockPause = 20 * time.Millisecond

// LockWait bounds the wait for a FILE or DIR cache's lock. The zero value
// waits up to DefaultLockTimeout and cannot be cancelled.
type LockWait struct {
	// Timeout is the longest wait; zero or negative means
	// DefaultLockTimeout.
	Timeout time.Duration
	// Cancel, once closed, ends a wait at once, for example on Ctrl-C.
	Cancel <-chan struct{}
}

// lockWaiting is one LockWait under way: its deadline holds across the
// open-lock-revalidate rounds of lockedOpen.
type lockWaiting struct {
	LockWait
	began, deadline time.Time
}

func (w LockWait) start() *lockWaiting {
	if w.Timeout <= 0 {
		w.Timeout = DefaultLockTimeout
	}
	now := time.Now()
	return &lockWaiting{LockWait: w, began: now, deadline: now.Add(w.Timeout)}
}

// ErrLockBusy is matched (errors.Is) by every *LockBusyError.
var ErrLockBusy = errors.New("credential cache lock is held by another process")

// LockBusyError says that another process held the cache's lock for longer
// than the wait allowed, or that the wait was cancelled.
type LockBusyError struct {
	Path string
	// Holders are the processes holding the lock, as far as /proc tells
	// (another user's processes may not be visible); empty if unknown.
	Holders  []LockHolder
	Waited   time.Duration
	Canceled bool
}

// LockHolder is a process holding a cache's lock.
type LockHolder struct {
	PID     int
	UID     int // -1 if unknown
	Command string
}

func (h LockHolder) String() string {
	var extra []string
	if h.Command != "" {
		extra = append(extra, h.Command)
	}
	if h.UID >= 0 {
		extra = append(extra, fmt.Sprintf("uid %d", h.UID))
	}
	if len(extra) == 0 {
		return fmt.Sprintf("pid %d", h.PID)
	}
	return fmt.Sprintf("pid %d (%s)", h.PID, strings.Join(extra, ", "))
}

// HolderText names the lock's holders for a message: "pid 12 (kinit, uid
// 1000)", or "another process" when /proc does not tell.
func (e *LockBusyError) HolderText() string {
	if len(e.Holders) == 0 {
		return "another process"
	}
	var names []string
	for _, h := range e.Holders {
		names = append(names, h.String())
	}
	return strings.Join(names, " and ")
}

func (e *LockBusyError) Error() string {
	if e.Canceled {
		return fmt.Sprintf("%s: stopped waiting for its lock, held by %s", e.Path, e.HolderText())
	}
	return fmt.Sprintf("%s: its lock is held by %s; gave up waiting after %s", e.Path, e.HolderText(), e.Waited.Round(100*time.Millisecond))
}

func (e *LockBusyError) Unwrap() error { return ErrLockBusy }

// waitLock takes the lock on f, polling. A blocking F_OFD_SETLKW can be
// neither bounded nor interrupted (Go installs its signal handlers with
// SA_RESTART, which restarts the wait after every signal), so a process
// holding the lock forever would hang krenew, deaf to Ctrl-C. Polling
// starts at a millisecond, so the usual brief contention costs little,
// and backs off to maxLockPause.
func (s FileStore) waitLock(f *os.File, fi fs.FileInfo, exclusive bool, w *lockWaiting) error {
	pause := time.Millisecond
	for {
		got, err := tryLock(f, exclusive)
		if err != nil {
			return &fs.PathError{Op: "lock", Path: s.Path, Err: err}
		}
		if got {
			return nil
		}
		left := time.Until(w.deadline)
		if left <= 0 {
			waited := time.Since(w.began)
			return &LockBusyError{Path: s.Path, Holders: lockHolders(fi), Waited: waited}
		}
		t := time.NewTimer(min(pause, left))
		select {
		case <-w.Cancel:
			t.Stop()
			waited := time.Since(w.began)
			return &LockBusyError{Path: s.Path, Holders: lockHolders(fi), Waited: waited, Canceled: true}
		case <-t.C:
		}
		pause = min(2*pause, maxLockPause)
	}
}
