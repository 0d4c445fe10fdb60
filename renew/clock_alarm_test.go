//go:build linux

package renew

import (
	"testing"
	"time"
)

func TestAlarmClockFiresAtItsDeadline(t *testing.T) {
	c, err := NewAlarmClock()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	select {
	case <-c.After(150 * time.Millisecond):
		if d := time.Since(start); d < 140*time.Millisecond || d > 2*time.Second {
			t.Errorf("fired after %s, want about 150ms", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("never fired")
	}

	// Re-arming replaces the deadline: the engine asks again after every
	// wake-up, and only the newest sleep may end.
	old := c.After(time.Hour)
	start = time.Now()
	select {
	case <-c.After(100 * time.Millisecond):
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("re-armed alarm fired after %s", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("re-armed alarm never fired")
	}
	select {
	case <-old:
		t.Error("a replaced sleep ended")
	default:
	}

	select {
	case <-c.After(0):
	case <-time.After(time.Second):
		t.Fatal("a zero sleep did not end at once")
	}
}

func TestAlarmClockClose(t *testing.T) {
	c, err := NewAlarmClock()
	if err != nil {
		t.Fatal(err)
	}
	pending := c.After(time.Hour)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	select {
	case <-pending:
		t.Error("a sleep pending at Close ended")
	default:
	}
	select {
	case <-c.After(10 * time.Millisecond):
	case <-time.After(5 * time.Second):
		t.Fatal("After on a closed AlarmClock never fired")
	}
}
