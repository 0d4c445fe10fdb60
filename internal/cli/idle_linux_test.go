package cli

import (
	"bufio"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/krenew/krenew/renew"

	"golang.org/x/sys/unix"
)

func TestParseReadOnlyMapping(t *testing.T) {
	dev := unix.Mkdev(0xfd, 0x01)
	const ino = 1234
	for _, c := range []struct {
		line string
		want mapping
		ok   bool
	}{
		{"00400000-00a00000 r-xp 00000000 fd:01 1234 /usr/bin/krenew", mapping{0x400000, 0xa00000}, true},
		{"00a00000-00b00000 r--p 00600000 fd:01 1234 /usr/bin/krenew (deleted)", mapping{0xa00000, 0xb00000}, true},
		{"00b00000-00c00000 rw-p 00700000 fd:01 1234 /usr/bin/krenew", mapping{}, false}, // .data: written pages would be lost
		{"00b00000-00c00000 r-xs 00700000 fd:01 1234 /usr/bin/krenew", mapping{}, false}, // shared
		{"00400000-00a00000 r-xp 00000000 fd:01 1235 /usr/bin/other", mapping{}, false},
		{"00400000-00a00000 r-xp 00000000 fd:02 1234 /usr/bin/krenew", mapping{}, false}, // same inode, other device
		{"7ffd0000-7ffe0000 rw-p 00000000 00:00 0 [stack]", mapping{}, false},
		{"garbage", mapping{}, false},
		{"00a00000-00400000 r-xp 00000000 fd:01 1234 /usr/bin/krenew", mapping{}, false},
	} {
		got, ok := parseReadOnlyMapping(c.line, dev, ino)
		if got != c.want || ok != c.ok {
			t.Errorf("parseReadOnlyMapping(%q) = %v, %v; want %v, %v", c.line, got, ok, c.want, c.ok)
		}
	}
}

// The test binary stands in for krenew: after its code pages are dropped
// it must go on running (every instruction after the call refaults them
// from the file), and its resident share of its own file must shrink.
func TestReleaseBinaryPagesDropsCodeAndKeepsRunning(t *testing.T) {
	var exe unix.Stat_t
	if err := unix.Stat("/proc/self/exe", &exe); err != nil {
		t.Fatal(err)
	}
	if len(readOnlyMappingsOf(exe.Dev, exe.Ino)) == 0 {
		t.Fatal("no read-only mapping of /proc/self/exe found in /proc/self/maps")
	}
	before := binaryRssKiB(t, exe.Dev, exe.Ino)
	releaseBinaryPages()
	after := binaryRssKiB(t, exe.Dev, exe.Ino)
	// Only fewer: how much comes back at once, as the test goes on
	// running, depends on the page cache's folios (internal/e2e measures
	// the shipped binary read from disk).
	if after >= before {
		t.Errorf("resident KiB of the binary's read-only mappings: %d before, %d after; want fewer", before, after)
	}
	// Still working after the code was dropped: parse, format, allocate.
	if d, err := parseKrbDuration("1d2h"); err != nil || d.Hours() != 26 {
		t.Errorf("after releasing pages, parseKrbDuration(1d2h) = %v, %v", d, err)
	}
}

// mappingHeader starts each mapping's block in /proc/PID/smaps.
var mappingHeader = regexp.MustCompile(`^[0-9a-f]+-[0-9a-f]+ `)

// binaryRssKiB sums Rss over the read-only mappings of dev/ino in
// /proc/self/smaps.
func binaryRssKiB(t *testing.T, dev, ino uint64) int {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	total, in := 0, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if _, ok := parseReadOnlyMapping(line, dev, ino); ok {
			in = true
			continue
		}
		if mappingHeader.MatchString(line) {
			in = false // another mapping's header
			continue
		}
		if in && strings.HasPrefix(line, "Rss:") {
			n, _ := strconv.Atoi(strings.Fields(line)[1])
			total += n
		}
	}
	return total
}

func TestTrimAfterWorkTrimsOnlyWhenTheStatusChanged(t *testing.T) {
	var published []renew.Status
	cfg := renew.Config{OnStatus: func(st renew.Status) { published = append(published, st) }}
	trims := make(chan struct{}, 10)
	trimAfterWork(&cfg, time.Millisecond, func() { trims <- struct{}{} })
	start := renew.Status{Principal: "alice@R", EndTime: time.Unix(1000, 0)}
	renewed := start
	renewed.EndTime = time.Unix(2000, 0)
	for i, c := range []struct {
		st   renew.Status
		trim bool
	}{
		{start, true},    // after start-up
		{start, false},   // an idle poll
		{start, false},   // and another
		{renewed, true},  // a renewal
		{renewed, false}, // idle again
	} {
		cfg.OnStatus(c.st)
		select {
		case <-trims:
			if !c.trim {
				t.Errorf("status %d (unchanged) trimmed", i)
			}
		case <-time.After(200 * time.Millisecond):
			if c.trim {
				t.Errorf("status %d (changed) did not trim", i)
			}
		}
	}
	if len(published) != 5 {
		t.Errorf("the status reached the previous OnStatus %d times, want every one of 5", len(published))
	}
}

// Changes in quick succession (a failed renewal, then its retry) trim
// once, after the last.
func TestTrimAfterWorkTrimsOnceAfterABurst(t *testing.T) {
	cfg := renew.Config{}
	var mu sync.Mutex
	trims := 0
	trimAfterWork(&cfg, 50*time.Millisecond, func() { mu.Lock(); trims++; mu.Unlock() })
	for i := range 5 {
		cfg.OnStatus(renew.Status{EndTime: time.Unix(int64(i), 0)})
	}
	time.Sleep(300 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if trims != 1 {
		t.Errorf("%d trims after a burst of 5 changes, want 1", trims)
	}
}
