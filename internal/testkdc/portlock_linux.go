package testkdc

import (
	"fmt"
	"net"
)

// lockPort holds an abstract unix socket named after the port. The kernel
// frees it when the process dies, so a crashed test run leaves no stale lock
// and no file behind.
func lockPort(port int) (release func(), ok bool) {
	l, err := net.Listen("unix", fmt.Sprintf("@krenew-testkdc-port-%d", port))
	if err != nil {
		return nil, false
	}
	return func() { l.Close() }, true
}
