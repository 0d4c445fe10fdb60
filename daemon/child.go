package daemon

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"

	godaemon "github.com/sevlyar/go-daemon"
	"golang.org/x/sys/unix"
)

// reborn is captured when the package initialises, before main runs and
// before Init removes the marker that go-daemon's WasReborn looks at.
var reborn = godaemon.WasReborn() && startedByDetach()

// The child's side of the handshake goes through these states, once.
const (
	childFresh = iota
	childInit  // Init done: stdout/stderr are still the pipe to the parent
	childDone  // Ready or Fail sent: the pipe is closed
)

var (
	childMu    sync.Mutex
	childState = childFresh
)

// startedByDetach tells a child that Detach started from a process that
// merely inherited _GO_DAEMON=1 from some other go-daemon program: only the
// former has go-daemon's context pipe on stdin, the handshake pipe on
// stdout, and go-daemon's spare /dev/null on fd 3. Without this check such a
// process would wait for a context on its terminal.
func startedByDetach() bool {
	return isFIFO(0) && isFIFO(1) && isDevNull(3)
}

// IsDaemon reports whether this process is the daemon started by Detach. It
// stays true after Init. The daemon must call Init before anything else.
func IsDaemon() bool { return reborn }

// Reported reports whether the daemon has told Detach how its start went
// (Ready or Fail): from then on nobody waits for its errors, which go to
// its log.
func Reported() bool {
	childMu.Lock()
	defer childMu.Unlock()
	return childState == childDone
}

// Init completes go-daemon's side of the start in the daemon: it reads the
// context from stdin (which then becomes /dev/null) and removes _GO_DAEMON
// and the GOMAXPROCS that Detach added from the environment, so that
// nothing the daemon runs inherits them. Until
// Ready or Fail, stdout and stderr still reach Detach in the parent, which
// shows them if the daemon fails to start.
func Init() error {
	childMu.Lock()
	defer childMu.Unlock()
	if !reborn {
		return errors.New("not started as a krenew daemon")
	}
	if childState != childFresh {
		return errors.New("daemon already initialised")
	}
	var ctx godaemon.Context
	if _, err := ctx.Reborn(); err != nil {
		return fmt.Errorf("cannot read the daemon context from the parent: %w", err)
	}
	if err := os.Unsetenv(godaemon.MARK_NAME); err != nil {
		return fmt.Errorf("cannot clear %s: %w", godaemon.MARK_NAME, err)
	}
	if os.Getenv(ownMaxProcs) != "" {
		// The runtime has read it; what krenew starts gets the user's.
		os.Unsetenv("GOMAXPROCS")
		os.Unsetenv(ownMaxProcs)
	}
	closeInheritedFds()
	childState = childInit
	return nil
}

// Ready tells Detach that the daemon runs and passes it payload (any text;
// one line is what Detach's callers expect). Afterwards stdout and stderr
// are /dev/null, so the parent sees the end of the pipe.
func Ready(payload string) error {
	childMu.Lock()
	defer childMu.Unlock()
	if childState != childInit {
		return errors.New("daemon not initialised or already reported")
	}
	childState = childDone
	return handOff(readyTag, payload)
}

// Fail tells Detach that the daemon cannot start and why; Detach returns
// msg in its error. The caller then exits with status 1. Fail is also
// usable when Init failed, since stderr is the pipe from the exec onwards.
func Fail(msg string) { FailWith(msg, "") }

// FailWith is Fail with a hint for the user (StartError.Hint), so that the
// parent can print the same two lines the child would have printed in the
// foreground. The child's exit status after FailWith reaches the parent as
// StartError.ExitCode.
func FailWith(msg, hint string) {
	childMu.Lock()
	defer childMu.Unlock()
	if !reborn || childState == childDone {
		return
	}
	childState = childDone
	var prefix string
	if hint != "" {
		prefix = encodeMarker(hintTag, hint)
	}
	_ = handOff(failTag, msg, prefix)
}

// handOff detaches stdout and stderr from the parent first and only then
// writes the marker through a private copy of the pipe, so no other
// goroutine can write to the pipe after the parent stopped reading (which
// would kill the daemon with SIGPIPE on fd 1 or 2).
func handOff(tag, text string, before ...string) error {
	pipe, err := unix.FcntlInt(2, unix.F_DUPFD_CLOEXEC, 3)
	if err != nil {
		return fmt.Errorf("cannot reach the parent: %w", err)
	}
	defer unix.Close(pipe)
	null, err := unix.Open(os.DevNull, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("cannot open %s: %w", os.DevNull, err)
	}
	defer unix.Close(null)
	for _, fd := range []int{1, 2} {
		if err := unix.Dup3(null, fd, 0); err != nil {
			return fmt.Errorf("cannot redirect fd %d to %s: %w", fd, os.DevNull, err)
		}
	}
	if err := writeAll(pipe, []byte(strings.Join(before, "")+encodeMarker(tag, text))); err != nil {
		return fmt.Errorf("cannot report to the parent: %w", err)
	}
	return nil
}

func writeAll(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := unix.Write(fd, b)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// closeInheritedFds closes every descriptor above 2 without close-on-exec.
// Go opens all of its own with close-on-exec, so these came through the
// exec: go-daemon's spare /dev/null on fd 3, and whatever the user's shell
// or terminal leaked into the parent. A daemon holding, say, the write end
// of a pipe would keep `x=$(krenew)` or an ssh session waiting forever, and
// would pass them on to every command it runs.
func closeInheritedFds() {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || fd <= 2 {
			continue
		}
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if err == nil && flags&unix.FD_CLOEXEC == 0 {
			_ = unix.Close(fd)
		}
	}
}

func isFIFO(fd int) bool {
	var st unix.Stat_t
	return unix.Fstat(fd, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFIFO
}

func isDevNull(fd int) bool {
	var st, null unix.Stat_t
	if unix.Fstat(fd, &st) != nil || unix.Stat(os.DevNull, &null) != nil {
		return false
	}
	return st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == null.Rdev
}
