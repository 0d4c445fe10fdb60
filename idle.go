package main

import (
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
	// What start-up allocated (configuration, command line, the first
	// reads) is garbage from here on; give it back to the system now
	// rather than at some later collection.
	defer debug.FreeOSMemory()
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
		return func() {}
	}
	cfg.Clock = alarm
	cfg.Changed = w.C
	cfg.MaxSleep = watchedMaxSleep
	return w.Stop
}
