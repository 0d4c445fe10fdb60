package cli

import (
	"errors"
	"strings"
	"testing"
)

// The command's own status and an outcome already shown are exit statuses,
// not messages.
func TestExitWithStatusOnly(t *testing.T) {
	out := captureStderr(t)
	if code := exitWith(exitCode(42)); code != 42 {
		t.Errorf("exitWith(exitCode(42)) = %d", code)
	}
	if code := exitWith(nil); code != exitOK {
		t.Errorf("exitWith(nil) = %d", code)
	}
	if out.Len() != 0 {
		t.Errorf("stderr %q, want nothing", out.String())
	}
}

func TestExitWithReportsOnce(t *testing.T) {
	out := captureStderr(t)
	code := exitWith(commandStartFailure("no-such-cmd", errors.New("x: file does not exist")))
	if code != exitNotExecutable {
		t.Errorf("exit status %d, want %d", code, exitNotExecutable)
	}
	if strings.Count(out.String(), "krenew: error: ") != 1 {
		t.Errorf("stderr %q: want exactly one error line", out.String())
	}
}

func TestUsageFailure(t *testing.T) {
	out := captureStderr(t)
	if code := exitWith(usageFailure(usagef("-x/--exit-on-error and -i/--ignore-errors cannot be used together"))); code != exitUsage {
		t.Errorf("exit status %d, want %d", code, exitUsage)
	}
	want := "krenew: error: -x/--exit-on-error and -i/--ignore-errors cannot be used together\n" +
		"krenew: hint: see 'krenew --help' for usage\n"
	if out.String() != want {
		t.Errorf("stderr %q, want %q", out.String(), want)
	}
}

// Options are validated in-process, before any prompt: each of these is
// exit 2 with the usage hint and nothing else on stderr.
func TestOptionConflictsAreUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-x", "-i"},
		{"-b", "--foreground"},
		{"--once", "--status"},
		{"-U", "-u", "alice"},
		{"-r", "1h", "-l", "2h"},
		{"-K", "0"},
		{"-H5x"},
		{"--wait-lock", "--", "true"},
		{"--stop", "--status"},
		{"--list", "--once"},
		{"--stop", "-l", "1h"},
		{"--stop", "--", "true"},
		{"--list", "-k", "FILE:/tmp/x"},
		{"--list", "-u", "alice"},
		{"--stop", "-b"},
	} {
		code, out, errOut := inProcess(t, args...)
		if code != exitUsage || out != "" {
			t.Errorf("krenew %v: exit %d, stdout %q; want 2", args, code, out)
		}
		lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], "krenew: error: ") || lines[1] != "krenew: hint: see 'krenew --help' for usage" {
			t.Errorf("krenew %v: stderr %q; want an error line and the usage hint", args, errOut)
		}
	}
}
