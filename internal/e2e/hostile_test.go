package e2e

// Issue 16, points 5 and 8, as fault tests: krenew against a hostile KDC
// the test serves on 127.0.0.1, hostile cache files and hostile krb5.conf
// trees. Each reports "faults: runs=N injected=N failures=N" as the fault
// suite does, and fails on any failure.

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/iana/patype"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/krenew/krenew/ccache"
	"github.com/krenew/krenew/internal/testkcm"
)

const hostileRealm = "HOSTILE.TEST"

// hostileKDC answers every UDP request on 127.0.0.1 with the KRB-ERROR
// set last: the KDC, or whoever answers in its place, writes its e-text
// and e-data as it likes.
type hostileKDC struct {
	conn  *net.UDPConn
	reply atomic.Pointer[[]byte]
	seen  atomic.Int64 // requests answered
}

func startHostileKDC(t *testing.T) *hostileKDC {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	k := &hostileKDC{conn: conn}
	t.Cleanup(func() { conn.Close() })
	go func() {
		buf := make([]byte, 65536)
		for {
			_, from, err := conn.ReadFromUDP(buf)
			if err != nil {
				return
			}
			if r := k.reply.Load(); r != nil {
				k.seen.Add(1)
				_, _ = conn.WriteToUDP(*r, from)
			}
		}
	}()
	return k
}

// answer makes every reply a KRB-ERROR of code with etext and edata.
func (k *hostileKDC) answer(t *testing.T, code int32, etext string, edata []byte) {
	t.Helper()
	sname := types.PrincipalName{NameType: nametype.KRB_NT_SRV_INST, NameString: []string{"krbtgt", hostileRealm}}
	e := messages.NewKRBError(sname, hostileRealm, code, etext)
	e.EData = edata
	b, err := e.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 65507 {
		t.Fatalf("a KRB-ERROR of %d bytes does not fit in a datagram", len(b))
	}
	k.reply.Store(&b)
}

// replay makes every reply b, a KDC's reply recorded on the wire.
func (k *hostileKDC) replay(b []byte) {
	k.reply.Store(&b)
}

// conf is a krb5.conf whose realm's only KDC is k; the UDP limit keeps
// every request on UDP, which is all k serves.
func (k *hostileKDC) conf(t *testing.T) string {
	t.Helper()
	return k.confFor(t, hostileRealm)
}

