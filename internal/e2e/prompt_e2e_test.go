package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/krenew/krenew/internal/ptytest"
	"github.com/krenew/krenew/internal/testkdc"
)

// These tests type at the real binary through a pseudo-terminal of their
// own, as a user at a shell would, so they also run in CI where there is no
// terminal.

// terminalLines splits terminal output into lines without the CR the
// terminal adds to each newline.
func terminalLines(out string) []string {
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

// wantOneTerminalError checks that the terminal shows exactly one
// "krenew: error:" and that it starts a line (not glued to the prompt) and
// contains every fragment.
func wantOneTerminalError(t *testing.T, out string, fragments ...string) {
	t.Helper()
	if n := strings.Count(out, "krenew: error:"); n != 1 {
		t.Fatalf("terminal shows %d 'krenew: error:', want 1: %q", n, out)
	}
	for _, l := range terminalLines(out) {
		if !strings.HasPrefix(l, "krenew: error: ") {
			continue
		}
		for _, f := range fragments {
			if !strings.Contains(l, f) {
				t.Errorf("error line %q lacks %q", l, f)
			}
		}
		return
	}
	t.Errorf("'krenew: error:' does not start a line: %q", out)
}

func TestPromptAtTerminalGetsTicket(t *testing.T) {
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	cc, _ := cacheIn(t, "cc")
	asReqs := func() int { return strings.Count(k.Log(), "AS_REQ") }
	// The oracle: kinit's AS requests for the same ticket.
	before := asReqs()
	mitKinit(t, k, "FILE:"+filepath.Join(t.TempDir(), "kinit.cc"), "alice", testkdc.AlicePassword)
	kinit := asReqs() - before
	before = asReqs()
	p, _ := krenewAtTerminal(t, k, nil, "--once", "--init", "-u", "alice", "-k", cc)
	p.Expect(t, alicePrompt, termTimeout)
	if tio := p.Termios(t); tio.Lflag&unix.ECHO != 0 {
		t.Errorf("echo is on while krenew waits for the password (lflag %#x)", tio.Lflag)
	}
	p.Write(t, testkdc.AlicePassword+"\n")
	code, out := finished(t, p)
	if code != 0 {
		t.Fatalf("exit status %d: %q", code, out)
	}
	if n := strings.Count(out, "Password for"); n != 1 {
		t.Errorf("prompted %d times: %q", n, out)
	}
	if strings.Contains(out, testkdc.AlicePassword) {
		t.Errorf("the password was echoed: %q", out)
	}
	if strings.Contains(out, "krenew: error:") {
		t.Errorf("error on success: %q", out)
	}
	// The Enter the user typed is not echoed; krenew ends the prompt line
	// itself, so the shell's next prompt starts on a fresh line.
	if !strings.HasPrefix(out, alicePrompt+"\r\n") {
		t.Errorf("terminal should show the prompt then a newline: %q", out)
	}
	wantEchoOn(t, p)
	tk := testkdc.Klist(t, k, cc)
	if tk.Principal != alice || !tk.HasFlag("R") || !tk.HasFlag("I") {
		t.Errorf("klist: principal %q flags %q, want %s with R and I", tk.Principal, tk.Flags, alice)
	}
	// The check of the principal before the prompt is the exchange's
	// first round, as kinit's first request is: no request more.
	if n := asReqs() - before; n != kinit {
		t.Errorf("%d AS requests for the ticket at a terminal, kinit sends %d", n, kinit)
	}
}

func TestPromptWrongPasswordAtTerminal(t *testing.T) {
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	cc, path := cacheIn(t, "cc")
	p, _ := krenewAtTerminal(t, k, nil, "--once", "--init", "-u", "alice", "-k", cc)
	p.Expect(t, alicePrompt, termTimeout)
	const wrong = "not-alices-password"
	p.Write(t, wrong+"\n")
	// A retry loop would sit at a second prompt until termTimeout, then
	// fail here with both prompts in the message.
	code, out := finished(t, p)
	if code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	if n := strings.Count(out, "Password for"); n != 1 {
		t.Errorf("prompted %d times, want once: %q", n, out)
	}
	wantOneTerminalError(t, out, "password incorrect for "+alice)
	if strings.Contains(out, wrong) {
		t.Errorf("the password was echoed: %q", out)
	}
	wantEchoOn(t, p)
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a failed login left a cache behind: %v", err)
	}
}

