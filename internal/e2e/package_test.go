//go:build packagetest

package e2e

import (
	"bufio"
	"compress/gzip"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/krenew/krenew/internal/testkdc"
)

// TestPackage is `make package-test` (part of `make test`; the
// packagetest tag keeps it out of `go test ./...`, whose other tests run
// kstart's krenew while this one moves it aside). It builds the .deb and
// the .rpm, compares their file lists and runs lintian, then installs the
// .deb on this machine next to kstart in both orders, uses the installed
// files and purges the package, checking that kstart's krenew comes back
// and nothing of ours is left.
func TestPackage(t *testing.T) {
	kstartDeb := packageTestPreflight(t)
	t.Cleanup(func() { restoreMachine(t, kstartDeb) })

	dist, err := os.MkdirTemp("", "krenew-dist-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dist) })
	// apt's download user (_apt) reads the .deb from here.
	if err := os.Chmod(dist, 0o755); err != nil {
		t.Fatal(err)
	}
	pkgMust(t, "make", "-s", "package", "DIST="+dist)
	deb, rpm := onlyMatch(t, dist, "krenew_*_amd64.deb"), onlyMatch(t, dist, "krenew-*.x86_64.rpm")
	debVersion := strings.TrimSpace(pkgMust(t, "dpkg-deb", "--field", deb, "Version"))
	version, found := strings.CutSuffix(debVersion, "-1")
	if !found {
		t.Fatalf("the .deb's version %q has no packaging revision -1", debVersion)
	}
	if got := strings.TrimSpace(pkgMust(t, "rpm", "-qp", "--queryformat", "%{VERSION}-%{RELEASE}", rpm)); got != debVersion {
		t.Errorf("the .rpm is %s, the .deb %s", got, debVersion)
	}

	t.Run("file lists", func(t *testing.T) { checkPackageFiles(t, deb, rpm) })
	// lintian takes seconds and only reads the .deb: it runs while the
	// package is installed and removed, and is checked last.
	lintian := make(chan string, 1)
	go func() {
		// Warnings are printed but allowed; an error fails.
		out, errOut, err := pkgRun("lintian", "--fail-on", "error", deb)
		report := "lintian " + filepath.Base(deb) + ":\n" + out + errOut
		if err != nil {
			report = "lintian reports errors (" + err.Error() + "): " + report
		}
		lintian <- report
	}()

	t.Run("kstart first", func(t *testing.T) {
		restoreMachine(t, kstartDeb)
		before := existingDirs(t, deb)
		pkgMust(t, "apt-get", "install", "-y", "-q", deb)
		checkInstalled(t, version, true)
		t.Run("once", func(t *testing.T) { checkInstalledOnce(t) })
		t.Run("completion/bash", func(t *testing.T) {
			testCompletionBash(t, "/usr/share/bash-completion/completions/krenew")
		})
		t.Run("completion/zsh", func(t *testing.T) { testCompletionZsh(t, "/usr/share/zsh/vendor-completions") })
		t.Run("completion/fish", func(t *testing.T) { testCompletionFish(t, "/usr/share/fish/vendor_completions.d") })
		purgeAndCheck(t, before)
	})

	t.Run("krenew first", func(t *testing.T) {
		restoreMachine(t, kstartDeb)
		pkgMust(t, "dpkg", "--remove", "kstart")
		before := existingDirs(t, deb)
		pkgMust(t, "dpkg", "--install", deb)
		checkInstalled(t, version, false)
		pkgMust(t, "dpkg", "--install", kstartDeb)
		checkInstalled(t, version, true)
		purgeAndCheck(t, before)
	})

	t.Run("lintian", func(t *testing.T) {
		report := <-lintian
		if strings.HasPrefix(report, "lintian reports errors") {
			t.Error(report)
		} else {
			t.Log(report)
		}
	})
}

// packageTestPreflight skips (outside CI) or fails (in CI) when the test
// cannot run or would damage the developer's own install, and returns
// kstart's .deb, which the test reinstalls.
func packageTestPreflight(t *testing.T) string {
	t.Helper()
	ci := os.Getenv("CI") == "true"
	if os.Geteuid() != 0 {
		if ci {
			t.Fatal("the package test installs a package: CI must run it as root")
		}
		t.Skip("installs and purges krenew's .deb: run it as root (sudo env PATH=\"$PATH\" make package-test)")
	}
	for _, tool := range []struct{ program, pkg string }{
		{"dpkg", "dpkg"}, {"apt-get", "apt"}, {"lintian", "lintian"}, {"rpm", "rpm"}, {"man", "man-db"},
		{"make", "make"}, {"k5start", "kstart"}, {"kinit", "krb5-user"},
	} {
		requireTool(t, tool.program, tool.pkg)
	}
	if status(t, "kstart") != "installed" {
		missing(t, "kstart", "kstart's package")
	}
	if s := status(t, "krenew"); s != "not-installed" {
		if !ci {
			t.Skipf("krenew's package is %s here; the test installs and purges its own, so it leaves yours alone: "+
				"remove it first (dpkg --purge krenew)", s)
		}
		t.Logf("krenew's package is %s; purging it (CI)", s)
		pkgMust(t, "dpkg", "--purge", "krenew")
	}
	// dpkg would overwrite a krenew that no package owns (make install
	// PREFIX=/usr), so that is refused too.
	if owner, _, _ := pkgRun("dpkg-query", "--search", "/usr/bin/krenew"); !strings.HasPrefix(owner, "kstart: ") {
		if !ci {
			t.Skipf("/usr/bin/krenew is not kstart's (%q); the package would overwrite it: "+
				"remove it first (make uninstall PREFIX=/usr)", owner)
		}
		t.Logf("/usr/bin/krenew is not kstart's (%q); CI goes on", owner)
	}
	return kstartPackageFile(t)
}

// kstartPackageFile is the .deb of the installed kstart: apt's cache, or
// else downloaded by apt-get.
func kstartPackageFile(t *testing.T) string {
	t.Helper()
	v := strings.TrimSpace(pkgMust(t, "dpkg-query", "--show", "--showformat", "${Version}", "kstart"))
	cached, _ := filepath.Glob("/var/cache/apt/archives/kstart_" + strings.ReplaceAll(v, ":", "%3a") + "_*.deb")
	if len(cached) > 0 {
		return cached[0]
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o777); err != nil { // apt downloads as _apt
		t.Fatal(err)
	}
	cmd := exec.Command("apt-get", "download", "-q", "kstart="+v)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("apt-get download kstart=%s: %v\n%s", v, err, out)
	}
	return onlyMatch(t, dir, "kstart_*.deb")
}

