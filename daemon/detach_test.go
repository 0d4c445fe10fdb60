package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// detachHelper starts the test binary through Detach in the given mode.
func detachHelper(t *testing.T, mode string, timeout time.Duration) (int, string, error) {
	t.Helper()
	return Detach(context.Background(), []string{helperArg, mode}, timeout)
}

func asStartError(t *testing.T, err error) *StartError {
	t.Helper()
	var se *StartError
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a *StartError", err, err)
	}
	return se
}

// assertReaped checks that pid is neither running nor a zombie of ours.
func assertReaped(t *testing.T, pid int) {
	t.Helper()
	if err := unix.Kill(pid, 0); !errors.Is(err, unix.ESRCH) {
		t.Errorf("child %d still exists (kill 0: %v): not reaped", pid, err)
	}
}

func TestDetachReadyRoundTrip(t *testing.T) {
	var forwarded bytes.Buffer
	forwardTo = &forwarded
	t.Cleanup(func() { forwardTo = os.Stderr })

	pid, payload, err := detachHelper(t, "ready", 30*time.Second)
	if err != nil {
		t.Fatalf("Detach: %v", err)
	}
	var r childReport
	if err := json.Unmarshal([]byte(payload), &r); err != nil {
		t.Fatalf("payload %q: %v", payload, err)
	}
	if r.PID != pid {
		t.Errorf("Detach returned pid %d, child says %d", pid, r.PID)
	}
	mySid, _ := unix.Getsid(0)
	if r.Sid != pid || r.Sid == mySid {
		t.Errorf("child session %d: want a new session led by the child %d (ours is %d)", r.Sid, pid, mySid)
	}
	if r.Cwd != "/" {
		t.Errorf("child cwd %q, want /", r.Cwd)
	}
	if r.Mark != "" {
		t.Errorf("_GO_DAEMON=%q still set in the child after Init", r.Mark)
	}
	if !r.StillDaemon {
		t.Error("IsDaemon false after Init")
	}
	if r.SecondInit == "" {
		t.Error("a second Init did not fail")
	}
	if r.ReportedEarly {
		t.Error("Reported true before Ready")
	}
	if r.StdinBytes != 0 || !r.StdinEOF {
		t.Errorf("child stdin after Init gave %d bytes (EOF %v), want /dev/null", r.StdinBytes, r.StdinEOF)
	}
	if strings.Contains(r.SpawnedEnv, "_GO_DAEMON") {
		t.Errorf("a process the daemon started inherited _GO_DAEMON:\n%s", r.SpawnedEnv)
	}
	if os.Getenv("GOMAXPROCS") == "" {
		if r.MaxProcs != 1 {
			t.Errorf("daemon started with GOMAXPROCS %d, want 1 (from its environment at exec)", r.MaxProcs)
		}
		if strings.Contains(r.SpawnedEnv, "GOMAXPROCS") {
			t.Errorf("a process the daemon started inherited the GOMAXPROCS meant for the daemon:\n%s", r.SpawnedEnv)
		}
	}
	if !strings.Contains(r.SpawnedEnv, "PATH=") {
		t.Errorf("spawned environment looks wrong (no PATH):\n%s", r.SpawnedEnv)
	}
	if r.SpawnedFds != "0 1 2" {
		t.Errorf("a process the daemon started had descriptors %q, want 0 1 2", r.SpawnedFds)
	}
	if got := forwarded.String(); got != "warming up\n" {
		t.Errorf("output before Ready forwarded as %q, want %q", got, "warming up\n")
	}

	// Detached and still running, with its output on /dev/null.
	if err := unix.Kill(pid, 0); err != nil {
		t.Fatalf("daemon %d not running after Detach: %v", pid, err)
	}
	for _, fd := range []string{"0", "1", "2"} {
		if dst, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/fd/" + fd); err != nil || dst != "/dev/null" {
			t.Errorf("daemon fd %s -> %q (%v), want /dev/null", fd, dst, err)
		}
	}
	assertNoInheritableFds(t, pid)

	// We are still its parent in the test, so reap it ourselves: it must
	// have survived writing after Ready and exit 0 on SIGTERM.
	if err := unix.Kill(pid, unix.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var ws unix.WaitStatus
	if _, err := unix.Wait4(pid, &ws, 0, nil); err != nil {
		t.Fatal(err)
	}
	if !ws.Exited() || ws.ExitStatus() != 0 {
		t.Errorf("daemon ended with %v (exited %v, status %d), want exit 0", ws, ws.Exited(), ws.ExitStatus())
	}
}

