package renew

import (
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// AlarmClock is WallClock whose sleeps end at a wall-clock time. Go's
// timers count CLOCK_MONOTONIC, which stops during suspend, so WallClock
// needs the engine to wake every MaxSleep to notice a resume or a clock
// change. A timerfd on CLOCK_REALTIME with an absolute deadline keeps
// counting through suspend, and TFD_TIMER_CANCEL_ON_SET ends it early
// when the clock is set, so with AlarmClock the engine can sleep until its
// next renewal and still wake on time. A spurious early wake-up is
// harmless: the engine re-plans on every wake-up.
type AlarmClock struct {
	fd     int
	f      *os.File // the same descriptor, read through Go's poller
	armed  chan struct{}
	mu     sync.Mutex
	cur    chan time.Time
	closed bool
}

// NewAlarmClock makes an AlarmClock; it fails where timerfd is missing,
// and the caller then uses WallClock.
func NewAlarmClock() (*AlarmClock, error) {
	fd, err := unix.TimerfdCreate(unix.CLOCK_REALTIME, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil, err
	}
	c := &AlarmClock{fd: fd, f: os.NewFile(uintptr(fd), "timerfd"), armed: make(chan struct{}, 1)}
	go c.deliver()
	return c, nil
}

func (c *AlarmClock) Now() time.Time { return time.Now().Round(0) }

func (c *AlarmClock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.Now()
		return ch
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return time.After(d)
	}
	deadline := time.Now().Add(d).UnixNano()
	spec := unix.ItimerSpec{Value: unix.NsecToTimespec(deadline)}
	if err := unix.TimerfdSettime(c.fd, unix.TFD_TIMER_ABSTIME|unix.TFD_TIMER_CANCEL_ON_SET, &spec, nil); err != nil {
		return time.After(d)
	}
	c.cur = ch
	select {
	case c.armed <- struct{}{}:
	default:
	}
	return ch
}

// Close releases the timerfd and ends the goroutine that reads it. A
// sleep still pending never ends; After on a closed AlarmClock falls back
// to Go's timers. Closing twice is harmless.
func (c *AlarmClock) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	close(c.armed)
	c.mu.Unlock()
	return c.f.Close()
}

// deliver reads one expiry per arming; the read also ends with ECANCELED
// when the clock is set, which counts as a wake-up too. Reading only when
// armed matters: a cancelled timerfd fails every read until re-armed.
func (c *AlarmClock) deliver() {
	var buf [8]byte
	for range c.armed {
		_, _ = c.f.Read(buf[:])
		c.mu.Lock()
		ch, closed := c.cur, c.closed
		c.mu.Unlock()
		if closed {
			return
		}
		select {
		case ch <- c.Now():
		default:
		}
	}
}
