package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/krenew/krenew/internal/testkdc"
)

// The acceptance case: a job that outlives its first ticket still has a
// valid one, in a private cache that is gone afterwards; krenew exits
// with the job's status.
func TestCommandOutlivesFirstTicket(t *testing.T) {
	longTest(t)
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	cc, _ := cacheIn(t, "cc")
	seen := filepath.Join(t.TempDir(), "ccname")
	script := `echo "$KRB5CCNAME" > ` + seen + `; sleep 35; klist -s && exit 7`
	r := krenewEnv(t, k, []string{"KRB5CCNAME=" + cc}, testkdc.AlicePassword+"\n", "--password-stdin", "-u", "alice", "-l", "10s", "-r", "2m", "--", "sh", "-c", script)
	if r.code != 7 {
		t.Fatalf("exit %d, want 7 (the job's klist -s must succeed long after the first ticket's end)\n%s", r.code, r.stderr)
	}
	b, err := os.ReadFile(seen)
	if err != nil {
		t.Fatal(err)
	}
	private := strings.TrimSpace(string(b))
	if private == cc || !strings.HasPrefix(private, "FILE:"+os.TempDir()+"/krb5cc_"+strconv.Itoa(os.Getuid())+"_") {
		t.Errorf("the job's KRB5CCNAME is %q, not a private cache", private)
	}
	if _, err := os.Stat(strings.TrimPrefix(private, "FILE:")); !os.IsNotExist(err) {
		t.Errorf("private cache %s left behind: %v", private, err)
	}
}

// kdestroy of the user's cache does not touch the job's private copy.
func TestCommandCacheSurvivesKdestroy(t *testing.T) {
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	cc, path := cacheIn(t, "cc")
	mitKinit(t, k, cc, "alice", testkdc.AlicePassword, "-l", "1h", "-r", "2h")
	flag := filepath.Join(t.TempDir(), "destroyed")
	script := `while [ ! -e ` + flag + ` ]; do sleep 0.2; done; klist -s && exit 5`
	done := make(chan result, 1)
	go func() { done <- krenewEnv(t, k, []string{"KRB5CCNAME=" + cc}, "", "--", "sh", "-c", script) }()
	time.Sleep(2 * time.Second)
	if _, errOut, code := k.Run(t, "kdestroy", "-c", cc); code != 0 {
		t.Fatal(errOut)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("kdestroy did not remove the main cache")
	}
	os.WriteFile(flag, nil, 0o644)
	if r := <-done; r.code != 5 {
		t.Fatalf("exit %d: the job lost its ticket with the main cache\n%s", r.code, r.stderr)
	}
}

func TestCommandExitStatuses(t *testing.T) {
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	cc, _ := cacheIn(t, "cc")
	mitKinit(t, k, cc, "alice", testkdc.AlicePassword, "-l", "1h", "-r", "2h")
	notExec := filepath.Join(t.TempDir(), "not-executable")
	os.WriteFile(notExec, []byte("#!/bin/sh\nexit 0\n"), 0o644)
	cases := []struct {
		name string
		argv []string
		code int
		err  string
	}{
		{"status passes through", []string{"sh", "-c", "exit 42"}, 42, ""},
		{"killed by SIGKILL", []string{"sh", "-c", "kill -KILL $$"}, 137, ""},
		{"not found", []string{"no-such-command-krenew-test"}, 127, "command not found: no-such-command-krenew-test"},
		{"not found by path", []string{"/nonexistent/job"}, 127, "command not found: /nonexistent/job"},
		{"not executable", []string{notExec}, 126, "cannot execute " + notExec},
		{"help is a command", []string{"help"}, 127, "command not found: help"},
	}
	t.Run("missing aklog with -t", func(t *testing.T) {
		r := krenewEnv(t, k, []string{"AKLOG=/nonexistent/aklog"}, "", "-t", "-k", cc, "--", "true")
		wantOneError(t, r, 1, "/nonexistent/aklog", "not found")
	})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := krenew(t, k, "", append([]string{"-k", cc, "--"}, c.argv...)...)
			if c.err != "" {
				wantOneError(t, r, c.code, c.err)
			} else if r.code != c.code {
				t.Errorf("exit %d, want %d", r.code, c.code)
			}
		})
	}
}

