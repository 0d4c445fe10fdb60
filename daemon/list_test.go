package daemon

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func TestListeningLocksReadsProcNetUnix(t *testing.T) {
	// As /proc/net/unix shows them: a listening lock of uid 1000, an
	// accepted connection on it (same name, not listening), another user's
	// lock, an unrelated socket, and a second lock.
	text := `Num       RefCount Protocol Flags    Type St Inode Path
0000000000000000: 00000002 00000000 00010000 0001 01 1111 @krenew/1000/0123456789abcdef0123456789abcdef
0000000000000000: 00000003 00000000 00000000 0001 03 1112 @krenew/1000/0123456789abcdef0123456789abcdef
0000000000000000: 00000002 00000000 00010000 0001 01 1113 @krenew/1001/ffffffffffffffffffffffffffffffff
0000000000000000: 00000002 00000000 00010000 0001 01 1114 /run/systemd/private
0000000000000000: 00000002 00000000 00010000 0001 01 1115
0000000000000000: 00000002 00000000 00010000 0001 01 1116 @krenew/1000/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
`
	got, err := listeningLocks(strings.NewReader(text), 1000)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"@krenew/1000/0123456789abcdef0123456789abcdef", "@krenew/1000/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("listeningLocks = %q, want %q", got, want)
	}
}

func TestStatusCarriesTheCache(t *testing.T) {
	st := Status{PID: 7, Principal: "alice@R", Cache: "FILE:/tmp/a\tb", EndTime: time.Unix(100, 0)}
	got := ParseStatus(st.String())
	if got.Cache != "FILE:/tmp/a b" || got.Principal != "alice@R" || got.PID != 7 {
		t.Errorf("round trip = %+v", got)
	}
	if old := ParseStatus("pid=7\tprincipal=alice@R"); old.Cache != "" {
		t.Errorf("a daemon that names no cache: %+v", old)
	}
}

func TestListHoldersFindsThisUsersLocks(t *testing.T) {
	cache := testCache(t)
	l, err := AcquireLock(cache)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	l.Publish(Status{PID: os.Getpid(), Principal: "alice@R", Cache: "FILE:" + cache})
	holders, err := ListHolders()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, h := range holders {
		if h.Status.Cache == "FILE:"+cache {
			found = true
			if h.PID != os.Getpid() || h.Status.Principal != "alice@R" {
				t.Errorf("holder %+v, want pid %d and alice@R", h, os.Getpid())
			}
		}
	}
	if !found {
		t.Errorf("ListHolders = %+v, without the lock of %s", holders, cache)
	}
	l.Release()
	holders, _ = ListHolders()
	for _, h := range holders {
		if h.Status.Cache == "FILE:"+cache {
			t.Errorf("a released lock is still listed: %+v", h)
		}
	}
}

func TestStopEndsTheHolder(t *testing.T) {
	cache := testCache(t)
	cmd, line := startHelper(t, os.Args[0], nil, "hold-lock", cache, "pid=1\tprincipal=bob@R")
	if line != "locked" {
		t.Fatalf("helper said %q", line)
	}
	pid, st, err := Stop(cache, 10*time.Second)
	if err != nil || pid != cmd.Process.Pid || st.Principal != "bob@R" {
		t.Fatalf("Stop = %d %+v %v, want pid %d", pid, st, err, cmd.Process.Pid)
	}
	if _, _, err := QueryHolder(cache); !errors.Is(err, ErrNotHeld) {
		t.Errorf("after Stop the lock is still held: %v", err)
	}
	if _, _, err := Stop(cache, time.Second); !errors.Is(err, ErrNotHeld) {
		t.Errorf("Stop with no holder = %v, want ErrNotHeld", err)
	}
}
