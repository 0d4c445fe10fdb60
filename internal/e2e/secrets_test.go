package e2e

import (
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/crypto/common"
	"github.com/jcmturner/gokrb5/v8/crypto/rfc3962"
	"github.com/jcmturner/gokrb5/v8/crypto/rfc8009"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"

	"github.com/krenew/krenew/internal/testkdc"
)

// Issue 16, point 4: no krenew process may hold the password, nor
// anything as good as it for getting tickets, once the AS exchange is
// over. Each process of the list is scanned (every readable mapping of
// /proc/PID/mem; a long-running one after a forced renewal, so that it
// has done real work with its memory) for: the password; the HMAC pads
// of PBKDF2 (the password, padded to the block, XOR 0x36 and 0x5c) and
// the SHA-1 state right after each pad; the PBKDF2 output; the long-term
// keys of every AES enctype; and the usage keys derived from them for the
// exchange (Ke and Ki of usages 1 and 3, together as good as the password
// for getting tickets).
func TestSecretsNoPasswordEquivalents(t *testing.T) {
	longTest(t)
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	const password = "Zq8-equivalents-must-go-too-7wP"
	k.AddPrincipal(t, "dave", password)
	principal := "dave@" + testkdc.Realm
	must := passwordEquivalents(t, password, testkdc.Realm+"dave")
	var fc faultCounts
	defer fc.report(t)

	for _, subject := range []struct {
		name  string
		start func(t *testing.T, cc, dir string) (pid int, ready func() bool)
		// noRenewal: scan at once, the process cannot renew now.
		noRenewal bool
		// freshExec: the process the test started read the password and
		// must have replaced itself with a fresh krenew (--supervise).
		freshExec bool
	}{
		// The process that read the password, right after the AS
		// exchange: -t runs $AKLOG once the ticket is stored, and this
		// one reports its parent and holds it there until released.
		{name: "prompting process after the exchange", noRenewal: true, start: func(t *testing.T, cc, dir string) (int, func() bool) {
			parent, release := filepath.Join(dir, "parent"), filepath.Join(dir, "release")
			aklog := filepath.Join(dir, "aklog")
			script := "#!/bin/sh\necho $PPID > " + parent + ".tmp && mv " + parent + ".tmp " + parent +
				"\ni=0; while [ ! -e " + release + " ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done\n"
			writeProgram(t, aklog, script)
			pidfile := filepath.Join(dir, "daemon.pid")
			b := startBackground(t, append(k.Env(), "LC_ALL=C", "AKLOG="+aklog), password+"\n", krenewBin, "-t", "--password-stdin",
				"-u", "dave", "-l", "1h", "-r", "2h", "-k", cc, "-p", pidfile)
			t.Cleanup(func() {
				// Released, it starts the daemon, which is this test's to stop.
				os.WriteFile(release, nil, 0o644)
				select {
				case <-b.done:
				case <-time.After(30 * time.Second):
				}
				if pid := pidInFile(pidfile); pid != 0 {
					syscall.Kill(pid, syscall.SIGKILL)
				}
			})
			waitFor(t, "$AKLOG to run", 30*time.Second, func() bool { return pidInFile(parent) != 0 })
			if pid := pidInFile(parent); pid != b.cmd.Process.Pid {
				t.Fatalf("$AKLOG's parent is %d, not krenew (%d)", pid, b.cmd.Process.Pid)
			}
			return b.cmd.Process.Pid, nil
		}},
		// The detached daemon: a fresh exec that never saw the password.
		{name: "daemon", start: func(t *testing.T, cc, _ string) (int, func() bool) {
			return startDaemon(t, k, password+"\n", "--password-stdin", "-u", "dave", "-l", "1h", "-r", "2h", "-k", cc), nil
		}},
		// krenew -- command: the process that supervises the command,
		// which may run for days.
		{name: "command supervisor", freshExec: true, start: func(t *testing.T, cc, dir string) (int, func() bool) {
			started := filepath.Join(dir, "started")
			// The command lets go of krenew's stderr, whose end the test
			// waits for, and is killed with krenew.
			b := startBackground(t, append(k.Env(), "LC_ALL=C"), password+"\n", krenewBin, "-v", "--password-stdin",
				"-u", "dave", "-l", "1h", "-r", "2h", "-k", cc, "--", "sh", "-c", "echo $$ > "+started+"; exec sleep 120 >/dev/null 2>&1")
			t.Cleanup(func() {
				if pid := pidInFile(started); pid != 0 {
					syscall.Kill(pid, syscall.SIGKILL)
				}
			})
			return b.cmd.Process.Pid, func() bool { return pidInFile(started) != 0 }
		}},
		// --foreground: the process keeping the ticket, started as the
		// one that read the password.
		{name: "--foreground", freshExec: true, start: func(t *testing.T, cc, _ string) (int, func() bool) {
			b := faultForeground(t, append(k.Env(), "LC_ALL=C"), nil, krenewBin, password+"\n", "--password-stdin",
				"-u", "dave", "-l", "1h", "-r", "2h", "-k", cc)
			return b.cmd.Process.Pid, nil
		}},
	} {
		t.Run(subject.name, func(t *testing.T) {
			fc.run()
			dir := t.TempDir()
			cc, path := "FILE:"+filepath.Join(dir, "cc"), filepath.Join(dir, "cc")
			pid, ready := subject.start(t, cc, dir)
			if ready != nil {
				waitFor(t, subject.name+" ready", 30*time.Second, ready)
			}
			if subject.freshExec {
				cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
				if !bytes.Contains(cmdline, []byte("--supervise")) {
					fc.fail("%s: pid %d is still the process that read the password (argv %q)", subject.name, pid, cmdline)
				}
			}
			if !subject.noRenewal {
				// A forced renewal replaces the cache file.
				before := faultInode(path)
				syscall.Kill(pid, syscall.SIGALRM)
				waitFor(t, "the forced renewal", 30*time.Second, func() bool { return faultInode(path) != before })
				time.Sleep(200 * time.Millisecond)
			}

			found, scanned := scanMemoryFor(t, pid, must)
			if scanned < 1<<20 {
				fc.fail("%s: only %d bytes scanned", subject.name, scanned)
			}
			// The scan must be able to find what is there: the principal is.
			if hits, _ := scanMemoryFor(t, pid, []needle{{"principal", []byte(principal)}}); len(hits) == 0 {
				fc.fail("%s: the memory scan cannot even find the principal's name; it proves nothing", subject.name)
			}
			for _, n := range must {
				fc.inject()
				if found[n.name] {
					fc.fail("%s (pid %d): %s found in memory", subject.name, pid, n.name)
				}
			}
		})
	}
}

