package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/krenew/krenew/internal/testkdc"
)

// At a terminal: the prompt comes first, then the command owns the same
// terminal (reads from it), and Ctrl-C reaches it exactly once.
func TestCommandAtTerminal(t *testing.T) {
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	cc, _ := cacheIn(t, "cc")
	ints := filepath.Join(t.TempDir(), "ints")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p, _ := krenewAtTerminal(t, k, func(c *exec.Cmd) { c.Env = append(c.Env, "KRENEW_TEST_SIGNAL_COUNTER="+ints) },
		"-u", "alice", "-l", "1h", "-r", "2h", "-k", cc, "--", self)
	p.Expect(t, alicePrompt, termTimeout)
	p.Write(t, testkdc.AlicePassword+"\n")
	p.Expect(t, "ask:", termTimeout)
	p.Write(t, "hello from the terminal\n")
	p.Expect(t, "got:hello from the terminal", termTimeout)
	p.Expect(t, "ready", termTimeout)
	p.Write(t, "\x03")
	deadline := 50
	for ; deadline > 0; deadline-- {
		if b, _ := os.ReadFile(ints); len(b) > 0 {
			break
		}
		sleepTenth()
	}
	sleepTenth()
	sleepTenth()
	sleepTenth() // a second, forwarded SIGINT would arrive by now
	os.WriteFile(ints+".done", nil, 0o644)
	code, out := finished(t, p)
	if code != 4 {
		t.Fatalf("exit %d, want the command's 4: %q", code, out)
	}
	b, _ := os.ReadFile(ints)
	if n := strings.Count(string(b), "INT"); n != 1 {
		t.Errorf("the command saw Ctrl-C %d times, want once", n)
	}
	if strings.Count(out, "Password for") != 1 || strings.Contains(out, testkdc.AlicePassword) {
		t.Errorf("want one prompt and no echoed password: %q", out)
	}
	wantEchoOn(t, p)
}

func sleepTenth() { time.Sleep(100 * time.Millisecond) }
