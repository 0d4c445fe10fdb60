package daemon

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	godaemon "github.com/sevlyar/go-daemon"
)

// The child reports on its stdout/stderr, which is the handshake pipe until
// Ready or Fail. A NUL cannot appear in ordinary text output, so a line
// containing this prefix is the child speaking to Detach, not diagnostics.
const (
	markerPrefix = "\x00krenew-daemon "
	readyTag     = "ready"
	failTag      = "fail"
	hintTag      = "hint" // before failTag: what the user can do about it
)

// maxOutput bounds what Detach keeps of the child's diagnostics, so that a
// child stuck in a printing loop cannot make the parent grow without limit.
const maxOutput = 64 << 10

// ErrStartTimeout is wrapped by the StartError returned when the child
// neither became ready nor exited within Detach's timeout.
var ErrStartTimeout = errors.New("daemon did not report ready in time")

// StartError says why the daemon did not start.
type StartError struct {
	PID      int
	Output   string         // what the child wrote to stdout/stderr before it failed
	Message  string         // what the child passed to Fail, if it did
	Hint     string         // the hint the child passed to FailWith, if any
	ExitCode int            // the child's exit status; -1 if it was killed
	Signal   syscall.Signal // the signal that killed the child, if one did
	TimedOut bool           // the child was killed because it was not ready in time
	Timeout  time.Duration
}

func (e *StartError) Error() string {
	detail := strings.TrimSpace(strings.TrimSpace(e.Output) + "\n" + e.Message)
	var b strings.Builder
	if e.TimedOut {
		fmt.Fprintf(&b, "daemon did not report ready within %v", e.Timeout)
	} else {
		b.WriteString("daemon failed to start")
	}
	if detail != "" {
		b.WriteString(": ")
		b.WriteString(detail)
	}
	switch {
	case e.TimedOut:
	case e.Signal != 0:
		fmt.Fprintf(&b, " (killed by signal %v)", e.Signal)
	case e.ExitCode >= 0:
		fmt.Fprintf(&b, " (exit status %d)", e.ExitCode)
	}
	return b.String()
}

func (e *StartError) Unwrap() error {
	if e.TimedOut {
		return ErrStartTimeout
	}
	return nil
}

// forwardTo receives what a child that did become ready wrote before Ready
// (warnings, verbose startup logs), so it is not lost; a variable for tests.
var forwardTo io.Writer = os.Stderr

// Detach starts the daemon: a fresh exec of os.Executable() with argv
// os.Args[0] followed by args, the caller's environment minus go-daemon's
// marker (go-daemon adds its own), working directory "/", a new session, and
// stdin /dev/null once go-daemon's handshake is done. args must not depend
// on the current directory and must not carry secrets.
//
// It blocks until the child calls Ready, and returns the child's pid and the
// payload it passed; anything the child wrote before that is copied to
// os.Stderr. If the child calls Fail, exits, or is not ready within timeout
// (it is then killed), the error is a *StartError with what the child wrote
// and how it ended; the child is reaped in every failure case. A ready child
// is left running and is not reaped: the caller is expected to exit soon, so
// that init adopts it.
//
// ctx ending (Ctrl-C in the waiting parent) kills the child too: the user
// asked for no daemon.
func Detach(ctx context.Context, args []string, timeout time.Duration) (pid int, payload string, err error) {
	pr, pw, err := os.Pipe()
	if err != nil {
		return 0, "", fmt.Errorf("cannot create handshake pipe: %w", err)
	}
	defer pr.Close()
	wfd, err := rawFd(pw)
	if err != nil {
		pw.Close()
		return 0, "", fmt.Errorf("cannot create handshake pipe: %w", err)
	}
	// go-daemon opens LogFileName itself and gives it to the child as fd 1
	// and 2. Opening /proc/self/fd/N of a pipe yields a new descriptor for
	// the same pipe, so the child's stdout and stderr become our pipe
	// without go-daemon knowing.
	dctx := &godaemon.Context{
		LogFileName: fmt.Sprintf("/proc/self/fd/%d", wfd),
		LogFilePerm: 0o600,
		WorkDir:     "/",
		Args:        append([]string{os.Args[0]}, args...),
		Env:         daemonEnv(os.Environ()),
	}
	child, err := dctx.Reborn()
	// Only the child may hold a write end from now on, or EOF never comes.
	pw.Close()
	if err != nil && !handoverFailed(child, err) {
		err = nil
	}
	if err != nil {
		if child != nil {
			// Started, but go-daemon could not hand over its context.
			_ = child.Kill()
			_, _ = child.Wait()
		}
		return 0, "", fmt.Errorf("cannot start daemon: %w", err)
	}
	w := &watch{child: child, timeout: timeout, deadline: time.NewTimer(timeout)}
	defer w.deadline.Stop()
	return w.run(ctx, pr)
}

// handoverFailed tells a real failure to hand go-daemon's context to the
// child from a harmless one. go-daemon writes its context and then "\n\n"
// to the child's stdin, while the child, once it has decoded the context,
// puts /dev/null on its stdin: on a busy machine the child can win, and the
// second write fails with a broken pipe though the child got all it needs.
// Had the child died before reading, the handshake would see it exit and
// report why, so a broken pipe is never a failure here.
func handoverFailed(child *os.Process, err error) bool {
	return child == nil || !errors.Is(err, syscall.EPIPE)
}

