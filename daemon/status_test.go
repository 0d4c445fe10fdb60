package daemon

import (
	"strings"
	"testing"
	"time"
)

func TestStatusRoundTrip(t *testing.T) {
	st := Status{
		PID:         4242,
		Principal:   "alice@EXAMPLE.COM",
		EndTime:     time.Unix(1_900_000_000, 0),
		RenewTill:   time.Unix(1_900_600_000, 0),
		NextRenewal: time.Unix(1_900_000_100, 0),
		LastError:   "cannot reach any KDC",
	}
	got := ParseStatus(st.String())
	if got.PID != st.PID || got.Principal != st.Principal || got.LastError != st.LastError ||
		!got.EndTime.Equal(st.EndTime) || !got.RenewTill.Equal(st.RenewTill) || !got.NextRenewal.Equal(st.NextRenewal) {
		t.Errorf("ParseStatus(%q) = %+v, want %+v", st.String(), got, st)
	}
}

func TestStatusWireForm(t *testing.T) {
	// An older --status reads this line: its keys and units are the format.
	st := Status{PID: 7, Principal: "bob@R", EndTime: time.Unix(100, 0), LastError: "a\tb\nc"}
	want := "pid=7\tprincipal=bob@R\tend=100\ttill=0\tnext=0\terror=a b c"
	if got := st.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if strings.Count(st.String(), "\n") != 0 {
		t.Error("the status line must stay one line")
	}
}

func TestParseStatusToleratesOtherLines(t *testing.T) {
	got := ParseStatus("pid=x\tfuture=1\tnext=junk\tprincipal=carol@R\tnoequals")
	if got.PID != 0 || got.Principal != "carol@R" || !got.NextRenewal.IsZero() {
		t.Errorf("ParseStatus of a partly unreadable line = %+v", got)
	}
	if zero := ParseStatus(""); zero != (Status{}) {
		t.Errorf("ParseStatus(\"\") = %+v, want the zero Status", zero)
	}
}

func TestLockPublishesStatus(t *testing.T) {
	cache := testCache(t)
	l, err := AcquireLock(cache)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	want := Status{PID: 99, Principal: "dave@R", RenewTill: time.Unix(1_900_000_000, 0)}
	l.Publish(want)
	_, got, err := QueryStatus(cache)
	if err != nil {
		t.Fatal(err)
	}
	if got.PID != 99 || got.Principal != "dave@R" || !got.RenewTill.Equal(want.RenewTill) {
		t.Errorf("QueryStatus = %+v, want %+v", got, want)
	}
}
