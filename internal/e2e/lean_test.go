package e2e

import (
	"debug/buildinfo"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/krenew/krenew/internal/testkdc"
)

// Modules the shipped binary must not contain: urfave/cli's docs
// generator (blackfriday, go-md2man) and its flag suggestions (smetrics),
// which krenew never uses and which cost start-up time (issue 14).
var leftOutModules = []string{
	"github.com/russross/blackfriday/v2",
	"github.com/cpuguy83/go-md2man/v2",
	"github.com/xrash/smetrics",
}

func TestShippedBinaryIsStaticAndLeavesOutUnusedPackages(t *testing.T) {
	t.Parallel()
	bin := shippedBinary(t)
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	// -ldflags is not recorded with -trimpath; the sections below show it.
	want := map[string]string{"CGO_ENABLED": "0", "-trimpath": "true"}
	for k, v := range want {
		if settings[k] != v {
			t.Errorf("build setting %s = %q, want %q", k, settings[k], v)
		}
	}
	tags := strings.Split(settings["-tags"], ",")
	for _, tag := range []string{"urfave_cli_no_docs", "urfave_cli_no_suggest"} {
		if !slices.Contains(tags, tag) {
			t.Errorf("built without tag %s (tags %q)", tag, settings["-tags"])
		}
	}
	for _, dep := range info.Deps {
		if slices.Contains(leftOutModules, dep.Path) {
			t.Errorf("the shipped binary links %s", dep.Path)
		}
	}

	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, sec := range f.Sections {
		if sec.Name == ".symtab" || strings.HasPrefix(sec.Name, ".debug_") || strings.HasPrefix(sec.Name, ".zdebug_") {
			t.Errorf("the shipped binary has a %s section: not built with -ldflags '-s -w'", sec.Name)
		}
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("the shipped binary has a %v program header: it is dynamically linked", p.Type)
		}
	}
}

// The same at the level of packages, from the Makefile's tags: nothing
// that needs cgo (runtime/cgo, whose presence would mean a cgo build) and
// none of the left-out modules' packages.
func TestShippedPackagesLeaveOutCgoAndDocs(t *testing.T) {
	t.Parallel()
	tags := makeVariable(t, "BUILDTAGS")
	cmd := exec.Command("go", "list", "-deps", "-tags", tags, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == "runtime/cgo" {
			t.Errorf("krenew depends on runtime/cgo")
		}
		for _, mod := range leftOutModules {
			if pkg == mod || strings.HasPrefix(pkg, mod+"/") {
				t.Errorf("krenew depends on %s", pkg)
			}
		}
	}
}

// An idle daemon of the shipped binary keeps little of its own code
// resident and runs one processor's threads, and still renews when
// woken: the dropped pages come back from the file (issue 14). The
// renewal by SIGALRM stands in for the one after a long idle; the pages
// are dropped again after it.
func TestIdleDaemonDropsStartupPagesAndStillRenews(t *testing.T) {
	t.Parallel()
	bin := shippedBinary(t)
	k := testkdc.Start(t, testkdc.Options{})
	cc, _ := cacheIn(t, "cc")
	mitKinit(t, k, cc, "alice", testkdc.AlicePassword, "-l", "1h", "-r", "2h")
	pidfile := filepath.Join(t.TempDir(), "pid")
	if out, errOut, code := k.Run(t, bin, "-k", cc, "-p", pidfile); code != 0 {
		t.Fatalf("krenew -k %s: exit %d\n%s%s", cc, code, out, errOut)
	}
	pid := pidInFile(pidfile)
	if pid <= 0 {
		t.Fatal("no pid in the pidfile")
	}
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })

	const most = 2560 // KiB; about 6 MiB before the pages are dropped
	idleBinary := func(when string) {
		t.Helper()
		var kib int
		waitFor(t, "the daemon to drop its start-up pages "+when, 10*time.Second, func() bool {
			kib = binaryRss(t, pid, bin)
			return kib <= most
		})
		t.Logf("%s: %d KiB of the binary resident", when, kib)
	}
	idleBinary("after start")
	// GOMAXPROCS=1 from the exec, which alone keeps the runtime from a
	// thread per processor; how many threads blocking calls added depends
	// on the machine's load, so the count is only logged.
	env, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(strings.Split(string(env), "\x00"), "GOMAXPROCS=1") {
		t.Errorf("the daemon was not started with GOMAXPROCS=1")
	}
	t.Logf("idle daemon: %d threads", threads(t, pid))

	before := testkdc.Klist(t, k, cc)
	time.Sleep(1100 * time.Millisecond) // ticket times are whole seconds
	syscall.Kill(pid, syscall.SIGALRM)
	waitFor(t, "a renewal after SIGALRM", 10*time.Second, func() bool {
		return testkdc.Klist(t, k, cc).Start.After(before.Start)
	})
	idleBinary("after the renewal")
	if !alive(pid) {
		t.Fatal("the daemon died")
	}
}
