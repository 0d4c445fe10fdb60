package prompt

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/krenew/krenew/internal/ptytest"
)

// ptyTimeout bounds each wait for the terminal.
const ptyTimeout = 20 * time.Second

// ptyPair adapts ptytest.PTY to the vocabulary of the prompt tests: a
// terminal the helper prompts on, with every wait bounded.
type ptyPair struct {
	pty *ptytest.PTY
}

func openPTY(t *testing.T) *ptyPair {
	t.Helper()
	return &ptyPair{pty: ptytest.Open(t)}
}

func (p *ptyPair) output() []byte { return []byte(p.pty.Output()) }

func (p *ptyPair) waitOutput(t *testing.T, want string) {
	t.Helper()
	p.pty.Expect(t, want, ptyTimeout)
}

// closed waits until the helper (the only slave holder) is gone and all
// output is collected.
func (p *ptyPair) closed(t *testing.T) {
	t.Helper()
	p.pty.WaitClosed(t, ptyTimeout)
}

func (p *ptyPair) typeIn(t *testing.T, b []byte) {
	t.Helper()
	p.pty.Write(t, string(b))
}

func (p *ptyPair) termios(t *testing.T) unix.Termios {
	t.Helper()
	return p.pty.Termios(t)
}

// startPrompt runs ReadPassword in a helper whose controlling terminal is the
// pty slave, with the slave as fd 4 and neither stdin nor stdout on it.
func (p *ptyPair) startPrompt(t *testing.T) *helper {
	t.Helper()
	return startHelper(t, "read", nil, p.pty)
}