func TestPromptControlCAtTerminal(t *testing.T) {
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	cc, path := cacheIn(t, "cc")
	mitKinit(t, k, cc, "alice", testkdc.AlicePassword, "-l", "1h", "-r", "2h")
	orig := readFile(t, path)
	p, _ := krenewAtTerminal(t, k, nil, "--once", "--init", "-u", "alice", "-k", cc)
	before := p.Termios(t)
	p.Expect(t, alicePrompt, termTimeout)
	const partial = "alice-sec"
	p.Write(t, partial)
	p.Write(t, "\x03")
	code, out := finished(t, p)
	if code != 130 {
		t.Errorf("exit status %d, want 130 (128+SIGINT)", code)
	}
	wantOneTerminalError(t, out, "password prompt for "+alice+" interrupted")
	if strings.Contains(out, partial) {
		t.Errorf("partial password echoed: %q", out)
	}
	if after := p.Termios(t); after.Lflag&unix.ECHO == 0 || after.Lflag != before.Lflag {
		t.Errorf("terminal not restored after ^C: lflag %#x -> %#x", before.Lflag, after.Lflag)
	}
	if got := readFile(t, path); !bytes.Equal(got, orig) {
		t.Errorf("^C changed the cache (%d bytes, was %d)", len(got), len(orig))
	}
}

var renewingLine = regexp.MustCompile(`(?m)^krenew: renewing (\S+) in (\S+) until (.+) \(pid (\d+)\)\r?$`)

func TestTerminalDaemonPromptsOnce(t *testing.T) {
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	cc, path := cacheIn(t, "cc")
	args := []string{"-u", "alice", "-l", "1h", "-r", "2h", "-k", cc}
	p, _ := krenewAtTerminal(t, k, nil, args...)
	p.Expect(t, alicePrompt, termTimeout)
	p.Write(t, testkdc.AlicePassword+"\n")
	typed := time.Now()
	code := p.Wait(t, termTimeout)
	if took := time.Since(typed); took > shellBack {
		t.Errorf("krenew returned %v after the password was typed, want within %v", took, shellBack)
	}
	m := expectMatch(t, p, renewingLine, shellBack)
	if m != nil {
		pid, _ := strconv.Atoi(m[4])
		t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	}
	if code != 0 || m == nil {
		t.Fatalf("exit status %d, want 0 and a 'krenew: renewing ... (pid N)' line: %q", code, p.Output())
	}
	if m[1] != alice || m[2] != cc {
		t.Errorf("renewing %s in %s, want %s in %s", m[1], m[2], alice, cc)
	}
	// The daemon must let go of the terminal, or closing it would hang up
	// the daemon and the terminal would never close.
	p.WaitClosed(t, shellBack)
	pid, _ := strconv.Atoi(m[4])
	if state, tty := procState(t, pid); state == "Z" || tty != 0 {
		t.Errorf("daemon pid %d: state %s, controlling tty %#x; want running without a terminal", pid, state, tty)
	}
	if n := strings.Count(p.Output(), "Password for"); n != 1 {
		t.Errorf("prompted %d times: %q", n, p.Output())
	}
	tk := testkdc.Klist(t, k, cc)
	within(t, "lifetime", tk.Lifetime(), time.Hour, time.Minute)
	within(t, "renewable lifetime", tk.RenewableLifetime(), 2*time.Hour, time.Minute)

	before := readFile(t, path)
	p2, _ := krenewAtTerminal(t, k, nil, args...)
	// A second prompt would hold krenew until termTimeout and fail here.
	code, out := finished(t, p2)
	if code != 0 {
		t.Errorf("second krenew: exit status %d, want 0", code)
	}
	if strings.Contains(out, "Password for") {
		t.Errorf("second krenew prompted although pid %d renews the cache: %q", pid, out)
	}
	want := fmt.Sprintf("%s in %s is already renewed by pid %d until ", alice, cc, pid)
	if !strings.Contains(out, want) {
		t.Errorf("second krenew should say %q: %q", want, out)
	}
	if state, _ := procState(t, pid); state == "Z" {
		t.Errorf("the first daemon died")
	}
	if got := readFile(t, path); !bytes.Equal(got, before) {
		t.Error("second krenew changed the cache")
	}
}

