package ccache

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/krenew/krenew/internal/testkdc"
)

// mitRun runs an MIT tool against k with KRB5CCNAME=ccname (if not
// empty), in the C locale and UTC.
func mitRun(t *testing.T, k *testkdc.KDC, ccname, stdin, prog string, args ...string) (string, int) {
	t.Helper()
	cmd := k.Command(t, prog, args...)
	cmd.Env = append(cmd.Env, "LC_ALL=C", "TZ=UTC")
	if ccname != "" {
		cmd.Env = append(cmd.Env, "KRB5CCNAME="+ccname)
	}
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	code := 0
	if err != nil {
		code = -1
		if st, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok {
			code = st.ExitStatus()
		}
	}
	return string(out), code
}

func mitOK(t *testing.T, k *testkdc.KDC, ccname, stdin, prog string, args ...string) string {
	t.Helper()
	out, code := mitRun(t, k, ccname, stdin, prog, args...)
	if code != 0 {
		t.Fatalf("%s %s: exit %d\n%s", prog, strings.Join(args, " "), code, out)
	}
	return out
}

// foreignUID is a uid nobody on the machine uses, for a persistent keyring
// of another user that the test may create and destroy at will.
func foreignUID(t *testing.T) string {
	t.Helper()
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return strconv.Itoa(3_000_000_000 + int(binary.BigEndian.Uint32(b[:])%1_000_000))
}

// keyringNames are one name per anchor MIT tools share with other
// processes, each with a fresh collection (or, for our own persistent
// keyring, a fresh cache in it).
func keyringNames(t *testing.T) map[string]string {
	t.Helper()
	names := map[string]string{
		"session":    "KEYRING:session:" + testCollection(t),
		"user":       "KEYRING:user:" + testCollection(t),
		"legacy":     "KEYRING:" + testCollection(t),
		"subsidiary": "KEYRING:session:" + testCollection(t) + ":krb_ccache_Test1234",
		"persistent": "KEYRING:persistent:" + strconv.Itoa(os.Geteuid()) + ":" + testCollection(t),
	}
	if os.Geteuid() == 0 {
		names["persistent-other-uid"] = "KEYRING:persistent:" + foreignUID(t)
	}
	return names
}

func requireMIT(t *testing.T) *testkdc.KDC {
	t.Helper()
	requireKeyrings(t)
	return testkdc.Start(t, testkdc.Options{})
}