// TestDetachContextCarriesNoSecret pins down everything that crosses from
// parent to child besides argv and environment: go-daemon's JSON context on
// stdin. It must hold only the fields below, with the args and environment
// we passed, which the caller keeps free of secrets.
func TestDetachContextCarriesNoSecret(t *testing.T) {
	_, _, err := detachHelper(t, "context-dump", 30*time.Second)
	se := asStartError(t, err)
	if se.ExitCode != 1 {
		t.Errorf("exit code %d, want 1", se.ExitCode)
	}
	payload, rest, _ := strings.Cut(se.Message, "\n")
	if strings.TrimSpace(rest) != "" {
		t.Errorf("stdin held more than the context: %q", rest)
	}
	var ctx map[string]json.RawMessage
	if err := json.Unmarshal([]byte(payload), &ctx); err != nil {
		t.Fatalf("context %q: %v", payload, err)
	}
	var keys []string
	for k := range ctx {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	want := []string{"Args", "Chroot", "Credential", "Env", "LogFileName", "LogFilePerm",
		"PidFileName", "PidFilePerm", "Umask", "WorkDir"}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("context fields %v, want %v", keys, want)
	}
	var args, env []string
	_ = json.Unmarshal(ctx["Args"], &args)
	_ = json.Unmarshal(ctx["Env"], &env)
	if wantArgs := []string{os.Args[0], helperArg, "context-dump"}; !reflect.DeepEqual(args, wantArgs) {
		t.Errorf("context args %q, want %q", args, wantArgs)
	}
	wantEnv := append(daemonEnv(os.Environ()), "_GO_DAEMON=1")
	if !reflect.DeepEqual(env, wantEnv) {
		t.Errorf("context env differs from ours minus _GO_DAEMON plus GOMAXPROCS and go-daemon's marker:\n got %q\nwant %q", env, wantEnv)
	}
	var logName string
	_ = json.Unmarshal(ctx["LogFileName"], &logName)
	if !regexp.MustCompile(`^/proc/self/fd/\d+$`).MatchString(logName) {
		t.Errorf("LogFileName %q", logName)
	}
	for _, k := range []string{"PidFileName", "Chroot"} {
		if string(ctx[k]) != `""` {
			t.Errorf("%s = %s, want empty", k, ctx[k])
		}
	}
	if string(ctx["Credential"]) != "null" {
		t.Errorf("Credential = %s, want null", ctx["Credential"])
	}
	assertReaped(t, se.PID)
}

func TestDetachFail(t *testing.T) {
	_, _, err := detachHelper(t, "fail", 30*time.Second)
	se := asStartError(t, err)
	if se.Message != "cannot take the lock: boom" {
		t.Errorf("message %q", se.Message)
	}
	if se.Output != "diagnostic before failing\n" {
		t.Errorf("output %q", se.Output)
	}
	if se.ExitCode != 1 || se.Signal != 0 || se.TimedOut {
		t.Errorf("exit %d signal %v timed out %v, want exit 1", se.ExitCode, se.Signal, se.TimedOut)
	}
	want := "daemon failed to start: diagnostic before failing\ncannot take the lock: boom (exit status 1)"
	if err.Error() != want {
		t.Errorf("error %q, want %q", err.Error(), want)
	}
	assertReaped(t, se.PID)
}

// The parent can print what the child would have printed in the
// foreground: the error, its hint, and the exit status.
func TestDetachFailWithHint(t *testing.T) {
	_, _, err := detachHelper(t, "fail-hint", 30*time.Second)
	se := asStartError(t, err)
	if se.Message != "cannot write credential cache FILE:/x: read-only file system" {
		t.Errorf("message %q", se.Message)
	}
	if se.Hint != "choose another cache with -k" {
		t.Errorf("hint %q", se.Hint)
	}
	if se.ExitCode != 4 {
		t.Errorf("exit code %d, want 4", se.ExitCode)
	}
	if se.Output != "" {
		t.Errorf("the hint leaked into the output: %q", se.Output)
	}
	assertReaped(t, se.PID)
}

