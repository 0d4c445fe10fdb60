package main

import (
	"debug/buildinfo"
	"debug/elf"
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
	Build                string // how the krenew measured was built: static or dynamic, flags
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
		m.Build = describeBuild(s.Krenew, bi)
	} else {
		m.GoKrenew, m.Build = "unknown", "unknown"
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

// describeBuild says whether the binary is static or dynamic and with
// which of the Makefile's build settings, since idle memory and start-up
// depend on them more than on the code: a dynamic build maps libc into
// every daemon and runs the dynamic loader at each start.
func describeBuild(path string, bi *buildinfo.BuildInfo) string {
	linking := "static"
	if f, err := elf.Open(path); err != nil {
		linking = "unknown linking"
	} else {
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				linking = "dynamic (cgo)"
			}
		}
		f.Close()
	}
	var set []string
	for _, st := range bi.Settings {
		switch st.Key {
		case "CGO_ENABLED", "-tags", "-trimpath", "-race":
			set = append(set, st.Key+"="+st.Value)
		}
	}
	if len(set) == 0 {
		return linking
	}
	return linking + ", " + strings.Join(set, " ")
}