// restoreMachine puts the machine as the test found it, whatever failed
// before: no krenew package, kstart installed with its krenew at
// /usr/bin/krenew. Each install order starts from there.
func restoreMachine(t *testing.T, kstartDeb string) {
	t.Helper()
	if status(t, "krenew") != "not-installed" {
		if out, errOut, err := pkgRun("dpkg", "--purge", "krenew"); err != nil {
			t.Errorf("dpkg --purge krenew: %v\n%s%s", err, out, errOut)
		}
	}
	if status(t, "kstart") != "installed" {
		if out, errOut, err := pkgRun("dpkg", "--install", kstartDeb); err != nil {
			t.Errorf("reinstalling kstart: %v\n%s%s", err, out, errOut)
		}
	}
	checkKstartFiles(t, "/usr/bin/krenew", "/usr/share/man/man1/krenew.1.gz")
}

// wantPackageFiles are the files both packages hold; the .deb also has
// debOnlyFiles.
var (
	wantPackageFiles = []string{
		"/usr/bin/krenew",
		"/usr/lib/systemd/user/krenew-keytab.service",
		"/usr/lib/systemd/user/krenew.service",
		"/usr/share/bash-completion/completions/krenew",
		"/usr/share/doc/krenew/README.md.gz",
		"/usr/share/doc/krenew/changelog.gz",
		"/usr/share/doc/krenew/copyright",
		"/usr/share/fish/vendor_completions.d/krenew.fish",
		"/usr/share/man/man1/krenew.1.gz",
		"/usr/share/zsh/vendor-completions/_krenew",
	}
	debOnlyFiles = []string{
		"/usr/share/doc/krenew/changelog.Debian.gz",
		"/usr/share/lintian/overrides/krenew",
	}
)

// checkPackageFiles compares `dpkg-deb -c` with `rpm -qlp` and both with
// the files make install puts under /usr, plus the docs.
func checkPackageFiles(t *testing.T, deb, rpm string) {
	var debFiles []string
	for _, l := range strings.Split(pkgMust(t, "dpkg-deb", "--contents", deb), "\n") {
		// drwxr-xr-x root/root 0 2026-12-07 00:37 ./usr/bin/
		f := strings.Fields(l)
		if len(f) < 6 || strings.HasPrefix(f[0], "d") {
			continue
		}
		debFiles = append(debFiles, strings.TrimPrefix(f[5], "."))
	}
	slices.Sort(debFiles)
	rpmFiles := strings.Fields(pkgMust(t, "rpm", "-qlp", rpm))
	slices.Sort(rpmFiles)

	want := slices.Sorted(slices.Values(append(slices.Clone(wantPackageFiles), debOnlyFiles...)))
	if !slices.Equal(debFiles, want) {
		t.Errorf("dpkg-deb -c lists:\n%s\nwant:\n%s", strings.Join(debFiles, "\n"), strings.Join(want, "\n"))
	}
	shared := slices.DeleteFunc(slices.Clone(debFiles), func(f string) bool { return slices.Contains(debOnlyFiles, f) })
	if !slices.Equal(rpmFiles, shared) {
		t.Errorf("rpm -qlp lists:\n%s\nthe .deb, less %q:\n%s", strings.Join(rpmFiles, "\n"), debOnlyFiles, strings.Join(shared, "\n"))
	}
	if got := strings.TrimSpace(pkgMust(t, "rpm", "-qp", "--conflicts", rpm)); got != "kstart" {
		t.Errorf("the .rpm conflicts with %q, want kstart (rpm has no diversions)", got)
	}
}

