package cli

import (
	"os"
	"runtime"
	"runtime/debug"
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
	runtime.GOMAXPROCS(1)
	collectOnlyAtLimit()
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

// idleGCMargin is how much an idle daemon may allocate between
// collections; a renewal allocates tens of kilobytes.
const idleGCMargin = 8 << 20
