package daemon

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"time"
)

// Holder is a running krenew that holds a cache's lock, as --list shows it.
type Holder struct {
	PID    int // the kernel's word for the process bound to the lock
	Status Status
}

// ListHolders finds every lock this user's krenew daemons hold and asks
// each for its status. The locks are abstract unix sockets, which
// /proc/net/unix lists by name; one that stops answering (a daemon that
// just exited) is left out.
func ListHolders() ([]Holder, error) {
	f, err := os.Open("/proc/net/unix")
	if err != nil {
		return nil, fmt.Errorf("cannot list unix sockets: %w", err)
	}
	defer f.Close()
	names, err := listeningLocks(f, os.Geteuid())
	if err != nil {
		return nil, err
	}
	var out []Holder
	for _, name := range names {
		pid, line, err := queryName(name)
		if errors.Is(err, ErrNotHeld) || errors.Is(err, ErrSquatted) {
			continue
		}
		st := ParseStatus(line)
		if err != nil {
			// A holder that does not answer (stopped) is still listed:
			// it holds the cache.
			st = Status{LastError: err.Error()}
		}
		out = append(out, Holder{PID: pid, Status: st})
	}
	return out, nil
}

// listeningLocks reads /proc/net/unix for the listening sockets named
// "@krenew/<euid>/...": the locks of this user's daemons (LockName).
// The kernel shows an abstract name with "@" for its leading NUL.
func listeningLocks(r io.Reader, euid int) ([]string, error) {
	const acceptConn = 0x10000 // __SO_ACCEPTCON: a listening socket
	prefix := fmt.Sprintf("@krenew/%d/", euid)
	seen := map[string]bool{}
	var names []string
	sc := bufio.NewScanner(io.LimitReader(r, 64<<20))
	sc.Buffer(make([]byte, 4096), 1<<16)
	for sc.Scan() {
		// Num RefCount Protocol Flags Type St Inode Path
		f := strings.Fields(sc.Text())
		if len(f) < 8 || !strings.HasPrefix(f[7], prefix) || seen[f[7]] {
			continue
		}
		var flags uint64
		if _, err := fmt.Sscanf(f[3], "%x", &flags); err != nil || flags&acceptConn == 0 {
			continue
		}
		seen[f[7]] = true
		names = append(names, f[7])
	}
	return names, sc.Err()
}

// ErrStopTimeout is returned by Stop when the holder is still there after
// the wait.
var ErrStopTimeout = errors.New("krenew did not exit")

// Stop ends the krenew that maintains cachePath with SIGTERM, which it
// takes as a clean exit (pidfile removed, cache left as it is), and waits
// up to wait for its lock to be free. The pid is the one the kernel
// reports for the lock, never one read from a file.
func Stop(cachePath string, wait time.Duration) (pid int, st Status, err error) {
	pid, st, err = QueryStatus(cachePath)
	if err != nil {
		return pid, st, err
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return pid, st, fmt.Errorf("cannot signal krenew pid %d: %w", pid, err)
	}
	for deadline := time.Now().Add(wait); ; time.Sleep(20 * time.Millisecond) {
		if _, _, err := QueryHolder(cachePath); errors.Is(err, ErrNotHeld) {
			return pid, st, nil
		}
		if time.Now().After(deadline) {
			return pid, st, fmt.Errorf("%w within %s of SIGTERM (pid %d)", ErrStopTimeout, wait, pid)
		}
	}
}