// checkInstalled checks the installed .deb: its krenew and man page at the
// usual names, and kstart's (when installed) diverted to krenew.kstart.
func checkInstalled(t *testing.T, version string, withKstart bool) {
	t.Helper()
	// dpkg names the diversion, and kstart too as an owner when installed:
	// its file list still says /usr/bin/krenew.
	search := pkgMust(t, "dpkg-query", "--search", "/usr/bin/krenew")
	if !strings.Contains(search, "diversion by krenew to: "+kstartKrenewDiverted+"\n") ||
		!regexp.MustCompile(`(?m)^(\S+, )?krenew(, \S+)?: /usr/bin/krenew$`).MatchString(search) {
		t.Errorf("dpkg-query --search /usr/bin/krenew:\n%s", search)
	}
	if out := pkgMust(t, "/usr/bin/krenew", "--version"); out != "krenew "+version+"\n" {
		t.Errorf("/usr/bin/krenew --version printed %q, want %q", out, "krenew "+version+"\n")
	}
	// man -w finds the page by name; a `make install` under /usr/local
	// could come first in a developer's manpath, so -a and the one we ship.
	if pages := strings.Fields(pkgMust(t, "man", "-w", "-a", "krenew")); !slices.Contains(pages, "/usr/share/man/man1/krenew.1.gz") {
		t.Errorf("man -w -a krenew: %q, want /usr/share/man/man1/krenew.1.gz", pages)
	}
	for installed, source := range map[string]string{
		"/usr/share/man/man1/krenew.1.gz":    "man/krenew.1",
		"/usr/share/doc/krenew/changelog.gz": "NEWS.md",
		"/usr/share/doc/krenew/README.md.gz": "README.md",
	} {
		if gunzip(t, installed) != string(readFile(t, source)) {
			t.Errorf("%s is not %s", installed, source)
		}
	}
	checkCopyright(t, string(readFile(t, "/usr/share/doc/krenew/copyright")))
	if !withKstart {
		for _, f := range []string{kstartKrenewDiverted, "/usr/share/man/man1/krenew.kstart.1.gz"} {
			if _, err := os.Stat(f); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s exists without kstart: %v", f, err)
			}
		}
		return
	}
	checkKstartFiles(t, kstartKrenewDiverted, "/usr/share/man/man1/krenew.kstart.1.gz")
	if out := strings.TrimSpace(pkgMust(t, "man", "-w", "krenew.kstart")); out != "/usr/share/man/man1/krenew.kstart.1.gz" {
		t.Errorf("man -w krenew.kstart: %q", out)
	}
	if _, err := os.Stat(kstartK5start); err != nil {
		t.Errorf("k5start is gone: %v", err)
	}
}

// checkCopyright checks that the Debian copyright file carries LICENSE:
// its copyright line and every line of its text, indented.
func checkCopyright(t *testing.T, copyright string) {
	t.Helper()
	license := string(readFile(t, "LICENSE"))
	holder, _, _ := strings.Cut(strings.SplitAfter(license, "Copyright (c) ")[1], "\n")
	if !strings.Contains(copyright, "\nCopyright: "+holder+"\nLicense: Expat\n") {
		t.Errorf("the copyright file does not name %q under Files: *:\n%s", holder, copyright)
	}
	_, text, _ := strings.Cut(license, holder+"\n")
	for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.Contains(copyright, "\n "+l+"\n") {
			t.Errorf("the copyright file lacks LICENSE's line %q", l)
		}
	}
}

// checkKstartFiles checks that kstart's krenew and its man page are at
// bin and man, as dpkg's md5sums for kstart have them.
func checkKstartFiles(t *testing.T, bin, man string) {
	t.Helper()
	sums := kstartSums(t)
	for file, path := range map[string]string{"usr/bin/krenew": bin, "usr/share/man/man1/krenew.1.gz": man} {
		if got := md5File(t, path); got != sums[file] {
			t.Errorf("%s is not kstart's /%s (md5 %s, kstart's %s)", path, file, got, sums[file])
		}
	}
}

func kstartSums(t *testing.T) map[string]string {
	t.Helper()
	path := strings.TrimSpace(pkgMust(t, "dpkg-query", "--control-path", "kstart", "md5sums"))
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sums := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if sum, file, ok := strings.Cut(sc.Text(), "  "); ok {
			sums[file] = sum
		}
	}
	return sums
}