// confFor is conf for another realm, that of a recorded reply.
func (k *hostileKDC) confFor(t *testing.T, realm string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "krb5.conf")
	text := fmt.Sprintf("[libdefaults]\n default_realm = %s\n dns_lookup_kdc = false\n dns_lookup_realm = false\n udp_preference_limit = 32700\n"+
		"[realms]\n %s = {\n  kdc = %s\n }\n", realm, realm, k.conn.LocalAddr())
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// hostileTGTCache writes a FILE cache holding a renewable TGT of client
// (in client's realm) whose renewal is due now (past half its life). The
// ticket is well formed but sealed with nothing a KDC knows: only the
// hostile KDC answers it.
func hostileTGTCache(t *testing.T, client ccache.Principal) string {
	t.Helper()
	realm := client.Realm
	tgs := ccache.Principal{NameType: ccache.NameTypeSrvInst, Realm: realm, Components: []string{"krbtgt", realm}}
	tkt := messages.Ticket{TktVNO: 5, Realm: realm,
		SName:   types.PrincipalName{NameType: nametype.KRB_NT_SRV_INST, NameString: []string{"krbtgt", realm}},
		EncPart: types.EncryptedData{EType: 18, KVNO: 1, Cipher: bytes.Repeat([]byte{0x42}, 64)}}
	tb, err := tkt.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-50 * time.Minute).Truncate(time.Second)
	cred := ccache.Credential{Client: client, Server: tgs, Key: ccache.KeyBlock{EType: 18, Value: bytes.Repeat([]byte{7}, 32)},
		AuthTime: start, StartTime: start, EndTime: start.Add(time.Hour), RenewTill: start.Add(24 * time.Hour),
		Flags: ccache.FlagRenewable | ccache.FlagInitial, Ticket: tb}
	c := &ccache.Cache{Version: 4, DefaultPrincipal: client}
	c.PutCredential(cred)
	path := filepath.Join(t.TempDir(), "cc")
	if err := os.WriteFile(path, c.Marshal(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// hostileText is one attack: the text, and what of it the user must still
// see, escaped, so that a run that hides the text passes for no reason.
type hostileText struct {
	name, text, shown string
}

// The fake line: what a carriage return would print over the
// error, as if krenew were renewing a ticket for ever.
const fakeNotice = "krenew: renewing alice@" + hostileRealm + " until never"

var hostileTexts = []hostileText{
	{"screen clear", "\x1b[2J\x1b[H", `\x1b[2J\x1b[H`},
	{"window title and BEL", "\x1b]0;owned\a", `\x1b]0;owned\a`},
	{"fake line by carriage return", "\r" + fakeNotice, `\r` + fakeNotice},
	{"forged line by newline", "\n" + fakeNotice, `\n` + fakeNotice},
	{"bells", "x\a\a\a", `x\a\a\a`},
	{"C1 CSI", "\u009b2J", `\u009b2J`},
	{"raw CSI byte", "\x9b2J", `\x9b2J`},
	{"bidi override", "\u202etxt.exe", `\u202etxt.exe`},
	{"DEL", "x\x7fy", `x\x7fy`},
	{"15547 characters", strings.Repeat("A", 15547), " bytes cut]"},
}

// hostileOutputProblems checks what krenew printed (stdout and stderr):
// no control character but the newlines between lines, nothing that is
// not UTF-8, no line a terminal would show longer than a message can be,
// no forged line.
func hostileOutputProblems(out string) []string {
	var problems []string
	if !utf8.ValidString(out) {
		problems = append(problems, "output is not UTF-8 (raw bytes a terminal may take for controls)")
	}
	for _, r := range out {
		if r < 0x20 && r != '\n' || r == 0x7f || r >= 0x80 && r < 0xa0 || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 {
			problems = append(problems, fmt.Sprintf("control character %U reached the output", r))
			break
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if n := utf8.RuneCountInString(line); n > 1100 {
			problems = append(problems, fmt.Sprintf("a line of %d characters", n))
		}
		if strings.HasPrefix(line, fakeNotice) {
			problems = append(problems, fmt.Sprintf("forged line %q", line))
		}
	}
	return problems
}

// Point 5: every hostile text, from each place it can enter (the KDC's
// e-text in a new ticket's exchange, in a renewal, in a daemon's log; a
// principal name in a planted cache for --status, --once and a daemon),
// reaches the output escaped, one line per message, and cut when long.
func TestHostileTerminalInjection(t *testing.T) {
	t.Parallel()
	var fc faultCounts
	defer fc.report(t)
	kdc := startHostileKDC(t)
	env := append(os.Environ(), "LC_ALL=C", "KRB5_CONFIG="+kdc.conf(t), "KRB5CCNAME=FILE:/nonexistent/cc")
	alicePrincipal := ccache.Principal{NameType: ccache.NameTypePrincipal, Realm: hostileRealm, Components: []string{"alice"}}
	type channel struct {
		name string
		// etext: the text is the KDC's e-text (else a principal's name).
		etext bool
		args  func(t *testing.T, text string) []string
		code  int // exit status: 1, or -x's
	}
	newCache := func(t *testing.T, _ string) []string {
		return []string{"--once", "--init", "--password-stdin", "-u", "alice@" + hostileRealm, "-k", "FILE:" + filepath.Join(t.TempDir(), "cc")}
	}
	aliceCache := func(mode ...string) func(t *testing.T, _ string) []string {
		return func(t *testing.T, _ string) []string {
			return append(mode, "-k", "FILE:"+hostileTGTCache(t, alicePrincipal))
		}
	}
	namedCache := func(mode ...string) func(t *testing.T, text string) []string {
		return func(t *testing.T, text string) []string {
			p := ccache.Principal{NameType: ccache.NameTypePrincipal, Realm: hostileRealm, Components: []string{"x" + text}}
			return append(mode, "-k", "FILE:"+hostileTGTCache(t, p))
		}
	}
	channels := []channel{
		{"e-text, new ticket", true, newCache, 1},
		{"e-text, --once renewal", true, aliceCache("--once"), 1},
		{"e-text, daemon log", true, aliceCache("--foreground", "-x"), 1},
		{"principal from the cache, --status", false, namedCache("--status"), 0},
		{"principal from the cache, --once", false, namedCache("--once"), 1},
		{"principal from the cache, daemon log", false, namedCache("--foreground", "-x"), 1},
	}
	for _, ch := range channels {
		for _, h := range hostileTexts {
			fc.run()
			fc.inject()
			etext := "renewals are not allowed here"
			if ch.etext {
				etext = h.text
			}
			kdc.answer(t, errorcode.KDC_ERR_POLICY, etext, nil)
			code, out, err := faultExec(env, t.TempDir(), "password\n", ch.args(t, h.text)...)
			what := fmt.Sprintf("%s, %s", ch.name, h.name)
			if err != nil {
				fc.fail("%s: %v\n%s", what, err, out)
				continue
			}
			problems := hostileOutputProblems(out)
			if code != ch.code {
				problems = append(problems, fmt.Sprintf("exit status %d, want %d", code, ch.code))
			}
			shown := h.shown
			if !ch.etext {
				// A principal name escapes its '@' first, as klist does.
				shown = strings.ReplaceAll(shown, "@", `\@`)
			}
			if !strings.Contains(out, shown) {
				problems = append(problems, fmt.Sprintf("the output does not show %q", shown))
			}
			if strings.HasSuffix(ch.name, "daemon log") && !hostileLogged(out, shown) {
				problems = append(problems, fmt.Sprintf("no daemon log line shows %q", shown))
			}
			if len(problems) > 0 {
				fc.fail("%s: %s\n%.3000q", what, strings.Join(problems, "; "), out)
			}
		}
	}

	// e-data: pre-authentication hints listing thousands of encryption
	// types krenew does not know, which it names in its error.
	fc.run()
	fc.inject()
	var infos types.ETypeInfo2
	for e := int32(1000); e < 4000; e++ {
		infos = append(infos, types.ETypeInfo2Entry{EType: e})
	}
	ib, err := asn1.Marshal(infos)
	if err != nil {
		t.Fatal(err)
	}
	edata, err := asn1.Marshal(types.PADataSequence{{PADataType: patype.PA_ETYPE_INFO2, PADataValue: ib}})
	if err != nil {
		t.Fatal(err)
	}
	kdc.answer(t, errorcode.KDC_ERR_PREAUTH_REQUIRED, "", edata)
	code, out, err := faultExec(env, t.TempDir(), "password\n", newCache(t, "")...)
	if v := faultVerdict(code, out, err, 1); v != "" {
		fc.fail("e-data of 3000 encryption types: %s", v)
	} else if p := hostileOutputProblems(out); len(p) > 0 || !strings.Contains(out, "encryption types [1000 1001") || !strings.Contains(out, " bytes cut]") {
		fc.fail("e-data of 3000 encryption types: %v\n%.3000q", p, out)
	}
	if kdc.seen.Load() == 0 {
		t.Error("no krenew run reached the hostile KDC")
	}
}

// hostileLogged reports whether a line of the daemon's log ("krenew[pid]:
// ...") shows text.
func hostileLogged(out, text string) bool {
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "krenew[") && strings.Contains(line, text) {
			return true
		}
	}
	return false
}

// hostileExec is faultExec that also measures the run: its time and the
// most memory it held. The peak is read from /proc while it runs
// (VmHWM): the ru_maxrss that wait4 reports counts the test's own memory,
// which the child shared until its exec.
func hostileExec(env []string, limit time.Duration, args ...string) (code int, out string, took time.Duration, peakKiB int64, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, krenewBin, args...)
	cmd.Env = env
	var b bytes.Buffer
	cmd.Stdout, cmd.Stderr = &b, &b
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.WaitDelay = 2 * time.Second
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return -1, "", 0, 0, err
	}
	done := make(chan struct{})
	var peak atomic.Int64
	go func() {
		status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
		for {
			if st, err := os.ReadFile(status); err == nil {
				for _, line := range strings.Split(string(st), "\n") {
					if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
						var kib int64
						fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(v), " kB"), &kib)
						if kib > peak.Load() {
							peak.Store(kib)
						}
					}
				}
			}
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	runErr := cmd.Wait()
	took = time.Since(start)
	close(done)
	peakKiB = peak.Load()
	if ctx.Err() != nil {
		return -1, b.String(), took, peakKiB, fmt.Errorf("still running after %s", limit)
	}
	code, err = exitStatus(runErr)
	return code, b.String(), took, peakKiB, err
}