// TERM sent to krenew reaches the command, which traps it; krenew exits
// with the command's status.
func TestCommandGetsForwardedSignals(t *testing.T) {
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	cc, _ := cacheIn(t, "cc")
	mitKinit(t, k, cc, "alice", testkdc.AlicePassword, "-l", "1h", "-r", "2h")
	pidfile := filepath.Join(t.TempDir(), "krenew.pid")
	ready := filepath.Join(t.TempDir(), "ready")
	script := `trap 'exit 3' TERM; touch ` + ready + `; while :; do sleep 0.1; done`
	done := make(chan result, 1)
	go func() {
		done <- krenewEnv(t, k, []string{"KRB5CCNAME=" + cc}, "", "-p", pidfile, "--", "sh", "-c", script)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(ready); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the command did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
	b, err := os.ReadFile(pidfile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	syscall.Kill(pid, syscall.SIGUSR1) // a status line, also without -v
	time.Sleep(500 * time.Millisecond)
	syscall.Kill(pid, syscall.SIGTERM)
	select {
	case r := <-done:
		if r.code != 3 {
			t.Fatalf("exit %d, want the command's 3", r.code)
		}
		if !strings.Contains(r.stderr, alice+" in FILE:"+os.TempDir()+"/krb5cc_") || !strings.Contains(r.stderr, "next renewal") {
			t.Errorf("SIGUSR1 logged no status line:\n%s", r.stderr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("krenew did not exit after the command trapped TERM")
	}
	if _, err := os.Stat(pidfile); !os.IsNotExist(err) {
		t.Errorf("pidfile left behind")
	}
}

// A SIGUSR1 that arrives the moment the command starts, before the
// engine's first turn, still gets its status line (it used to be dropped
// when no status had been published yet).
func TestCommandStatusOnSIGUSR1AtOnce(t *testing.T) {
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	cc, _ := cacheIn(t, "cc")
	mitKinit(t, k, cc, "alice", testkdc.AlicePassword, "-l", "1h", "-r", "2h")
	// The command's parent is krenew: it asks for the status first thing.
	r := krenewEnv(t, k, []string{"KRB5CCNAME=" + cc}, "", "--", "sh", "-c", "kill -USR1 $PPID; sleep 1; exit 4")
	if r.code != 4 {
		t.Fatalf("exit %d, want the command's 4\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "next renewal") {
		t.Errorf("SIGUSR1 at the command's start logged no status line:\n%s", r.stderr)
	}
}

// With -s the command hears SIGHUP when renewal runs out.
func TestCommandHupWhenRenewalEnds(t *testing.T) {
	longTest(t)
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	cc, _ := cacheIn(t, "cc")
	script := `trap 'exit 9' HUP; while :; do sleep 0.2; done`
	began := time.Now()
	r := krenew(t, k, testkdc.AlicePassword+"\n", "-s", "--password-stdin", "-u", "alice", "-l", "6s", "-r", "15s", "-k", cc, "--", "sh", "-c", script)
	if r.code != 9 {
		t.Fatalf("exit %d, want 9 from the command's HUP trap", r.code)
	}
	if took := time.Since(began); took > 40*time.Second {
		t.Errorf("SIGHUP came after %s, renewable lifetime was 15s", took)
	}
	if !strings.Contains(r.stderr, "cannot be renewed any more") {
		t.Errorf("no warning that renewal ran out:\n%s", r.stderr)
	}
}

// -b -c: krenew returns at once, the child pidfile names the job, and the
// job keeps a valid ticket past the first ticket's end.
func TestCommandInBackground(t *testing.T) {
	longTest(t)
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	cc, _ := cacheIn(t, "cc")
	dir := t.TempDir()
	// A command that cannot run is an error before the prompt, even with -b.
	r0 := krenew(t, k, testkdc.AlicePassword+"\n", "-b", "--password-stdin", "-u", "alice", "-k", cc, "--", "/nonexistent/job")
	wantOneError(t, r0, 127, "command not found: /nonexistent/job")
	childPid := filepath.Join(dir, "child.pid")
	out := filepath.Join(dir, "out")
	script := `sleep 15; klist -s && echo still-valid; echo "cwd=$(pwd)"`
	// krenew's own stdout and stderr go to files: the job inherits what
	// krenew's stdio were redirected to, and a pipe would stay open.
	logf := filepath.Join(dir, "krenew.log")
	lf, err := os.Create(logf)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(krenewBin, "-b", "-c", childPid, "--password-stdin", "-u", "alice", "-l", "6s", "-r", "1m", "-k", cc, "--", "sh", "-c", "{ "+script+"; } > "+out)
	cmd.Env = append(k.Env(), "LC_ALL=C")
	cmd.Stdin = strings.NewReader(testkdc.AlicePassword + "\n")
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	began := time.Now()
	runErr := cmd.Run()
	lf.Close()
	logged, _ := os.ReadFile(logf)
	r := result{stderr: string(logged)}
	if runErr != nil || time.Since(began) > 10*time.Second {
		t.Fatalf("krenew -b: %v after %s\n%s", runErr, time.Since(began), logged)
	}
	m := regexp.MustCompile(`krenew pid (\d+)\)`).FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("no krenew pid in:\n%s", r.stderr)
	}
	kpid, _ := strconv.Atoi(m[1])
	t.Cleanup(func() { syscall.Kill(kpid, syscall.SIGKILL) })
	var job int
	deadline := time.Now().Add(5 * time.Second)
	for job == 0 {
		if b, err := os.ReadFile(childPid); err == nil {
			job, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
		if time.Now().After(deadline) {
			t.Fatal("no child pidfile")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !alive(job) {
		t.Fatalf("pid %d from the child pidfile is not running", job)
	}
	waitGone(t, kpid, 40*time.Second)
	b, _ := os.ReadFile(out)
	if !strings.Contains(string(b), "still-valid") {
		t.Errorf("the background job had no valid ticket after 15s: %q", b)
	}
	if wd, _ := os.Getwd(); !strings.Contains(string(b), "cwd="+wd) {
		t.Errorf("the job did not run in krenew's directory %s: %q", wd, b)
	}
	if _, err := os.Stat(childPid); !os.IsNotExist(err) {
		t.Errorf("child pidfile left behind")
	}
}