// checkInstalledOnce renews a ticket from a throwaway KDC with the
// installed krenew.
func checkInstalledOnce(t *testing.T) {
	k := testkdc.Start(t, testkdc.Options{})
	cc, _ := cacheIn(t, "cc")
	mitKinit(t, k, cc, "alice", testkdc.AlicePassword, "-l", "1h", "-r", "2h")
	before := testkdc.Klist(t, k, cc)
	time.Sleep(1100 * time.Millisecond) // klist shows whole seconds
	cmd := exec.Command("/usr/bin/krenew", "--once", "-k", cc)
	cmd.Env = append(k.Env(), "LC_ALL=C")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("/usr/bin/krenew --once -k %s: %v\n%s", cc, err, out)
	}
	if after := testkdc.Klist(t, k, cc); !after.Expires.After(before.Expires) {
		t.Errorf("after the installed krenew --once klist shows the ticket ending %s, before %s", after.Expires, before.Expires)
	}
}

// existingDirs are the directories of the package that exist before it
// is installed; the others must be gone after the purge.
func existingDirs(t *testing.T, deb string) map[string]bool {
	t.Helper()
	dirs := map[string]bool{}
	for _, l := range strings.Split(pkgMust(t, "dpkg-deb", "--contents", deb), "\n") {
		f := strings.Fields(l)
		if len(f) < 6 || !strings.HasPrefix(f[0], "d") {
			continue
		}
		dir := strings.TrimSuffix(strings.TrimPrefix(f[5], "."), "/")
		if _, err := os.Stat(dir); err == nil {
			dirs[dir] = true
		} else {
			dirs[dir] = false
		}
	}
	return dirs
}

// purgeAndCheck purges the package (kstart installed) and checks that
// every file dpkg -L listed is gone, with the directories it made, that no
// diversion is left, and that kstart's krenew is back under its own name.
func purgeAndCheck(t *testing.T, dirsBefore map[string]bool) {
	t.Helper()
	var listed []string
	for _, l := range strings.Split(pkgMust(t, "dpkg", "--listfiles", "krenew"), "\n") {
		// "package diverts others to: /usr/bin/krenew.kstart" names
		// kstart's file, which stays.
		if strings.HasPrefix(l, "/") {
			listed = append(listed, l)
		}
	}
	if len(listed) < len(wantPackageFiles) {
		t.Fatalf("dpkg -L krenew lists only %q", listed)
	}
	pkgMust(t, "dpkg", "--purge", "krenew")
	if s := status(t, "krenew"); s != "not-installed" {
		t.Errorf("after dpkg --purge krenew is %s", s)
	}
	for _, p := range listed {
		existed, isDir := dirsBefore[p]
		if isDir && existed {
			continue
		}
		if p == "/usr/bin/krenew" || p == "/usr/share/man/man1/krenew.1.gz" {
			continue // kstart's, checked below
		}
		if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is left after the purge (%v)", p, err)
		}
	}
	if out := pkgMust(t, "dpkg-divert", "--list", "*krenew*"); strings.TrimSpace(out) != "" {
		t.Errorf("diversions left after the purge:\n%s", out)
	}
	checkKstartFiles(t, "/usr/bin/krenew", "/usr/share/man/man1/krenew.1.gz")
	for _, f := range []string{kstartKrenewDiverted, "/usr/share/man/man1/krenew.kstart.1.gz"} {
		if _, err := os.Lstat(f); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is left after the purge (%v)", f, err)
		}
	}
}

// status is dpkg's word for the package: installed, not-installed,
// config-files, half-installed...
func status(t *testing.T, pkg string) string {
	t.Helper()
	out, errOut, err := pkgRun("dpkg-query", "--show", "--showformat", "${db:Status-Status}", pkg)
	if err != nil {
		if strings.Contains(errOut, "no packages found") {
			return "not-installed"
		}
		t.Fatalf("dpkg-query --show %s: %v\n%s", pkg, err, errOut)
	}
	return strings.TrimSpace(out)
}

func onlyMatch(t *testing.T, dir, pattern string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, pattern))
	if len(m) != 1 {
		t.Fatalf("%s in %s: %q, want one file", pattern, dir, m)
	}
	return m[0]
}

func md5File(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := md5.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func gunzip(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b, err := io.ReadAll(z)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return string(b)
}

// pkgRun runs a packaging tool non-interactively; stdout is what it
// answers, stderr what it says besides (apt and dpkg's notes).
func pkgRun(name string, args ...string) (stdout, stderr string, err error) {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive", "LC_ALL=C")
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// pkgMust is pkgRun's stdout; a failure fails the test.
func pkgMust(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, errOut, err := pkgRun(name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out, errOut)
	}
	return out
}
