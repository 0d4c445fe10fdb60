package testkdc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runTimeout only guards against a hung program; it is not a test deadline.
const runTimeout = 5 * time.Minute

// pipeGrace bounds how long Run waits for output after the program exited,
// in case it left a detached child (a krenew daemon) holding its stdout.
const pipeGrace = 2 * time.Second

// Command prepares prog (an MIT tool, any program in PATH or a path) to run
// against this KDC with Env(), for callers that need to adjust the
// environment, start it in the background or signal it.
func (k *KDC) Command(t testing.TB, prog string, args ...string) *exec.Cmd {
	t.Helper()
	return toolCommand(t, k.Env(), prog, args...)
}

// toolCommand is prog, found as lookTool finds it, with env.
func toolCommand(t testing.TB, env []string, prog string, args ...string) *exec.Cmd {
	t.Helper()
	path, err := lookTool(prog)
	if err != nil {
		t.Fatalf("testkdc: %v", err)
	}
	cmd := exec.Command(path, args...)
	cmd.Env = env
	cmd.WaitDelay = pipeGrace
	return cmd
}

// Run runs prog with Env() and an empty standard input and returns what it
// printed and its exit status (128+signal if a signal killed it). Only a
// failure to run prog at all fails the test.
func (k *KDC) Run(t testing.TB, prog string, args ...string) (stdout, stderr string, exitCode int) {
	t.Helper()
	return k.RunStdin(t, "", prog, args...)
}

// RunStdin is Run with stdin as the program's standard input, for example a
// password for kinit, which reads it from stdin when that is not a terminal.
func (k *KDC) RunStdin(t testing.TB, stdin, prog string, args ...string) (stdout, stderr string, exitCode int) {
	t.Helper()
	path, err := lookTool(prog)
	if err != nil {
		t.Fatalf("testkdc: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = k.Env()
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.WaitDelay = pipeGrace
	err = cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("testkdc: %s %s still running after %v\nstdout: %s\nstderr: %s",
			prog, strings.Join(args, " "), runTimeout, out.String(), errOut.String())
	}
	var exitErr *exec.ExitError
	switch {
	case err == nil, errors.Is(err, exec.ErrWaitDelay):
	case errors.As(err, &exitErr):
	default:
		t.Fatalf("testkdc: running %s: %v", prog, err)
	}
	return out.String(), errOut.String(), exitStatus(cmd)
}

// exitStatus follows the shell convention so a killed program is visible.
func exitStatus(cmd *exec.Cmd) int {
	st := cmd.ProcessState
	if st == nil {
		return -1
	}
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return st.ExitCode()
}

// runTool runs an MIT program with Env() for the package's own needs and
// returns its combined output; a non-zero exit is an error.
func (k *KDC) runTool(stdin, prog string, args ...string) (string, error) {
	path, err := lookTool(prog)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = k.Env()
	cmd.Dir = k.Dir
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w", prog, strings.Join(args, " "), err)
	}
	return string(out), nil
}