type needle struct {
	name string
	b    []byte
}

// passwordEquivalents computes, with gokrb5 rather than krenew's code,
// what the test looks for.
func passwordEquivalents(t *testing.T, password, salt string) (must []needle) {
	t.Helper()
	must = append(must, needle{"the password", []byte(password)})
	for _, bs := range []int{64, 128} { // SHA-1 and SHA-256, SHA-384
		ipad, opad := make([]byte, bs), make([]byte, bs)
		copy(ipad, password)
		copy(opad, password)
		for i := range ipad {
			ipad[i] ^= 0x36
			opad[i] ^= 0x5c
		}
		must = append(must, needle{fmt.Sprintf("the %d-byte HMAC ipad", bs), ipad}, needle{fmt.Sprintf("the %d-byte HMAC opad", bs), opad})
		if bs == 64 {
			must = append(must, needle{"the SHA-1 state after the ipad", sha1StateAfter(t, ipad)},
				needle{"the SHA-1 state after the opad", sha1StateAfter(t, opad)})
		}
	}
	for _, id := range []int32{etypeID.AES128_CTS_HMAC_SHA1_96, etypeID.AES256_CTS_HMAC_SHA1_96,
		etypeID.AES128_CTS_HMAC_SHA256_128, etypeID.AES256_CTS_HMAC_SHA384_192} {
		e, err := crypto.GetEtype(id)
		if err != nil {
			t.Fatal(err)
		}
		var tkey []byte
		if id == etypeID.AES128_CTS_HMAC_SHA1_96 || id == etypeID.AES256_CTS_HMAC_SHA1_96 {
			tkey = rfc3962.StringToPBKDF2(password, salt, 4096, e)
		} else {
			tkey = rfc8009.StringToPBKDF2(password, rfc8009.GetSaltP(salt, sha2Name(id)), 32768, e)
		}
		key, err := e.StringToKey(password, salt, e.GetDefaultStringToKeyParams())
		if err != nil {
			t.Fatal(err)
		}
		must = append(must, needle{fmt.Sprintf("the PBKDF2 output of etype %d", id), tkey},
			needle{fmt.Sprintf("the long-term key of etype %d (%s)", id, hex.EncodeToString(key[:4])), key})
		for _, u := range []uint32{1, 3} {
			for _, usage := range [][]byte{common.GetUsageKe(u), common.GetUsageKi(u)} {
				k, err := e.DeriveKey(key, usage)
				if err != nil {
					t.Fatal(err)
				}
				must = append(must, needle{fmt.Sprintf("usage key %x of etype %d", usage, id), k})
			}
		}
	}
	return must
}

func sha2Name(id int32) string {
	if id == etypeID.AES128_CTS_HMAC_SHA256_128 {
		return "aes128-cts-hmac-sha256-128"
	}
	return "aes256-cts-hmac-sha384-192"
}

// sha1StateAfter is SHA-1's chaining value after one block, as the hash
// object holds it in memory (five native-endian words).
func sha1StateAfter(t *testing.T, block []byte) []byte {
	h := sha1.New()
	h.Write(block)
	m, err := h.(interface{ MarshalBinary() ([]byte, error) }).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, 20)
	for i := range 5 {
		binary.NativeEndian.PutUint32(out[4*i:], binary.BigEndian.Uint32(m[4+4*i:]))
	}
	return out
}

// scanMemoryFor reads every readable mapping of pid once and reports
// which needles are in one, and how many bytes it read.
func scanMemoryFor(t *testing.T, pid int, needles []needle) (found map[string]bool, total int) {
	t.Helper()
	found = map[string]bool{}
	maps, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/maps")
	if err != nil {
		t.Fatal(err)
	}
	mem, err := os.Open("/proc/" + strconv.Itoa(pid) + "/mem")
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	for _, line := range strings.Split(string(maps), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[1][0] != 'r' {
			continue
		}
		if len(f) >= 6 && (f[5] == "[vvar]" || f[5] == "[vsyscall]") {
			continue
		}
		lo, hi, _ := strings.Cut(f[0], "-")
		start, _ := strconv.ParseUint(lo, 16, 64)
		end, _ := strconv.ParseUint(hi, 16, 64)
		buf := make([]byte, end-start)
		n, _ := mem.ReadAt(buf, int64(start))
		total += n
		for _, nd := range needles {
			if i := bytes.Index(buf[:n], nd.b); i >= 0 {
				if !found[nd.name] {
					t.Logf("%s found at %#x in mapping %s", nd.name, start+uint64(i), line)
				}
				found[nd.name] = true
			}
		}
	}
	return found, total
}