// expectMatch waits until the terminal output matches re and returns the
// submatches, or nil after timeout. Output written just before an exit can
// reach the test a little after the exit is seen.
func expectMatch(t *testing.T, p *ptytest.PTY, re *regexp.Regexp, timeout time.Duration) []string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if m := re.FindStringSubmatch(p.Output()); m != nil || time.Now().After(deadline) {
			return m
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// procState reads a process's state letter and controlling terminal
// (tty_nr, 0 for none) from /proc/<pid>/stat.
func procState(t *testing.T, pid int) (state string, tty int) {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatalf("pid %d: %v", pid, err)
	}
	// The command name may contain spaces and parentheses; the fields
	// after it do not.
	rest := string(b[bytes.LastIndexByte(b, ')')+1:])
	f := strings.Fields(rest) // state ppid pgrp session tty_nr ...
	if len(f) < 5 {
		t.Fatalf("pid %d: unexpected stat %q", pid, b)
	}
	tty, err = strconv.Atoi(f[4])
	if err != nil {
		t.Fatalf("pid %d: tty_nr %q: %v", pid, f[4], err)
	}
	return f[0], tty
}

// TestPromptHardensProcess checks, while krenew waits at the prompt (the
// password is about to enter its memory), that prompt.Harden took effect on
// the real process: no core file can be written and it is not dumpable.
//
// The core limit is visible in /proc/<pid>/limits. Dumpability is not
// shown anywhere directly, but the kernel makes the files under /proc/<pid>/
// (not the directory itself) owned by root while a process is
// non-dumpable. That is only visible for a process that does not run as
// root, so when the tests run as root (CI does), krenew runs as nobody.
func TestPromptHardensProcess(t *testing.T) {
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	run := unprivilegedRun(t, k)
	cc := "FILE:" + filepath.Join(run.cacheDir, "cc")
	p, cmd := krenewAtTerminal(t, k, run.configure,
		"--once", "--init", "-u", "alice", "-k", cc)
	p.Expect(t, alicePrompt, termTimeout)

	proc := fmt.Sprintf("/proc/%d", cmd.Process.Pid)
	if got := coreLimit(t, proc+"/limits"); got != "0" {
		t.Errorf("core file soft limit at the prompt = %s, want 0", got)
	}
	if uid := ownerOf(t, proc); uid != run.uid {
		t.Fatalf("%s owned by %d, want krenew's uid %d: the ownership rule does not hold here", proc, uid, run.uid)
	}
	if uid := ownerOf(t, proc+"/status"); uid != 0 {
		t.Errorf("%s/status owned by %d, not root: krenew (uid %d) is dumpable at the prompt", proc, uid, run.uid)
	}

	p.Write(t, testkdc.AlicePassword+"\n")
	if code, out := finished(t, p); code != 0 {
		t.Fatalf("exit status %d: %q", code, out)
	}
	if tk := testkdc.Klist(t, k, cc); tk.Principal != alice {
		t.Errorf("klist principal %q, want %s", tk.Principal, alice)
	}
}

// unprivileged says how TestPromptHardensProcess runs krenew.
type unprivileged struct {
	uid       int
	cacheDir  string
	configure func(*exec.Cmd)
}

// unprivilegedRun prepares krenew to run as the test's own user, or as
// nobody when that is root: then the binary, the krb5.conf and the cache
// directory are copied to or made in a directory nobody can reach. Either
// way krenew starts with core files enabled (see coreWrapper), so that a 0
// at the prompt is krenew's doing, not inherited.
func unprivilegedRun(t *testing.T, k *testkdc.KDC) unprivileged {
	t.Helper()
	run := unprivileged{uid: os.Geteuid(), cacheDir: t.TempDir()}
	bin, env := krenewBin, []string(nil)
	var cred *syscall.Credential
	if run.uid == 0 {
		dir, err := os.MkdirTemp("", "krenew-nobody-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		bin = filepath.Join(dir, "krenew")
		conf := filepath.Join(dir, "krb5.conf")
		run.uid, run.cacheDir = nobody, filepath.Join(dir, "cache")
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		copyFile(t, krenewBin, bin, 0o755)
		copyFile(t, k.Krb5Conf, conf, 0o644)
		if err := os.Mkdir(run.cacheDir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(run.cacheDir, nobody, nobody); err != nil {
			t.Fatal(err)
		}
		env = []string{"KRB5_CONFIG=" + conf}
		cred = &syscall.Credential{Uid: nobody, Gid: nobody}
	}
	wrapper := coreWrapper(t, cred)
	run.configure = func(cmd *exec.Cmd) {
		cmd.Args = append(append(wrapper, bin), cmd.Args[1:]...)
		cmd.Path = cmd.Args[0]
		cmd.Env = append(cmd.Env, env...)
		if cred != nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		}
	}
	return run
}

// coreWrapper is a shell prefix that raises the soft core limit (up to the
// hard one) and execs its arguments in the same process. It checks the
// prefix works by running cat through it; when the hard limit is too low to
// raise anything, it says so and returns no prefix.
func coreWrapper(t *testing.T, cred *syscall.Credential) []string {
	t.Helper()
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_CORE, &lim); err != nil {
		t.Fatal(err)
	}
	// The shell's unit is 512 or 1024 bytes; either way this stays within
	// the hard limit.
	blocks := min(lim.Max/1024, 1024)
	if blocks == 0 {
		t.Logf("hard core limit %d: cannot start krenew with core files enabled, checking only that they are off", lim.Max)
		return nil
	}
	wrapper := []string{"/bin/sh", "-c", fmt.Sprintf(`ulimit -S -c %d && exec "$@"`, blocks), "sh"}
	check := exec.Command(wrapper[0], append(wrapper[1:], "cat", "/proc/self/limits")...)
	check.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	out, err := check.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %v\n%s", check.Args, err, out)
	}
	if got := coreLimitIn(t, string(out)); got == "0" {
		t.Fatalf("%v did not raise the core limit:\n%s", wrapper, out)
	}
	return wrapper
}

