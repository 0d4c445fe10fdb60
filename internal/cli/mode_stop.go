package cli

import (
	"errors"
	"time"

	"github.com/krenew/krenew/daemon"
)

// stopWait is how long --stop waits for the daemon to exit: it finishes
// a renewal in progress first, which a slow KDC can stretch.
const stopWait = 15 * time.Second

// runStop ends the daemon that renews the cache, as `kill PID` would,
// without the user looking the pid up; the cache is left as it is.
func runStop(s *session) error {
	cache := s.cacheName.String()
	pid, st, err := daemon.Stop(s.lockKey(), stopWait)
	switch {
	case errors.Is(err, daemon.ErrNotHeld):
		return noDaemonFailure(cache)
	case errors.Is(err, daemon.ErrSquatted):
		return squattedLockFailure(cache)
	case err != nil:
		return stopFailure(cache, pid, err)
	}
	stoppedNotice(pid, st.Principal, cache)
	return nil
}
