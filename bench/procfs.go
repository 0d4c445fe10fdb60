package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, which Linux fixes at 100 for /proc on every
// architecture Go supports, whatever the kernel's own HZ.
const clockTicks = 100

// procSample is one look at a process: its memory after sharing is
// accounted for, its CPU time over all threads (exited ones included, as
// the kernel keeps them in the group's total) and its context switches.
type procSample struct {
	RSSKiB, PSSKiB int64
	AnonKiB        int64   // anonymous memory: private to the process
	CPUSeconds     float64 // utime+stime, in ticks of 10 ms
	RunNs          int64   // time on a CPU from schedstat, summed over the threads alive now
	Voluntary      int64   // sum over the threads alive now
	Involuntary    int64
	Threads        int
}

func sampleProc(pid int) (procSample, error) {
	var s procSample
	var err error
	if s.RSSKiB, s.PSSKiB, s.AnonKiB, err = memory(pid); err != nil {
		return s, err
	}
	if s.CPUSeconds, err = cpuSeconds(pid); err != nil {
		return s, err
	}
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return s, err
	}
	for _, t := range tasks {
		b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "task", t.Name(), "status"))
		if err != nil {
			continue // the thread exited between the listing and the read
		}
		s.Threads++
		if ss, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "task", t.Name(), "schedstat")); err == nil {
			if f := strings.Fields(string(ss)); len(f) > 0 {
				ns, _ := strconv.ParseInt(f[0], 10, 64)
				s.RunNs += ns
			}
		}
		s.Voluntary += statusField(string(b), "voluntary_ctxt_switches")
		s.Involuntary += statusField(string(b), "nonvoluntary_ctxt_switches")
	}
	return s, nil
}

// memory reads Rss and Pss from smaps_rollup, in KiB.
func memory(pid int) (rss, pss, anon int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return 0, 0, 0, err
	}
	rss, pss, anon = statusField(string(b), "Rss"), statusField(string(b), "Pss"), statusField(string(b), "Anonymous")
	if rss == 0 {
		return 0, 0, 0, fmt.Errorf("no Rss in /proc/%d/smaps_rollup", pid)
	}
	return rss, pss, anon, nil
}

// statusField finds "name: value [kB]" in a /proc key-value file.
func statusField(text, name string) int64 {
	for _, line := range strings.Split(text, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || k != name {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			return 0
		}
		n, _ := strconv.ParseInt(f[0], 10, 64)
		return n
	}
	return 0
}

// cpuSeconds is utime+stime of the whole thread group.
func cpuSeconds(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	f, err := statFields(string(b))
	if err != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %v", pid, err)
	}
	// After the command, field 3 (state) is f[0]; utime and stime are
	// fields 14 and 15.
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: bad utime/stime", pid)
	}
	return float64(ut+st) / clockTicks, nil
}

// statFields splits /proc/PID/stat after the command name, which may
// itself hold spaces and parentheses.
func statFields(stat string) ([]string, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return nil, fmt.Errorf("no command field")
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 13 {
		return nil, fmt.Errorf("only %d fields", len(f))
	}
	return f, nil
}

// alive is false for a process that is gone or a zombie nobody reaped
// (detached daemons are not our children).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	f, err := statFields(string(b))
	return err == nil && f[0] != "Z" && f[0] != "X"
}

// cmdlineHas guards every signal we send: a pid read from a pidfile may
// have been reused by the time we clean up.
func cmdlineHas(pid int, marker string) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return err == nil && strings.Contains(strings.ReplaceAll(string(b), "\x00", " "), marker)
}