func coreLimit(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return coreLimitIn(t, string(b))
}

// coreLimitIn finds the soft limit in /proc/<pid>/limits text.
func coreLimitIn(t *testing.T, limits string) string {
	t.Helper()
	for _, l := range strings.Split(limits, "\n") {
		if rest, ok := strings.CutPrefix(l, "Max core file size"); ok {
			if f := strings.Fields(rest); len(f) > 0 {
				return f[0]
			}
		}
	}
	t.Fatalf("no core file size in limits:\n%s", limits)
	return ""
}

func ownerOf(t *testing.T, path string) int {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return int(st.Uid)
}

// su - alice -c krenew, or setsid: no controlling terminal, so /dev/tty
// does not open, but standard input is the user's terminal. kinit prompts
// there; krenew does too, with echo off, and leaves the terminal as it was
// (issue 18). setsid(1) puts krenew in a session of its own, away from
// the terminal the test opened for setsid itself.
func TestPromptOnStdinWithoutControllingTerminal(t *testing.T) {
	t.Parallel()
	setsid, err := exec.LookPath("setsid")
	if err != nil {
		t.Fatalf("setsid (util-linux) not found: %v", err)
	}
	k := testkdc.Start(t, testkdc.Options{})
	cc, _ := cacheIn(t, "cc")
	noCtty := func(cmd *exec.Cmd) {
		cmd.Args = append([]string{"setsid", "-w", cmd.Path}, cmd.Args[1:]...)
		cmd.Path = setsid
	}
	p, _ := krenewAtTerminal(t, k, noCtty, "--once", "--init", "-u", "alice", "-k", cc)
	p.Expect(t, alicePrompt, termTimeout)
	if tio := p.Termios(t); tio.Lflag&unix.ECHO != 0 {
		t.Errorf("echo is on while krenew waits for the password on stdin (lflag %#x)", tio.Lflag)
	}
	p.Write(t, testkdc.AlicePassword+"\n")
	code, out := finished(t, p)
	if code != 0 || strings.Contains(out, "no terminal") || strings.Contains(out, testkdc.AlicePassword) {
		t.Fatalf("exit status %d: %q", code, out)
	}
	wantEchoOn(t, p)
	if tk := testkdc.Klist(t, k, cc); tk.Principal != alice {
		t.Errorf("klist: principal %q, want %s", tk.Principal, alice)
	}
}

// A principal the KDC does not know fails before the prompt, as with MIT
// kinit, which the test runs at a terminal of its own as the oracle: nobody
// types a password for nothing (issue 18).
func TestUnknownPrincipalFailsBeforeThePrompt(t *testing.T) {
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	cc, _ := cacheIn(t, "cc")
	p, _ := krenewAtTerminal(t, k, nil, "--once", "--init", "-u", "nosuchuser", "-k", cc)
	code, out := finished(t, p)
	if code != 1 || strings.Contains(out, "Password for") {
		t.Fatalf("krenew: exit %d, want 1 without a prompt: %q", code, out)
	}
	wantOneTerminalError(t, out, "nosuchuser@"+testkdc.Realm)

	kp := ptytest.Open(t)
	kinit := exec.Command("kinit", "-c", cc, "nosuchuser")
	kinit.Env = append(k.Env(), "LC_ALL=C")
	kp.Start(t, kinit)
	kcode := kp.Wait(t, termTimeout)
	kp.WaitClosed(t, termTimeout)
	if kcode == 0 || strings.Contains(kp.Output(), "Password for") {
		t.Errorf("oracle: kinit exit %d, output %q; want a failure without a prompt", kcode, kp.Output())
	}
}