func TestDetachChildExitsWithoutFail(t *testing.T) {
	_, _, err := detachHelper(t, "crash", 30*time.Second)
	se := asStartError(t, err)
	if se.ExitCode != 3 {
		t.Errorf("exit code %d, want 3", se.ExitCode)
	}
	if got, want := err.Error(), "daemon failed to start: fatal: no way (exit status 3)"; got != want {
		t.Errorf("error %q, want %q", got, want)
	}
	assertReaped(t, se.PID)
}

func TestDetachChildKilled(t *testing.T) {
	_, _, err := detachHelper(t, "killed", 30*time.Second)
	se := asStartError(t, err)
	if se.Signal != syscall.SIGKILL || se.ExitCode != -1 || se.TimedOut {
		t.Errorf("signal %v exit %d timed out %v, want killed by SIGKILL", se.Signal, se.ExitCode, se.TimedOut)
	}
	if !strings.Contains(err.Error(), "about to die") || !strings.Contains(err.Error(), "killed by signal killed") {
		t.Errorf("error %q", err)
	}
	assertReaped(t, se.PID)
}

func TestDetachTimeoutKillsChild(t *testing.T) {
	start := time.Now()
	_, _, err := detachHelper(t, "hang", 2*time.Second)
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("Detach took %v with a 2s timeout", took)
	}
	if !errors.Is(err, ErrStartTimeout) {
		t.Fatalf("error %v does not wrap ErrStartTimeout", err)
	}
	se := asStartError(t, err)
	if !se.TimedOut || se.Signal != syscall.SIGKILL {
		t.Errorf("timed out %v signal %v", se.TimedOut, se.Signal)
	}
	if !strings.HasPrefix(err.Error(), "daemon did not report ready within 2s: grandchild ") {
		t.Errorf("error %q", err)
	}
	assertReaped(t, se.PID)

	// What the child started in its session is killed with it.
	m := regexp.MustCompile(`grandchild (\d+)`).FindStringSubmatch(se.Output)
	if m == nil {
		t.Fatalf("no grandchild pid in %q", se.Output)
	}
	gpid, _ := strconv.Atoi(m[1])
	deadline := time.Now().Add(10 * time.Second)
	for {
		stat, err := os.ReadFile("/proc/" + m[1] + "/stat")
		if err != nil || strings.Contains(string(stat), ") Z ") {
			break // gone, or dead and waiting for init to reap it
		}
		if time.Now().After(deadline) {
			_ = unix.Kill(gpid, unix.SIGKILL)
			t.Fatalf("grandchild %d survived the timeout kill: %s", gpid, stat)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestStartErrorText(t *testing.T) {
	cases := []struct {
		e    StartError
		want string
	}{
		{StartError{ExitCode: 2}, "daemon failed to start (exit status 2)"},
		{StartError{ExitCode: 1, Output: "a\n", Message: "b"}, "daemon failed to start: a\nb (exit status 1)"},
		{StartError{ExitCode: -1, Signal: syscall.SIGSEGV}, "daemon failed to start (killed by signal segmentation fault)"},
		{StartError{ExitCode: -1, Signal: syscall.SIGKILL, TimedOut: true, Timeout: 5 * time.Second, Output: "slow\n"},
			"daemon did not report ready within 5s: slow"},
	}
	for _, c := range cases {
		if got := c.e.Error(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.e, got, c.want)
		}
	}
}

func TestMarkerRoundTrip(t *testing.T) {
	for _, text := range []string{"", "alice@R|FILE:/tmp/x|2026-01-01T00:00:00Z|42", "two\nlines\x00and nul", "ünïcode"} {
		line := "partial output " + encodeMarker(readyTag, text)
		tag, got, ok := parseMarker(line)
		if !ok || tag != readyTag || got != text {
			t.Errorf("%q: parsed tag %q text %q ok %v", text, tag, got, ok)
		}
	}
	if _, _, ok := parseMarker("ordinary diagnostic\n"); ok {
		t.Error("ordinary line taken for a marker")
	}
	if _, _, ok := parseMarker(markerPrefix + "ready unquoted\n"); ok {
		t.Error("malformed marker accepted")
	}
}

func TestCleanEnv(t *testing.T) {
	got := CleanEnv([]string{"A=1", "_GO_DAEMON=1", "_GO_DAEMONX=2", "B=_GO_DAEMON=1"})
	want := []string{"A=1", "_GO_DAEMONX=2", "B=_GO_DAEMON=1"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("CleanEnv = %q, want %q", got, want)
	}
}

func TestChildCallsOutsideDaemon(t *testing.T) {
	if IsDaemon() {
		t.Fatal("the test process claims to be a daemon")
	}
	if err := Init(); err == nil {
		t.Error("Init succeeded outside a daemon")
	}
	if err := Ready("x"); err == nil {
		t.Error("Ready succeeded outside a daemon")
	}
}

// assertNoInheritableFds checks that pid has no descriptor above 2 that an
// exec would pass on (all of Go's own are close-on-exec).
func assertNoInheritableFds(t *testing.T, pid int) {
	t.Helper()
	dir := "/proc/" + strconv.Itoa(pid) + "/fdinfo/"
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if n, _ := strconv.Atoi(e.Name()); n <= 2 {
			continue
		}
		info, err := os.ReadFile(dir + e.Name())
		if err != nil {
			continue // closed meanwhile
		}
		m := regexp.MustCompile(`(?m)^flags:\s+([0-7]+)$`).FindSubmatch(info)
		if m == nil {
			t.Fatalf("no flags in %s%s: %s", dir, e.Name(), info)
		}
		flags, _ := strconv.ParseUint(string(m[1]), 8, 64)
		if flags&unix.O_CLOEXEC == 0 {
			dst, _ := os.Readlink("/proc/" + strconv.Itoa(pid) + "/fd/" + e.Name())
			t.Errorf("daemon keeps inherited fd %s -> %s without close-on-exec", e.Name(), dst)
		}
	}
}

