package e2e

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/krenew/krenew/internal/testkdc"
)

// --list shows the daemon with its cache, principal and pid (beside the
// other tests' daemons, which run as the same user); --stop ends it and
// leaves its ticket, which klist still reads; a second --stop finds none.
func TestListAndStopTheDaemon(t *testing.T) {
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	cc, _ := cacheIn(t, "cc")
	pid := startDaemon(t, k, testkdc.AlicePassword+"\n", "--password-stdin", "-u", "alice", "-l", "1h", "-r", "2h", "-k", cc)

	l := krenew(t, k, "", "--list")
	if l.code != 0 || !strings.HasPrefix(l.stdout, "CACHE ") {
		t.Fatalf("--list: exit %d\n%s%s", l.code, l.stdout, l.stderr)
	}
	row := ""
	for _, line := range strings.Split(l.stdout, "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == cc {
			row = line
		}
	}
	f := strings.Fields(row)
	if len(f) < 4 || f[1] != alice || f[len(f)-1] != strconv.Itoa(pid) {
		t.Fatalf("--list has no row %q %s ... %d:\n%s", cc, alice, pid, l.stdout)
	}
	renewTill := testkdc.Klist(t, k, cc).RenewUntil
	if !strings.Contains(row, renewTill.Local().Format("2006-01-02 15:04")) {
		t.Errorf("--list row %q lacks the renew-till %s", row, renewTill)
	}

	s := krenew(t, k, "", "--stop", "-k", cc)
	if s.code != 0 || !strings.Contains(s.stderr, "stopped krenew pid "+strconv.Itoa(pid)) {
		t.Fatalf("--stop: exit %d\n%s", s.code, s.stderr)
	}
	for deadline := time.Now().Add(5 * time.Second); alive(pid); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("pid %d still runs after --stop", pid)
		}
	}
	if _, errOut, code := k.Run(t, "klist", "-s", "-c", cc); code != 0 {
		t.Errorf("--stop took the ticket with it: klist -s exit %d %s", code, errOut)
	}
	l = krenew(t, k, "", "--list")
	if strings.Contains(l.stdout, cc+" ") {
		t.Errorf("--list still shows %s after --stop:\n%s", cc, l.stdout)
	}
	again := krenew(t, k, "", "--stop", "-k", cc)
	wantOneError(t, again, 1, "no krenew daemon renews "+cc)
	if !strings.Contains(again.stderr, "krenew: hint: 'krenew --list'") {
		t.Errorf("no hint towards --list:\n%s", again.stderr)
	}
}
