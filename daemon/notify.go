package daemon

import (
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/krenew/krenew/internal/escape"
)

// notifyTimeout bounds one notification: a service manager that stopped
// reading its socket must not stall the renewals.
var notifyTimeout = 5 * time.Second

// Notifier tells systemd about the service's state over NOTIFY_SOCKET, as
// sd_notify(3) does, for units of Type=notify. A nil *Notifier is valid and
// does nothing, which is what a krenew not started by systemd has.
type Notifier struct {
	addr string
}

// NewNotifier takes NOTIFY_SOCKET out of the environment, as
// sd_notify(unset_environment=1) does, so that nothing krenew starts later
// (aklog after a renewal) talks to systemd in krenew's name. It returns nil
// when the variable is unset or empty, and an error when its address is
// neither an absolute path nor an abstract socket ("@name").
func NewNotifier() (*Notifier, error) {
	addr := os.Getenv("NOTIFY_SOCKET")
	os.Unsetenv("NOTIFY_SOCKET")
	if addr == "" {
		return nil, nil
	}
	// Go's net package maps a leading '@' to the abstract namespace, the
	// way systemd spells it.
	if len(addr) < 2 || (addr[0] != '/' && addr[0] != '@') {
		return nil, fmt.Errorf("NOTIFY_SOCKET=%q is not a unix socket path", addr)
	}
	return &Notifier{addr: addr}, nil
}

// NotifyReady is NewNotifier followed by Ready: the one call a service
// makes once it is fully started. The Notifier it returns (possibly nil)
// serves for later Status and Stopping calls.
func NotifyReady(status string) (*Notifier, error) {
	n, err := NewNotifier()
	if err != nil {
		return nil, err
	}
	return n, n.Ready(status)
}

// Ready reports that start-up is complete (READY=1), with a STATUS= line
// for systemctl status when status is not empty.
func (n *Notifier) Ready(status string) error {
	if status == "" {
		return n.Notify("READY=1")
	}
	return n.Notify("READY=1", "STATUS="+oneLine(status))
}

// Status replaces the free-form status systemctl status shows.
func (n *Notifier) Status(status string) error {
	return n.Notify("STATUS=" + oneLine(status))
}

// Stopping reports that the service is shutting down (STOPPING=1).
func (n *Notifier) Stopping() error {
	return n.Notify("STOPPING=1")
}

// Notify sends the assignments as one datagram, one per line, the wire
// format of sd_notify(3). systemd learns the sender's pid from the socket
// credentials, so this works only from the unit's main process (unless the
// unit sets NotifyAccess=).
func (n *Notifier) Notify(assignments ...string) error {
	if n == nil {
		return nil
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: n.addr, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("cannot reach systemd at %s: %w", n.addr, err)
	}
	defer conn.Close()
	if err := conn.SetWriteDeadline(time.Now().Add(notifyTimeout)); err != nil {
		return fmt.Errorf("cannot notify systemd at %s: %w", n.addr, err)
	}
	if _, err := conn.Write([]byte(strings.Join(assignments, "\n"))); err != nil {
		return fmt.Errorf("cannot notify systemd at %s: %w", n.addr, err)
	}
	return nil
}

// oneLine keeps a status to one assignment: a newline would start another.
// The rest is escaped, since systemctl status shows it on a terminal.
func oneLine(s string) string {
	return escape.Line(strings.NewReplacer("\r", " ", "\n", " ").Replace(s))
}