// Point 8: inputs sized to exhaust krenew, each refused at once with one
// error line that says what and where, in little memory. The issue's
// cases: a 64 MB cache of minimal credentials took 786 MB of memory for
// --status; a krb5.conf include fan-out of 10 per level, 10 levels deep,
// hung krenew for 14 s.
func TestHostileUnboundedInputs(t *testing.T) {
	t.Parallel()
	var fc faultCounts
	defer fc.report(t)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	noDNS := "[libdefaults]\n default_realm = " + hostileRealm + "\n dns_lookup_kdc = false\n dns_lookup_realm = false\n"
	goodConf := write("good.conf", []byte(noDNS))

	// Minimal credentials: empty principals, key and ticket, 67 bytes each.
	alicePrincipal := ccache.Principal{NameType: ccache.NameTypePrincipal, Realm: hostileRealm, Components: []string{"alice"}}
	head := (&ccache.Cache{Version: 4, DefaultPrincipal: alicePrincipal}).Marshal()
	one := (&ccache.Cache{Version: 4, Credentials: []ccache.Credential{{}}}).Marshal()
	minimal := one[len((&ccache.Cache{Version: 4}).Marshal()):]
	minimalCache := func(n int) []byte {
		return append(bytes.Clone(head), bytes.Repeat(minimal, n)...)
	}
	many := make([]string, 200000)
	for i := range many {
		many[i] = "c"
	}
	manyComponents := (&ccache.Cache{Version: 4, DefaultPrincipal: ccache.Principal{Realm: hostileRealm, Components: many}}).Marshal()

	// Includes fanning out: each file of a level includes every file of
	// the next, so that 10 levels of 10 are 10^10 files to read.
	fanOut := func(name string, width, levels int) string {
		includes := func(level int) string {
			var b strings.Builder
			for i := range width {
				fmt.Fprintf(&b, "include %s\n", filepath.Join(dir, name, fmt.Sprintf("l%d_%d.conf", level, i)))
			}
			return b.String()
		}
		for level := 1; level <= levels; level++ {
			body := ""
			if level < levels {
				body = includes(level + 1)
			}
			for i := range width {
				write(filepath.Join(name, fmt.Sprintf("l%d_%d.conf", level, i)), []byte(body+"[libdefaults]\n ticket_lifetime = 1d\n"))
			}
		}
		return write(name+".conf", []byte(includes(1)+noDNS))
	}
	bigInclude := "[libdefaults]\n" + strings.Repeat("#"+strings.Repeat(" padding", 100)+"\n", 1000)
	var bigIncludes strings.Builder
	for i := range 12 {
		bigIncludes.WriteString("include " + write(fmt.Sprintf("big%d.conf", i), []byte(bigInclude)) + "\n")
	}
	bigConf := write("big.conf", []byte(bigIncludes.String()+noDNS))

	cases := []struct {
		name  string
		cache []byte // the cache's content; nil: none
		conf  string
		want  string // in the error line
	}{
		{"64 MB of minimal credentials", minimalCache((64 << 20) / len(minimal)), goodConf, "is too large: "},
		{"8193 minimal credentials", minimalCache(8193), goodConf, "is too large: more than the 8192 credentials krenew reads"},
		{"a principal of 200000 components", manyComponents, goodConf, "is too large: more than the 131072 principal components"},
		{"include fan-out 10x10", nil, fanOut("fan10", 10, 10), "includes more than 256 files"},
		{"include fan-out 3x6", nil, fanOut("fan3", 3, 6), "includes more than 256 files"},
		{"12 includes of 800 KB", nil, bigConf, "add up to more than 8 MiB"},
	}
	for _, c := range cases {
		for _, mode := range [][]string{{"--status"}, {"--once"}} {
			fc.run()
			fc.inject()
			what := fmt.Sprintf("%s, %s", c.name, mode[0])
			cc := filepath.Join(t.TempDir(), "cc")
			if c.cache != nil {
				if err := os.WriteFile(cc, c.cache, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			env := append(os.Environ(), "LC_ALL=C", "KRB5_CONFIG="+c.conf, "KRB5CCNAME=FILE:/nonexistent/cc")
			code, out, took, rss, err := hostileExec(env, 20*time.Second, append(mode, "-k", "FILE:"+cc)...)
			if v := faultVerdict(code, out, err, 1); v != "" {
				fc.fail("%s: %s", what, v)
				continue
			}
			if !strings.Contains(out, c.want) {
				fc.fail("%s: the error does not say %q:\n%s", what, c.want, out)
			}
			if c.cache != nil && !strings.Contains(out, cc) || c.cache == nil && !strings.Contains(out, filepath.Join(dir, "")) {
				fc.fail("%s: the error does not name the file:\n%s", what, out)
			}
			// The race detector's build takes tens of MB to start with.
			if took > 2*time.Second || rss > 100<<10 {
				fc.fail("%s: took %s and %d MiB of memory", what, took.Round(time.Millisecond), rss>>10)
			}
			t.Logf("%s: %s, %d MiB", what, took.Round(time.Millisecond), rss>>10)
		}
	}
}

// A principal name from a KCM daemon's reply reaches the terminal escaped
// too: each hostile name is stored in a private Heimdal kcm, as a hostile
// or confused KCM would hand it out, and krenew --status reads it there.
func TestHostileKCMPrincipal(t *testing.T) {
	t.Parallel()
	var fc faultCounts
	defer fc.report(t)
	d := testkcm.Start(t, testkcm.Options{})
	kdc := startHostileKDC(t)
	env := append(os.Environ(), "LC_ALL=C", "KRB5_CONFIG="+d.Krb5Conf(t, kdc.conf(t)))
	for i, h := range hostileTexts {
		fc.run()
		fc.inject()
		p := ccache.Principal{NameType: ccache.NameTypePrincipal, Realm: hostileRealm, Components: []string{"x" + h.text}}
		planted, err := ccache.FileStore{Path: hostileTGTCache(t, p)}.Load()
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("%d:hostile%d", os.Geteuid(), i)
		store := &ccache.KCMStore{Name: name, Socket: d.Socket}
		if err := store.Update(func(*ccache.Cache) (*ccache.Cache, error) { return planted, nil }); err != nil {
			fc.fail("%s: storing it in kcm: %v", h.name, err)
			continue
		}
		code, out, err := faultExec(env, t.TempDir(), "", "--status", "-k", "KCM:"+name)
		if err != nil {
			fc.fail("%s: %v\n%s", h.name, err, out)
			continue
		}
		problems := hostileOutputProblems(out)
		if shown := strings.ReplaceAll(h.shown, "@", `\@`); !strings.Contains(out, shown) {
			problems = append(problems, fmt.Sprintf("the output does not show %q", shown))
		}
		if code != 0 {
			problems = append(problems, fmt.Sprintf("exit status %d, want 0 (a valid ticket)", code))
		}
		if len(problems) > 0 {
			fc.fail("KCM principal, %s: %s\n%.3000q", h.name, strings.Join(problems, "; "), out)
		}
	}
}