// kinit's cache: Load sees what klist sees; an Update shows in klist and
// the collection listings; kinit -R and kvno work on it; Remove is
// kdestroy.
func TestKeyringMITKinitThenUpdate(t *testing.T) {
	k := requireMIT(t)
	for anchor, name := range keyringNames(t) {
		t.Run(anchor, func(t *testing.T) {
			s := openKR(t, name)
			mitOK(t, k, "", testkdc.AlicePassword+"\n", "kinit", "-r", "2d", "-c", name, testkdc.Alice)
			want := testkdc.Klist(t, k, name)
			c := mustLoad(t, s)
			if c.DefaultPrincipal.String() != k.Principal(testkdc.Alice) || want.Principal != k.Principal(testkdc.Alice) {
				t.Fatalf("principal %v, klist %s", c.DefaultPrincipal, want.Principal)
			}
			tgt, ok := c.FindTGT()
			if !ok {
				t.Fatalf("no TGT in %+v", c)
			}
			if !tgt.StartTime.Equal(want.Start) || !tgt.EndTime.Equal(want.Expires) || !tgt.RenewTill.Equal(want.RenewUntil) {
				t.Errorf("TGT %v..%v renew %v; klist %v..%v renew %v",
					tgt.StartTime, tgt.EndTime, tgt.RenewTill, want.Start, want.Expires, want.RenewUntil)
			}
			if _, ok := c.KDCOffset(); ok != (anchor != "legacy") {
				t.Errorf("KDC offset present %v", ok)
			}
			if _, ok := c.Config("pa_type", &tgt.Server); !ok {
				t.Errorf("kinit's pa_type config entry missing")
			}

			newEnd := tgt.EndTime.Add(time.Hour)
			err := s.Update(func(old *Cache) (*Cache, error) {
				tg, _ := old.FindTGT()
				tg.EndTime = newEnd
				old.SetConfig("krenew_test", nil, []byte("v1"))
				return old, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := testkdc.Klist(t, k, name); !got.Expires.Equal(newEnd) {
				t.Errorf("klist shows end %v, want %v", got.Expires, newEnd)
			}
			full, err := s.CacheName()
			if err != nil {
				t.Fatal(err)
			}
			out := mitOK(t, k, "", "", "klist", "-C", "-c", name)
			if !strings.Contains(out, "config: krenew_test = v1") || !strings.Contains(out, "Ticket cache: "+full) {
				t.Errorf("klist -C:\n%s", out)
			}
			collection := strings.TrimSuffix(full, ":"+fullSub(full))
			for _, args := range [][]string{{"-l"}, {"-A"}} {
				out := mitOK(t, k, collection, "", "klist", args...)
				if !strings.Contains(out, full) || !strings.Contains(out, k.Principal(testkdc.Alice)) {
					t.Errorf("klist %s with KRB5CCNAME=%s does not list %s:\n%s", args[0], collection, full, out)
				}
			}

			// kinit -R rewrites the cache MIT's way; we read the result.
			mitOK(t, k, "", "", "kinit", "-R", "-c", name)
			renewed := mustLoad(t, s)
			rt, ok := renewed.FindTGT()
			if !ok || bytes.Equal(rt.Ticket, tgt.Ticket) {
				t.Errorf("after kinit -R: TGT found %v, same ticket %v", ok, ok && bytes.Equal(rt.Ticket, tgt.Ticket))
			}
			mitOK(t, k, "", "", "kvno", "-c", name, testkdc.Service)
			if !hasServer(mustLoad(t, s), testkdc.Service+"@"+k.Realm) {
				t.Errorf("kvno's service ticket is not in Load's cache")
			}

			if err := s.Remove(); err != nil {
				t.Fatal(err)
			}
			out, code := mitRun(t, k, "", "", "klist", "-c", name)
			if code == 0 || !strings.Contains(out, "not found") && !strings.Contains(out, "No credentials cache") {
				t.Errorf("klist after Remove: exit %d\n%s", code, out)
			}
		})
	}
}

func fullSub(full string) string { return full[strings.LastIndexByte(full, ':')+1:] }

func hasServer(c *Cache, server string) bool {
	for _, cr := range c.Credentials {
		if cr.Server.String() == server {
			return true
		}
	}
	return false
}

// A cache Update creates from nothing is one MIT uses: klist reads it,
// the collection lists it, kvno gets a service ticket with its TGT.
func TestKeyringCreatedByUpdateWorksWithMIT(t *testing.T) {
	k := requireMIT(t)
	file := "FILE:" + filepath.Join(k.Dir, "source.ccache")
	mitOK(t, k, "", testkdc.AlicePassword+"\n", "kinit", "-r", "2d", "-c", file, testkdc.Alice)
	raw, err := os.ReadFile(strings.TrimPrefix(file, "FILE:"))
	if err != nil {
		t.Fatal(err)
	}
	for anchor, name := range keyringNames(t) {
		t.Run(anchor, func(t *testing.T) {
			src, err := Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			s := openKR(t, name)
			var before keyTarget
			err = keyWriter().do(func() error { before, err = s.name.resolve(false); return err })
			if err != nil {
				t.Fatal(err)
			}
			err = s.Update(func(old *Cache) (*Cache, error) {
				if old != nil {
					t.Errorf("fn got a cache for a new name")
				}
				return src, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			want := testkdc.Klist(t, k, file)
			got := testkdc.Klist(t, k, name)
			if got != want {
				t.Errorf("klist of the keyring cache %+v, of the file %+v", got, want)
			}
			full, err := s.CacheName()
			if err != nil {
				t.Fatal(err)
			}
			collection := strings.TrimSuffix(full, ":"+fullSub(full))
			if out := mitOK(t, k, collection, "", "klist", "-l"); !strings.Contains(out, full) {
				t.Errorf("klist -l does not list %s:\n%s", full, out)
			}
			// The primary key is set as kinit sets it, so the collection
			// name alone reaches the cache (unless our own persistent
			// keyring already had a primary cache, which stays).
			// (Another test may have left our persistent keyring with a
			// primary whose cache was destroyed; klist of the collection
			// then fails, as it would for MIT's own kdestroy.)
			if !before.hasPrimary {
				if out := mitOK(t, k, collection, "", "klist"); !strings.Contains(out, "Ticket cache: "+full) {
					t.Errorf("klist of the collection:\n%s", out)
				}
			}
			out := mitOK(t, k, "", "", "kvno", "-c", name, testkdc.Service)
			if !strings.Contains(out, "kvno = ") {
				t.Errorf("kvno: %s", out)
			}
			c := mustLoad(t, s)
			if !hasServer(c, testkdc.Service+"@"+k.Realm) || len(c.Credentials) != len(src.Credentials)+1 {
				t.Errorf("after kvno Load has %d credentials (had %d), service ticket %v",
					len(c.Credentials), len(src.Credentials), hasServer(c, testkdc.Service+"@"+k.Realm))
			}
		})
	}
}

// Root writes another user's persistent keyring, and that user's own
// klist reads it, as when root runs krenew for a user.
func TestKeyringPersistentOfAnotherUserReadByThatUser(t *testing.T) {
	requireKeyrings(t)
	if os.Geteuid() != 0 {
		t.Skip("needs root to write another user's persistent keyring")
	}
	uid := foreignUID(t)
	name := "KEYRING:persistent:" + uid
	s := openKR(t, name)
	mustUpdate(t, s, testCache("EXAMPLE.COM"))
	klistBin, err := exec.LookPath("klist")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("klist not installed in CI: %v", err)
		}
		t.Skip("MIT klist not installed")
	}
	n, _ := strconv.Atoi(uid)
	cmd := exec.Command(klistBin, "-c", name)
	cmd.Env = []string{"KRB5_CONFIG=/dev/null", "LC_ALL=C", "TZ=UTC"}
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(n), Gid: uint32(n)}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("klist as uid %s: %v\n%s", uid, err, out)
	}
	if !strings.Contains(string(out), "Ticket cache: KEYRING:persistent:"+uid+":"+uid) ||
		!strings.Contains(string(out), "alice@EXAMPLE.COM") {
		t.Errorf("klist as uid %s:\n%s", uid, out)
	}
}