// watch follows one child from start to ready or failure.
type watch struct {
	child    *os.Process
	timeout  time.Duration
	deadline *time.Timer
	output   strings.Builder
	message  string
	failed   bool // the child called Fail
	hint     string
}

func (w *watch) run(ctx context.Context, pr *os.File) (int, string, error) {
	lines := make(chan string)
	stop := make(chan struct{})
	defer close(stop)
	go readLines(pr, lines, stop)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				// The child closed the pipe: it exited or called Fail.
				return 0, "", w.reap()
			}
			tag, text, isMarker := parseMarker(line)
			if !isMarker {
				w.keep(line)
				continue
			}
			w.keep(line[:strings.Index(line, markerPrefix)])
			switch tag {
			case readyTag:
				pid := w.child.Pid
				_ = w.child.Release()
				if out := w.output.String(); out != "" {
					_, _ = io.WriteString(forwardTo, out)
				}
				return pid, text, nil
			case failTag:
				w.failed = true
				w.message = text
			case hintTag:
				w.hint = text
			}
		case <-w.deadline.C:
			return 0, "", w.kill()
		case <-ctx.Done():
			killGroup(w.child)
			_, _ = w.child.Wait()
			return 0, "", fmt.Errorf("stopped waiting for the daemon to start: %w", ctx.Err())
		}
	}
}

// keep records diagnostics up to maxOutput.
func (w *watch) keep(s string) {
	if room := maxOutput - w.output.Len(); room > 0 {
		if len(s) > room {
			s = s[:room]
		}
		w.output.WriteString(s)
	}
}

// reap waits for a child that closed its end of the pipe, killing it if it
// does not exit before the deadline.
func (w *watch) reap() error {
	exited := make(chan *os.ProcessState, 1)
	go func() {
		st, _ := w.child.Wait()
		exited <- st
	}()
	select {
	case st := <-exited:
		return w.failure(st, false)
	case <-w.deadline.C:
		killGroup(w.child)
		return w.failure(<-exited, true)
	}
}

// kill ends a child that is not ready in time.
func (w *watch) kill() error {
	killGroup(w.child)
	st, _ := w.child.Wait()
	return w.failure(st, true)
}

func (w *watch) failure(st *os.ProcessState, timedOut bool) error {
	e := &StartError{
		PID:      w.child.Pid,
		Output:   w.output.String(),
		Message:  w.message,
		Hint:     w.hint,
		ExitCode: -1,
		TimedOut: timedOut && !w.failed,
		Timeout:  w.timeout,
	}
	if st != nil {
		if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			e.Signal = ws.Signal()
		} else {
			e.ExitCode = st.ExitCode()
		}
	}
	return e
}

// killGroup kills the child and anything it started in its session: the
// child is a session and process group leader (go-daemon sets Setsid).
func killGroup(p *os.Process) {
	_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
	_ = p.Kill()
}

// readLines sends each line read from r (the last one possibly without a
// newline) and closes lines at EOF; stop ends it early.
func readLines(r io.Reader, lines chan<- string, stop <-chan struct{}) {
	defer close(lines)
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			select {
			case lines <- line:
			case <-stop:
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// parseMarker decodes `<prefix><tag> <quoted text>\n` anywhere in line (the
// child may have left a partial line before it).
func parseMarker(line string) (tag, text string, ok bool) {
	i := strings.Index(line, markerPrefix)
	if i < 0 {
		return "", "", false
	}
	rest := strings.TrimSuffix(line[i+len(markerPrefix):], "\n")
	tag, quoted, found := strings.Cut(rest, " ")
	if !found {
		return "", "", false
	}
	text, err := strconv.Unquote(quoted)
	if err != nil {
		return "", "", false
	}
	return tag, text, true
}

// encodeMarker is the line the child writes for tag.
func encodeMarker(tag, text string) string {
	return markerPrefix + tag + " " + strconv.Quote(text) + "\n"
}

// rawFd is f's descriptor, read without File.Fd's side effect of switching
// it to blocking mode.
func rawFd(f *os.File) (uintptr, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, err
	}
	var fd uintptr
	if err := rc.Control(func(p uintptr) { fd = p }); err != nil {
		return 0, err
	}
	return fd, nil
}

// daemonEnv is the environment the daemon starts with: CleanEnv's, plus
// GOMAXPROCS=1 unless the user chose a GOMAXPROCS. A daemon that renews
// once every few hours needs no parallelism, and only a GOMAXPROCS seen
// by the runtime when the process starts keeps it from starting a thread
// per processor (runtime.GOMAXPROCS later is too late for those); six
// threads instead of eight, each with its stack and page tables. Init
// removes it again, with the marker that says it was ours, so that the
// command of krenew -b -- cmd and aklog inherit the user's environment.
func daemonEnv(env []string) []string {
	out := CleanEnv(env)
	for _, kv := range out {
		if strings.HasPrefix(kv, "GOMAXPROCS=") {
			return out
		}
	}
	return append(out, "GOMAXPROCS=1", ownMaxProcs+"=1")
}

// ownMaxProcs marks a GOMAXPROCS that daemonEnv added.
const ownMaxProcs = "_KRENEW_GOMAXPROCS"

// CleanEnv returns env without go-daemon's marker, for the daemon itself
// and for any process krenew starts: a process that inherits _GO_DAEMON=1
// and happens to use go-daemon would believe it is its own daemon child.
func CleanEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if strings.HasPrefix(kv, godaemon.MARK_NAME+"=") {
			continue
		}
		out = append(out, kv)
	}
	return out
}
