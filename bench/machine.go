package main

import (
	"debug/buildinfo"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// machine is what RESULTS.md says about where the numbers come from.
type machine struct {
	Date                 time.Time
	Commit               string
	CPU, RAM, OS, Kernel string
	Cores                int
	GoBench, GoKrenew    string
	Packages             string
	LoadStart, LoadEnd   string // /proc/loadavg: others' work on this machine skews timings
}

func describeMachine(s settings) machine {
	m := machine{
		Date:    time.Now(),
		Cores:   runtime.NumCPU(),
		GoBench: runtime.Version(),
		CPU:     procValue("/proc/cpuinfo", "model name"),
		Kernel:  strings.TrimSpace(readText("/proc/sys/kernel/osrelease")),
	}
	if kib := statusField(readText("/proc/meminfo"), "MemTotal"); kib > 0 {
		m.RAM = fmt.Sprintf("%.1f GiB", float64(kib)/(1<<20))
	}
	m.OS = strings.Trim(procValueSep("/etc/os-release", "PRETTY_NAME", "="), `"`)
	if bi, err := buildinfo.ReadFile(s.Krenew); err == nil {
		m.GoKrenew = bi.GoVersion
	} else {
		m.GoKrenew = "unknown"
	}
	pk, err := exec.Command("dpkg-query", "-W", "-f", "${Package} ${Version}, ", "krb5-kdc", "krb5-user", "kstart").Output()
	if err != nil {
		m.Packages = "unknown (no dpkg-query)"
	} else {
		m.Packages = strings.TrimSuffix(strings.TrimSpace(string(pk)), ",")
	}
	m.LoadEnd = loadavg()
	return m
}

func commit() string {
	head, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown (not a git checkout)"
	}
	c := strings.TrimSpace(string(head))
	if st, err := exec.Command("git", "status", "--porcelain").Output(); err == nil && len(strings.TrimSpace(string(st))) > 0 {
		c += " with uncommitted changes in the tree"
	}
	return c
}

func readText(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

func procValue(path, key string) string { return procValueSep(path, key, ":") }

// procValueSep returns the value of the first "key<sep>value" line.
func procValueSep(path, key, sep string) string {
	for _, line := range strings.Split(readText(path), "\n") {
		k, v, ok := strings.Cut(line, sep)
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// loadavg is the 1, 5 and 15 minute load averages.
func loadavg() string {
	f := strings.Fields(readText("/proc/loadavg"))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
