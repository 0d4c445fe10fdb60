//go:build !linux

package renew

import (
	"errors"
)

// AlarmClock needs Linux's timerfd; elsewhere NewAlarmClock fails and the
// caller keeps WallClock.
type AlarmClock struct{ WallClock }

func NewAlarmClock() (*AlarmClock, error) {
	return nil, errors.New("wall-clock alarms need Linux timerfd")
}

// Close does nothing: there is no AlarmClock to release off Linux.
func (c *AlarmClock) Close() error { return nil }