// Readers never see a missing, empty or half-written cache while Update
// rewrites it: neither Load in this process (on another OS thread than the
// writer's) nor MIT's klist in others.
func TestKeyringReadersDuringUpdates(t *testing.T) {
	k := requireMIT(t)
	name := "KEYRING:session:" + testCollection(t)
	s := openKR(t, name)
	mitOK(t, k, "", testkdc.AlicePassword+"\n", "kinit", "-r", "2d", "-c", name, testkdc.Alice)
	first := mustLoad(t, s)
	tgt0, _ := first.FindTGT()
	end0 := tgt0.EndTime

	const minUpdates, minKlists = 200, 20
	done := make(chan struct{})
	failures := make(chan string, 100)
	fail := func(format string, args ...any) {
		select {
		case failures <- fmt.Sprintf(format, args...):
		default:
		}
	}
	var loads, klists atomic.Int64
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			last := -1
			for {
				select {
				case <-done:
					return
				default:
				}
				c, err := s.Load()
				if err != nil {
					fail("Load: %v", err)
					continue
				}
				loads.Add(1)
				if _, ok := c.FindTGT(); !ok || c.DefaultPrincipal.String() != k.Principal(testkdc.Alice) {
					fail("Load: principal %v, TGT %v", c.DefaultPrincipal, ok)
				}
				if v, ok := c.Config("krenew_counter", nil); ok {
					n, _ := strconv.Atoi(string(v))
					if n < last {
						fail("Load: counter went back from %d to %d", last, n)
					}
					last = n
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			default:
			}
			out, code := mitRun(t, k, "", "", "klist", "-s", "-c", name)
			if code != 0 {
				fail("klist -s: exit %d %s", code, out)
			}
			klists.Add(1)
		}
	}()

	updates := 0
	for updates < minUpdates || klists.Load() < minKlists {
		i := updates
		err := s.Update(func(old *Cache) (*Cache, error) {
			tg, ok := old.FindTGT()
			if !ok {
				return nil, fmt.Errorf("update %d: no TGT", i)
			}
			tg.EndTime = end0.Add(time.Duration(i%7) * time.Minute)
			old.SetConfig("krenew_counter", nil, []byte(strconv.Itoa(i)))
			if i%2 == 0 {
				old.SetConfig("krenew_toggle", nil, []byte("on"))
			} else {
				kept := old.Credentials[:0]
				for _, cr := range old.Credentials {
					if key, _, _ := cr.ConfigKey(); key != "krenew_toggle" {
						kept = append(kept, cr)
					}
				}
				old.Credentials = kept
			}
			return old, nil
		})
		if err != nil {
			t.Errorf("update %d: %v", i, err)
			break
		}
		updates++
		if updates > 100*minUpdates {
			t.Errorf("klist ran only %d times during %d updates", klists.Load(), updates)
			break
		}
	}
	close(done)
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Error(f)
	}
	c := mustLoad(t, s)
	if v, _ := c.Config("krenew_counter", nil); string(v) != strconv.Itoa(updates-1) {
		t.Errorf("counter %q after %d updates", v, updates)
	}
	if loads.Load() == 0 {
		t.Error("no Load ran during the updates")
	}
	t.Logf("%d updates, %d loads, %d klist runs", updates, loads.Load(), klists.Load())
}