// Many daemons started at once on a busy machine all start: go-daemon's
// handover races with the child closing its stdin (a broken pipe that
// must not count as a failed start).
func TestDetachUnderLoad(t *testing.T) {
	const starts, parallel = 60, 8
	sem := make(chan struct{}, parallel)
	errs := make(chan error, starts)
	for range starts {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			_, payload, err := Detach(context.Background(), []string{helperArg, "ready-quick"}, 30*time.Second)
			if err == nil && payload != "quick" {
				err = fmt.Errorf("payload %q", payload)
			}
			errs <- err
		}()
	}
	failed := 0
	for range starts {
		if err := <-errs; err != nil {
			failed++
			t.Errorf("start failed: %v", err)
		}
	}
	t.Logf("%d starts, %d at a time: %d failed", starts, parallel, failed)
}

// The race above is too narrow to provoke on demand (the bench hit it 11
// times in 200 starts on a loaded machine), so the decision is checked on
// the errors go-daemon returns.
func TestHandoverBrokenPipeIsNotAFailure(t *testing.T) {
	child := &os.Process{Pid: 1}
	brokenPipe := &os.PathError{Op: "write", Path: "|1", Err: syscall.EPIPE}
	if handoverFailed(child, brokenPipe) {
		t.Error("a broken pipe after the child started counts as a failed start")
	}
	if !handoverFailed(nil, brokenPipe) {
		t.Error("a broken pipe without a child does not count as a failure")
	}
	if !handoverFailed(child, &os.PathError{Op: "write", Path: "|1", Err: syscall.EIO}) {
		t.Error("another write error does not count as a failure")
	}
}

func TestDaemonEnvLimitsProcessorsUnlessTheUserChose(t *testing.T) {
	got := daemonEnv([]string{"A=1", "_GO_DAEMON=1"})
	want := []string{"A=1", "GOMAXPROCS=1", ownMaxProcs + "=1"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("daemonEnv without GOMAXPROCS = %q, want %q", got, want)
	}
	got = daemonEnv([]string{"GOMAXPROCS=4", "B=2"})
	want = []string{"GOMAXPROCS=4", "B=2"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("daemonEnv with the user's GOMAXPROCS = %q, want it untouched: %q", got, want)
	}
}

// Ctrl-C in the waiting parent (ctx ending) kills a child that is not
// ready yet, at once rather than at the timeout.
func TestDetachCancelKillsChild(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(500*time.Millisecond, cancel)
	start := time.Now()
	_, _, err := Detach(ctx, []string{helperArg, "hang"}, time.Minute)
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("Detach took %v after the cancel", took)
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v does not wrap context.Canceled", err)
	}
}
