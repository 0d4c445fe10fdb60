package daemon

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/krenew/krenew/ccache"
)

var (
	// ErrLocked is wrapped by the *HolderError AcquireLock returns when
	// another krenew already maintains the cache.
	ErrLocked = errors.New("cache is already maintained by another krenew")
	// ErrNotHeld is returned by QueryHolder when no krenew maintains the cache.
	ErrNotHeld = errors.New("no krenew maintains this cache")
	// ErrSquatted is wrapped when the lock's name is bound by a process of
	// another user: it is not a krenew of ours, and it blocks the lock.
	ErrSquatted = errors.New("lock is held by another user")
)

// HolderError describes the krenew that holds a lock; it wraps ErrLocked.
type HolderError struct {
	PID    int
	Status string // the holder's SetStatus line; empty if it did not answer
}

func (e *HolderError) Error() string {
	if e.Status == "" {
		return fmt.Sprintf("cache is already maintained by krenew pid %d", e.PID)
	}
	return fmt.Sprintf("cache is already maintained by krenew pid %d: %s", e.PID, e.Status)
}

func (e *HolderError) Unwrap() error { return ErrLocked }

// queryTimeout bounds how long a client waits for a holder's status line; a
// stopped (SIGSTOP) holder must not hang `krenew --status`.
const queryTimeout = 2 * time.Second

// Lock is "one daemon per cache": a bound abstract unix socket named after
// the user and the cache. The kernel frees the name when the process dies,
// so there is never a stale lock to clean up. While held, it answers each
// connection from the same user (or root) with the current status line.
type Lock struct {
	name   string
	ln     *net.UnixListener
	status atomic.Pointer[string]
	served chan struct{} // closed when the accept loop has ended
	once   sync.Once
	err    error
}

// AcquireLock takes the lock for cachePath (a cache name such as
// "FILE:/tmp/krb5cc_1000" or a plain path; relative paths are resolved
// against the current directory). If another krenew of this user holds it,
// the error is a *HolderError (errors.Is(err, ErrLocked)) with its pid and
// status line.
func AcquireLock(cachePath string) (*Lock, error) {
	name, err := LockName(cachePath)
	if err != nil {
		return nil, err
	}
	return acquireName(name)
}

func acquireName(name string) (*Lock, error) {
	// A holder can die between our failed bind and our query; then the
	// name is free and another attempt succeeds.
	for attempt := 0; ; attempt++ {
		ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: name, Net: "unix"})
		if err == nil {
			return serve(name, ln), nil
		}
		if !errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("cannot create lock %s: %w", name, err)
		}
		pid, status, qerr := queryName(name)
		switch {
		case qerr == nil:
			return nil, &HolderError{PID: pid, Status: status}
		case errors.Is(qerr, ErrNotHeld) && attempt < 3:
			continue
		case errors.Is(qerr, ErrNotHeld) || errors.Is(qerr, ErrSquatted):
			return nil, qerr
		case pid > 0:
			// Held by a krenew of ours that did not answer in time.
			return nil, &HolderError{PID: pid}
		default:
			return nil, qerr
		}
	}
}

// WaitLock polls AcquireLock until the lock is free or ctx ends. It gives up
// at once on errors other than ErrLocked (a squatter does not go away).
func WaitLock(ctx context.Context, cachePath string) (*Lock, error) {
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		l, err := AcquireLock(cachePath)
		if !errors.Is(err, ErrLocked) {
			return l, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("gave up waiting for the lock: %w", ctx.Err())
		case <-tick.C:
		}
	}
}

// QueryHolder asks the krenew that maintains cachePath for its pid and
// status line; ErrNotHeld if none does.
func QueryHolder(cachePath string) (pid int, status string, err error) {
	name, err := LockName(cachePath)
	if err != nil {
		return 0, "", err
	}
	return queryName(name)
}

// SetStatus sets the line served to clients; newlines become spaces.
func (l *Lock) SetStatus(line string) {
	line = strings.NewReplacer("\r", " ", "\n", " ").Replace(line)
	l.status.Store(&line)
}

// Release frees the lock. Calling it again returns the first result.
func (l *Lock) Release() error {
	l.once.Do(func() {
		l.err = l.ln.Close()
		<-l.served
	})
	return l.err
}

// Name is the abstract socket name ("@..."), for diagnostics.
func (l *Lock) Name() string { return l.name }

// LockName is the abstract socket name that serves as the lock for a cache:
// "@krenew/<euid>/<first 32 hex digits of sha256(ccache.LockKey(cachePath))>".
func LockName(cachePath string) (string, error) {
	key, err := ccache.LockKey(cachePath)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(key))
	return fmt.Sprintf("@krenew/%d/%s", os.Geteuid(), hex.EncodeToString(sum[:])[:32]), nil
}

func serve(name string, ln *net.UnixListener) *Lock {
	l := &Lock{name: name, ln: ln, served: make(chan struct{})}
	empty := ""
	l.status.Store(&empty)
	go l.acceptLoop()
	return l
}

func (l *Lock) acceptLoop() {
	defer close(l.served)
	for {
		c, err := l.ln.AcceptUnix()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of descriptors or similar: do not spin.
			time.Sleep(100 * time.Millisecond)
			continue
		}
		l.answer(c)
	}
}

// answer gives the status line to clients of this user or root; anyone else
// is hung up on without a word.
func (l *Lock) answer(c *net.UnixConn) {
	defer c.Close()
	cred, err := peerCred(c)
	if err != nil || (cred.Uid != uint32(os.Geteuid()) && cred.Uid != 0) {
		return
	}
	_ = c.SetWriteDeadline(time.Now().Add(queryTimeout))
	_, _ = c.Write([]byte(*l.status.Load() + "\n"))
}

func queryName(name string) (pid int, status string, err error) {
	c, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: name, Net: "unix"})
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT) {
			return 0, "", ErrNotHeld
		}
		return 0, "", fmt.Errorf("cannot reach lock %s: %w", name, err)
	}
	defer c.Close()
	cred, err := peerCred(c)
	if err != nil {
		return 0, "", fmt.Errorf("cannot identify the holder of lock %s: %w", name, err)
	}
	if cred.Uid != uint32(os.Geteuid()) {
		return int(cred.Pid), "", fmt.Errorf("%w: lock %s is bound by pid %d of uid %d",
			ErrSquatted, name, cred.Pid, cred.Uid)
	}
	_ = c.SetReadDeadline(time.Now().Add(queryTimeout))
	line, err := bufio.NewReader(io.LimitReader(c, 64<<10)).ReadString('\n')
	if err != nil {
		return int(cred.Pid), "", fmt.Errorf("krenew pid %d did not report its status: %w", cred.Pid, err)
	}
	return int(cred.Pid), strings.TrimSuffix(line, "\n"), nil
}

// peerCred is what the kernel recorded about the other end when it called
// listen or connect; it cannot be forged by that process.
func peerCred(c *net.UnixConn) (*unix.Ucred, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	var cred *unix.Ucred
	var cerr error
	if err := rc.Control(func(fd uintptr) {
		cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return nil, err
	}
	return cred, cerr
}
