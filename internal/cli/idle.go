package cli

import (
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/krenew/krenew/daemon"
	"github.com/krenew/krenew/renew"
)

// watchedMaxSleep is how long the loop sleeps at most when a file watch and
// a wall-clock alarm stand in for polling; only a safety net.
const watchedMaxSleep = time.Hour

// sleepQuietly lets an idle daemon sleep until its next renewal instead of
// waking every minute. A minute's poll exists to notice a resume from
// suspend or a clock change (a wall-clock alarm does that) and a kdestroy
// or kinit (an inotify watch on the cache file does that). Caches that
// cannot be watched (KEYRING, KCM) keep the minute's poll. The returned
// function ends the watch.
func sleepQuietly(cfg *renew.Config, cachePath string, log *daemon.Logger) func() {
	// One renewal every few hours needs no parallelism, and fewer
	// processors mean fewer runtime threads to wake.
	// A detached daemon started with GOMAXPROCS=1 already (daemon.Detach);
	// this covers --foreground and the keeper around a command.
	runtime.GOMAXPROCS(1)
	collectOnlyAtLimit()
	trimAfterWork(cfg, trimSettle, returnMemory)
	if cachePath == "" {
		return func() {}
	}
	alarm, err := renew.NewAlarmClock()
	if err != nil {
		log.Debugf("polling the cache every minute: %v", err)
		return func() {}
	}
	w, err := daemon.WatchFile(cachePath)
	if err != nil {
		log.Debugf("polling the cache every minute: cannot watch %s: %v", cachePath, err)
		alarm.Close()
		return func() {}
	}
	cfg.Clock = alarm
	cfg.Changed = w.C
	cfg.MaxSleep = watchedMaxSleep
	return func() { w.Stop(); alarm.Close() }
}

// collectOnlyAtLimit stops the collections the Go runtime forces every two
// minutes even when nothing was allocated, each of which wakes a thread:
// an idle daemon allocates a few kilobytes per wake-up, so garbage is
// collected only when memory in use reaches what start-up left plus a
// margin. What start-up allocated (configuration, command line, the first
// reads) is garbage already and goes back to the system first. A GOGC or
// GOMEMLIMIT from the environment is the user's choice and wins.
func collectOnlyAtLimit() {
	debug.FreeOSMemory()
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	debug.SetMemoryLimit(int64(ms.Sys-ms.HeapReleased) + idleGCMargin)
	debug.SetGCPercent(-1)
}

// trimAfterWork makes trim run once the engine has gone back to sleep
// after start-up or after a turn that changed its status (a renewal, a
// failure, a new ticket): settle after the change, from a timer. Trimming
// from the status callback itself would be too early: what the engine
// runs between there and its sleep (arming the alarm, the select) would
// fault in half of the pages again, 64 KiB of fault-around each (measured:
// 2.3 MiB of the binary resident instead of 1.6). A wake-up that changed
// nothing (the minute's poll of a KEYRING or KCM cache) touched little and
// trims nothing.
func trimAfterWork(cfg *renew.Config, settle time.Duration, trim func()) {
	on := cfg.OnStatus
	var (
		mu      sync.Mutex
		last    renew.Status
		trimmed bool
		pending *time.Timer
	)
	cfg.OnStatus = func(st renew.Status) {
		if on != nil {
			on(st)
		}
		mu.Lock()
		defer mu.Unlock()
		if trimmed && st == last {
			return
		}
		last, trimmed = st, true
		if pending != nil {
			pending.Stop()
		}
		pending = time.AfterFunc(settle, trim)
	}
}

// trimSettle is how long after a change trimAfterWork waits; the engine
// is asleep well within it.
const trimSettle = time.Second

// returnMemory gives back what start-up or a renewal left resident: the
// heap's garbage (collectOnlyAtLimit's margin would otherwise let it pile
// up over many renewals) and the binary's pages that the work faulted in.
func returnMemory() {
	debug.FreeOSMemory()
	releaseBinaryPages()
}

// idleGCMargin is how much an idle daemon may allocate between
// collections; a renewal allocates tens of kilobytes.
const idleGCMargin = 8 << 20
