package ccache

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/krenew/krenew/internal/testkcm"
	"github.com/krenew/krenew/internal/testkdc"
)

// kcmEnv is a test KDC and a throwaway Heimdal kcm, with the KDC's
// krb5.conf pointed at the daemon so MIT's kinit and klist use it (MIT
// reads the socket only from krb5.conf's kcm_socket).
type kcmEnv struct {
	kdc *testkdc.KDC
	kcm *testkcm.KCM
}

func startKCMEnv(t testing.TB) *kcmEnv {
	t.Helper()
	k := testkdc.Start(t, testkdc.Options{})
	d := testkcm.Start(t, testkcm.Options{})
	k.Krb5Conf = d.Krb5Conf(t, k.Krb5Conf)
	return &kcmEnv{kdc: k, kcm: d}
}

// mit runs an MIT tool with extra environment; it returns the combined
// output and the exit status.
func (e *kcmEnv) mit(t testing.TB, env []string, stdin, prog string, args ...string) (string, int) {
	t.Helper()
	cmd := e.kdc.Command(t, prog, args...)
	cmd.Env = append(append(cmd.Env, "LC_ALL=C", "TZ=UTC"), env...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil && cmd.ProcessState == nil {
		t.Fatalf("running %s: %v", prog, err)
	}
	code := 0
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok {
		code = ws.ExitStatus()
	}
	return string(out), code
}

func (e *kcmEnv) mitOK(t testing.TB, env []string, stdin, prog string, args ...string) string {
	t.Helper()
	out, code := e.mit(t, env, stdin, prog, args...)
	if code != 0 {
		t.Fatalf("%s %s: exit %d\n%s", prog, strings.Join(args, " "), code, out)
	}
	return out
}

// kinitAlice gets alice a renewable TGT into cache (MIT kinit -c).
func (e *kcmEnv) kinitAlice(t testing.TB, cache string) {
	t.Helper()
	e.mitOK(t, nil, testkdc.AlicePassword+"\n", "kinit", "-l", "1h", "-r", "7d", "-c", cache, e.kdc.Principal(testkdc.Alice))
}

func (e *kcmEnv) open(t testing.TB, raw string) *KCMStore {
	t.Helper()
	n, err := ParseName(raw)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(n, OpenOptions{KCMSocket: e.kcm.Socket})
	if err != nil {
		t.Fatal(err)
	}
	ks := s.(*KCMStore)
	hooksOf(ks) // so that every write is recorded
	return ks
}

var klistCacheLine = regexp.MustCompile(`(?m)^Ticket cache: KCM:(\S+)$`)

// resolved is the name the daemon gives "KCM:", as MIT klist prints it.
func (e *kcmEnv) resolved(t testing.TB) string {
	t.Helper()
	m := klistCacheLine.FindStringSubmatch(e.mitOK(t, nil, "", "klist", "-c", "KCM:"))
	if m == nil {
		t.Fatal("klist does not show the KCM cache name")
	}
	return m[1]
}

// klistFull is everything klist shows of a cache, config entries, flags
// and enctypes included, minus the line naming the cache.
func (e *kcmEnv) klistFull(t *testing.T, cache string) string {
	t.Helper()
	return dropCacheLine(e.mitOK(t, nil, "", "klist", "-C", "-e", "-f", "-c", cache))
}

func kcmMustLoad(t *testing.T, s Store) *Cache {
	t.Helper()
	c, err := s.Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

func TestKCMLoadsWhatMITKinitStored(t *testing.T) {
	e := startKCMEnv(t)
	e.kinitAlice(t, "KCM:")
	tk := testkdc.Klist(t, e.kdc, "KCM:")
	name := e.resolved(t)
	for _, raw := range []string{"KCM:", "KCM:" + name} {
		c := kcmMustLoad(t, e.open(t, raw))
		if got := c.DefaultPrincipal.String(); got != tk.Principal {
			t.Errorf("%s: principal %s, klist shows %s", raw, got, tk.Principal)
		}
		tgt, ok := c.FindTGT()
		if !ok {
			t.Fatalf("%s: no TGT in %+v", raw, c)
		}
		if !tgt.StartTime.Equal(tk.Start) || !tgt.EndTime.Equal(tk.Expires) || !tgt.RenewTill.Equal(tk.RenewUntil) {
			t.Errorf("%s: times %v %v %v, klist shows %v %v %v", raw,
				tgt.StartTime, tgt.EndTime, tgt.RenewTill, tk.Start, tk.Expires, tk.RenewUntil)
		}
		if !tgt.HasFlags(FlagRenewable|FlagInitial) || !tk.HasFlag("R") {
			t.Errorf("%s: flags %#x (klist %s), want renewable and initial", raw, tgt.Flags, tk.Flags)
		}
		if len(tgt.Ticket) == 0 || len(tgt.Key.Value) == 0 {
			t.Errorf("%s: TGT without ticket or key", raw)
		}
		configs := 0
		for _, cr := range c.Credentials {
			if cr.IsConfig() {
				configs++
			}
		}
		if configs == 0 {
			t.Errorf("%s: none of MIT kinit's config entries loaded", raw)
		}
	}
}

// Writing back what was read, through Heimdal, must leave klist's view
// identical to byte-level detail: flags, enctypes, config entries, order.
// Unchanged, that is no request at all; a whole rewrite (of the cache as
// first read, after another write changed it) must be just as invisible.
func TestKCMRewriteIsInvisibleToMITKlist(t *testing.T) {
	e := startKCMEnv(t)
	e.kinitAlice(t, "KCM:")
	before := e.klistFull(t, "KCM:")
	if !strings.Contains(before, "config: pa_type(") {
		t.Errorf("klist -C shows no config entries to compare:\n%s", before)
	}
	res := e.resolved(t)
	unchanged, whole := e.open(t, "KCM:"), e.open(t, "KCM:")
	hooksOf(whole).grace = time.Millisecond
	orig := kcmMustLoad(t, whole)
	for _, c := range []struct {
		s    *KCMStore
		want string
	}{{unchanged, kcmWriteNothing}, {whole, kcmWriteStandIn + kcmWriteMove}} {
		if c.s == whole {
			if err := c.s.Update(renewTGT); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.s.Update(func(old *Cache) (*Cache, error) {
			if c.s == whole {
				return orig, nil
			}
			return old, nil
		}); err != nil {
			t.Fatal(err)
		}
		if after := e.klistFull(t, "KCM:"); after != before {
			t.Errorf("klist differs after a %s rewrite\n--- before\n%s\n--- after\n%s", c.want, before, after)
		}
		if got := hooksOf(c.s).lastWrite.Load(); got != c.want {
			t.Errorf("Heimdal update used %v, want %s", got, c.want)
		}
		if !c.s.noReplace.Load() || !c.s.noCredList.Load() || c.s.noMove.Load() {
			t.Errorf("support remembered as noReplace=%v noCredList=%v noMove=%v, want true true false",
				c.s.noReplace.Load(), c.s.noCredList.Load(), c.s.noMove.Load())
		}
	}
	if got := e.resolved(t); got != res {
		t.Errorf("the default cache is %s after the rewrites, was %s", got, res)
	}
	// No temporary cache or stand-in is left in the collection.
	list := e.mitOK(t, []string{"KRB5CCNAME=KCM:"}, "", "klist", "-l")
	if n := strings.Count(list, "KCM:"); n != 1 {
		t.Errorf("klist -l lists %d caches, want 1:\n%s", n, list)
	}
}

func TestKCMRenewedTimesShowInMITKlist(t *testing.T) {
	e := startKCMEnv(t)
	e.kinitAlice(t, "KCM:")
	s := e.open(t, "KCM:")
	old := kcmMustLoad(t, s)
	tgt0, _ := old.FindTGT()
	wantEnd := tgt0.EndTime.Add(2 * time.Hour)
	err := s.Update(func(c *Cache) (*Cache, error) {
		tgt, _ := c.FindTGT()
		tgt.EndTime = wantEnd
		c.SetKDCOffset(7 * time.Second)
		return c, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if tk := testkdc.Klist(t, e.kdc, "KCM:"); !tk.Expires.Equal(wantEnd) {
		t.Errorf("klist shows end %v, want %v", tk.Expires, wantEnd)
	}
	now := kcmMustLoad(t, s)
	if off, ok := now.KDCOffset(); !ok || off != 7*time.Second {
		t.Errorf("KDC offset %v %v after update, want 7s", off, ok)
	}
	var oldConf, newConf []string
	for _, c := range old.Credentials {
		if c.IsConfig() {
			oldConf = append(oldConf, c.Server.String()+"="+string(c.Ticket))
		}
	}
	for _, c := range now.Credentials {
		if c.IsConfig() {
			newConf = append(newConf, c.Server.String()+"="+string(c.Ticket))
		}
	}
	if strings.Join(oldConf, "\n") != strings.Join(newConf, "\n") || len(oldConf) == 0 {
		t.Errorf("config entries changed:\n before %q\n after  %q", oldConf, newConf)
	}
}

func TestKCMUpdateCreatesACacheMITReads(t *testing.T) {
	e := startKCMEnv(t)
	e.kinitAlice(t, "KCM:")
	src := kcmMustLoad(t, e.open(t, "KCM:"))
	// A name with the uid prefix Heimdal's name constraints ask for.
	name := "KCM:" + e.resolved(t) + ":krenew"
	s := e.open(t, name)
	if _, err := s.Load(); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Load of %s before creating it: %v", name, err)
	}
	err := s.Update(func(old *Cache) (*Cache, error) {
		if old != nil {
			t.Errorf("fn got a cache for a missing name")
		}
		return src, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := e.klistFull(t, name), e.klistFull(t, "KCM:"); got != want {
		t.Errorf("klist of the new cache differs from its source\n--- source\n%s\n--- new\n%s", want, got)
	}
}

// MIT kinit in a KCM collection makes a second cache with GEN_NEW and
// switches the default to it; krenew must follow both names.
func TestKCMGenNewCachesFromMIT(t *testing.T) {
	e := startKCMEnv(t)
	coll := []string{"KRB5CCNAME=KCM:"}
	e.mitOK(t, coll, testkdc.AlicePassword+"\n", "kinit", "-l", "1h", "-r", "7d", e.kdc.Principal(testkdc.Alice))
	e.mitOK(t, coll, testkdc.BobPassword+"\n", "kinit", "-l", "1h", e.kdc.Principal(testkdc.Bob))
	bobName := e.resolved(t)
	if !strings.Contains(bobName, ":") {
		t.Fatalf("MIT did not make bob's cache with GEN_NEW: default is %q", bobName)
	}
	def := kcmMustLoad(t, e.open(t, "KCM:"))
	if def.DefaultPrincipal.String() != e.kdc.Principal(testkdc.Bob) {
		t.Fatalf("KCM: holds %s, want bob's cache", def.DefaultPrincipal)
	}
	aliceBefore := e.mitOK(t, coll, "", "klist", "-A")
	bob := e.open(t, "KCM:"+bobName)
	var wantEnd time.Time
	err := bob.Update(func(c *Cache) (*Cache, error) {
		tgt, _ := c.FindTGT()
		wantEnd = tgt.EndTime.Add(time.Hour)
		tgt.EndTime = wantEnd
		return c, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if tk := testkdc.Klist(t, e.kdc, "KCM:"+bobName); !tk.Expires.Equal(wantEnd) || tk.Principal != e.kdc.Principal(testkdc.Bob) {
		t.Errorf("klist of bob's cache: %+v, want end %v", tk, wantEnd)
	}
	if got := e.resolved(t); got != bobName {
		t.Errorf("default cache became %q, want %q", got, bobName)
	}
	// Alice's cache is untouched: only bob's section of klist -A changes.
	aliceAfter := e.mitOK(t, coll, "", "klist", "-A")
	if a, b := aliceSection(aliceBefore), aliceSection(aliceAfter); a != b || a == "" {
		t.Errorf("alice's cache changed:\n%s\n---\n%s", aliceBefore, aliceAfter)
	}
}

// aliceSection is the part of klist -A output for alice's cache.
func aliceSection(out string) string {
	for _, sec := range strings.Split(out, "\n\n") {
		if strings.Contains(sec, "Default principal: alice@") {
			return sec
		}
	}
	return ""
}

func TestKCMFailedUpdateLeavesMITView(t *testing.T) {
	e := startKCMEnv(t)
	e.kinitAlice(t, "KCM:")
	before := e.klistFull(t, "KCM:")
	s := e.open(t, "KCM:")
	err := s.Update(func(c *Cache) (*Cache, error) {
		c.Credentials = nil
		return c, errSentinelForTest
	})
	if err != errSentinelForTest {
		t.Errorf("Update: %v, want fn's error", err)
	}
	if err := s.Update(func(*Cache) (*Cache, error) { return nil, nil }); err != nil {
		t.Errorf("Update returning (nil, nil): %v", err)
	}
	if after := e.klistFull(t, "KCM:"); after != before {
		t.Errorf("cache changed\n--- before\n%s\n--- after\n%s", before, after)
	}
}

func TestKCMRemoveDestroysForMIT(t *testing.T) {
	e := startKCMEnv(t)
	e.kinitAlice(t, "KCM:")
	name := "KCM:" + e.resolved(t)
	s := e.open(t, name)
	if err := s.Remove(); err != nil {
		t.Fatal(err)
	}
	out, code := e.mit(t, nil, "", "klist", "-c", name)
	if code == 0 || !strings.Contains(out, "not found") {
		t.Errorf("klist after Remove: exit %d\n%s", code, out)
	}
	if _, err := s.Load(); !errors.Is(err, ErrNotFound) {
		t.Errorf("Load after Remove: %v", err)
	}
	if err := s.Remove(); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Remove: %v", err)
	}
}

func TestKCMStoppedDaemonIsUnavailable(t *testing.T) {
	d := testkcm.Start(t, testkcm.Options{})
	s := &KCMStore{Name: "x", Socket: d.Socket}
	if _, err := s.Load(); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Load from a running daemon: %v", err)
	}
	d.Stop()
	_, err := s.Load()
	if !errors.Is(err, ErrKCMUnavailable) || !strings.Contains(err.Error(), d.Socket) {
		t.Errorf("Load after the daemon stopped: %v", err)
	}
}

// entryLines are the services klist -C lists, in order.
func entryLines(out string) []string {
	var svcs []string
	for _, l := range strings.Split(out, "\n") {
		switch f := strings.Fields(l); {
		case strings.HasPrefix(l, "config: "):
			svcs = append(svcs, f[1])
		case len(f) == 5 && strings.Contains(f[4], "@"):
			svcs = append(svcs, f[4])
		}
	}
	return svcs
}

// While one goroutine keeps renewing "KCM:", krenew's Load must always see
// the whole cache, and MIT's klist must always find the cache, with its
// principal, under both its names (a temporary cache never becomes the
// default while it is filled), list all its entries as "KCM:" (behind a
// stand-in), and list a prefix of them under its own name.
//
// A prefix, not always all of them: against Heimdal, MIT's cc_kcm.c walks
// a cache by credential UUIDs and stops at the first one that vanished; a
// whole replacement (MIT's own kinit -R included) makes all of them
// vanish. So klist -s, which needs the TGT, the last entry here, can miss
// it while an update lands; it is checked between updates instead (and
// measured in TestKCMKlistDuringRenewals).
func TestKCMReadersDuringUpdates(t *testing.T) {
	e := startKCMEnv(t)
	e.kinitAlice(t, "KCM:")
	name := "KCM:" + e.resolved(t)
	base := kcmMustLoad(t, e.open(t, "KCM:"))
	full := entryLines(e.klistFull(t, "KCM:"))
	if len(full) != len(base.Credentials) {
		t.Fatalf("klist shows %d entries, Load %d: %q", len(full), len(base.Credentials), full)
	}
	writer := e.open(t, "KCM:")
	hooksOf(writer).grace = 100 * time.Millisecond
	want := kcmWriteStandIn + kcmWriteMove
	stop, pause := make(chan struct{}), make(chan chan struct{})
	done := make(chan error, 1)
	updates := 0
	go func() {
		for {
			select {
			case <-stop:
				done <- nil
				return
			case resume := <-pause:
				<-resume
			default:
			}
			err := writer.Update(func(c *Cache) (*Cache, error) {
				tgt, _ := c.FindTGT()
				tgt.EndTime = tgt.EndTime.Add(time.Second)
				return c, nil
			})
			if err != nil {
				done <- err
				return
			}
			updates++
			time.Sleep(2 * time.Millisecond)
		}
	}()
	loadErr, loaded := make(chan error, 1), make(chan int, 1)
	reader := e.open(t, name)
	go func() {
		s := reader
		n := 0
		defer func() { loaded <- n }()
		for {
			select {
			case <-stop:
				return
			default:
			}
			c, err := s.Load()
			if err == nil {
				err = wholeCache(c, base)
			}
			if err == nil {
				if _, ok := c.FindTGT(); !ok {
					err = errors.New("cache without TGT loaded")
				}
			}
			if err != nil {
				loadErr <- err
				return
			}
			n++
		}
	}()
	runs, truncated, paused := 0, 0, 0
	for deadline := time.Now().Add(4 * time.Second); time.Now().Before(deadline) && !t.Failed(); runs++ {
		cache := []string{"KCM:", name}[runs%2]
		out, code := e.mit(t, nil, "", "klist", "-C", "-c", cache)
		got := entryLines(out)
		switch {
		case code != 0 || !strings.Contains(out, "Default principal: "+base.DefaultPrincipal.String()):
			t.Errorf("klist -c %s during updates: exit %d\n%s", cache, code, out)
		case cache == "KCM:" && strings.Join(got, " ") != strings.Join(full, " "):
			// Readers of the default cache are behind a stand-in.
			t.Errorf("klist -c KCM: lists %q, want all of %q", got, full)
		case len(got) > len(full) || strings.Join(got, " ") != strings.Join(full[:len(got)], " "):
			t.Errorf("klist -c %s lists %q, not a prefix of %q", cache, got, full)
		case len(got) < len(full):
			truncated++
		}
		if runs%10 == 0 {
			resume := make(chan struct{})
			select {
			case pause <- resume:
			case err := <-done:
				t.Fatalf("Update: %v", err)
			}
			if out, code := e.mit(t, nil, "", "klist", "-s", "-c", cache); code != 0 {
				t.Errorf("klist -s -c %s between updates: exit %d\n%s", cache, code, out)
			}
			close(resume)
			paused++
		}
	}
	close(stop)
	if err := <-done; err != nil {
		t.Fatalf("Update: %v", err)
	}
	loads := <-loaded
	select {
	case err := <-loadErr:
		t.Errorf("Load during updates: %v", err)
	default:
	}
	t.Logf("%d updates, %d loads, %d klist runs (%d cut short by MIT's UUID walk), %d klist -s between updates",
		updates, loads, runs, truncated, paused)
	if got := hooksOf(writer).lastWrite.Load(); got != want {
		t.Errorf("updates used %v, want %s", got, want)
	}
	if updates < 10 || loads < 20 || runs < 20 {
		t.Errorf("too little concurrency to mean anything: %d updates, %d loads, %d klist runs", updates, loads, runs)
	}
}

// Heimdal lets a user other than root create only caches named after
// its uid ("1000", "1000:..."), which the default cache and GEN_NEW names
// are. Root is exempt, so a helper process runs the store as nobody.
func TestKCMNameConstraintsForUsers(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a KCM client as another user")
	}
	d := testkcm.Start(t, testkcm.Options{})
	// The test binary sits in a directory only root may enter.
	bin := filepath.Join(d.Dir, "ccache-helper.test")
	// cp, not a copy written by this process, which a child forked
	// meanwhile could hold open for writing (ETXTBSY at the exec).
	if out, err := exec.Command("cp", os.Args[0], bin).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, out)
	}
	if err := os.Chmod(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^TestKCMUserHelper$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), "KRENEW_KCM_HELPER_SOCKET="+d.Socket)
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestKCMUserHelper") {
		t.Fatalf("helper as uid 65534: %v\n%s", err, out)
	}
}

// TestKCMUserHelper is TestKCMNameConstraintsForUsers' other half; it
// runs only in that test's child process.
func TestKCMUserHelper(t *testing.T) {
	sock := os.Getenv("KRENEW_KCM_HELPER_SOCKET")
	if sock == "" {
		t.Skip("helper process for TestKCMNameConstraintsForUsers")
	}
	uid := strconv.Itoa(os.Geteuid())
	def := &KCMStore{Socket: sock}
	if err := def.Update(func(*Cache) (*Cache, error) { return kcmSample(), nil }); err != nil {
		t.Fatalf("creating the default cache: %v", err)
	}
	mine := &KCMStore{Name: uid, Socket: sock}
	if c := kcmMustLoad(t, mine); !c.DefaultPrincipal.Equal(alice) {
		t.Fatalf("KCM:%s holds %v", uid, c.DefaultPrincipal)
	}
	// The second write removes an entry, behind a stand-in from
	// GEN_NEW, which must be the user's to make and switch to.
	hooksOf(def).grace = time.Millisecond
	if err := def.Update(func(c *Cache) (*Cache, error) { c.Credentials = c.Credentials[1:]; return c, nil }); err != nil {
		t.Fatalf("rewriting the default cache: %v", err)
	}
	if got, want := hooksOf(def).lastWrite.Load(), kcmWriteStandIn+kcmWriteMove; got != want {
		t.Errorf("rewrote with %v, want %s", got, want)
	}
	// And a new principal the same way.
	if err := def.Update(func(c *Cache) (*Cache, error) {
		c.DefaultPrincipal.Components = []string{"bob"}
		return c, nil
	}); err != nil {
		t.Fatalf("rewriting the default cache for bob: %v", err)
	}
	if got, want := hooksOf(def).lastWrite.Load(), kcmWriteStandIn+kcmWriteMove; got != want {
		t.Errorf("rewrote with %v, want %s", got, want)
	}
	if got := kcmMustLoad(t, def).DefaultPrincipal.Components[0]; got != "bob" {
		t.Errorf("default cache holds %s after the rewrite, want bob", got)
	}
	if c := kcmMustLoad(t, mine); len(c.Credentials) != 1 {
		t.Errorf("KCM:%s has %d credentials after the rewrite, want 1", uid, len(c.Credentials))
	}
	other := &KCMStore{Name: "not-" + uid, Socket: sock}
	err := other.Update(func(*Cache) (*Cache, error) { return kcmSample(), nil })
	var st *kcmStatusError
	if !errors.As(err, &st) || st.Code != kcmCodeCCBadName || !strings.Contains(err.Error(), "KCM:not-"+uid) {
		t.Fatalf("creating a cache outside the uid's names: %v, want KRB5_CC_BADNAME naming it", err)
	}
	if _, err := other.Load(); !errors.Is(err, ErrNotFound) {
		t.Errorf("Load of the refused cache: %v", err)
	}
}

// wholeCache checks a cache loaded during renewals of base: all of base's
// entries other than its TGT, and one TGT.
func wholeCache(c, base *Cache) error {
	if !c.DefaultPrincipal.Equal(base.DefaultPrincipal) {
		return fmt.Errorf("cache of %s loaded", c.DefaultPrincipal)
	}
	tgts, others := 0, 0
	for _, cr := range c.Credentials {
		if !cr.IsConfig() && cr.Server.IsTGTFor(cr.Client.Realm) {
			tgts++
		} else {
			others++
		}
	}
	switch {
	case tgts == 0:
		return errors.New("cache without TGT loaded")
	case others != len(base.Credentials)-1 || tgts > 1:
		return fmt.Errorf("partial cache loaded: %d TGTs and %d other entries, want 1 and %d", tgts, others, len(base.Credentials)-1)
	}
	return nil
}
