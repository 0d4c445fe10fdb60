package renew

import "time"

// Clock is the engine's only source of time, so that scheduling can be
// tested with a fake one.
type Clock interface {
	// Now is wall-clock time; the engine compares it with ticket times,
	// which are wall-clock too.
	Now() time.Time
	// After fires once d has passed.
	After(d time.Duration) <-chan time.Time
}

// WallClock is the real clock. Now drops the monotonic reading: Go's
// monotonic clock stops during suspend, ticket times do not, and the
// engine must see the jump when a laptop wakes up.
type WallClock struct{}

func (WallClock) Now() time.Time                         { return time.Now().Round(0) }
func (WallClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// stamp formats a time for log lines and messages the way the CLI does:
// local time to the second, with the zone, year first so it sorts.
func stamp(t time.Time) string {
	if t.IsZero() { // never year 1 in a log line
		return "never"
	}
	return t.Local().Format("2006-01-02 15:04:05 MST")
}
