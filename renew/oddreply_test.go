package renew

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/krenew/krenew/ccache"
)

func TestOddities(t *testing.T) {
	old := newTGT(t0, time.Hour, 10*time.Hour)
	now := t0.Add(30 * time.Minute)
	mit := old
	mit.StartTime, mit.EndTime = now, now.Add(time.Hour)
	with := func(f func(*ccache.Credential)) ccache.Credential { c := mit; f(&c); return c }
	cases := []struct {
		name    string
		renewed ccache.Credential
		forced  bool
		want    []oddity
	}{
		{"as MIT renews", mit, false, nil},
		{"the last renewal, capped at renew-till", with(func(c *ccache.Credential) {
			c.StartTime, c.EndTime = t0.Add(9*time.Hour+30*time.Minute), old.RenewTill
		}), false, nil},
		{"longer, as Active Directory renews a short ticket", with(func(c *ccache.Credential) { c.EndTime = now.Add(10 * time.Hour) }), false, nil},
		{"the same end", with(func(c *ccache.Credential) { c.EndTime = old.EndTime }), false, []oddity{oddNoLater}},
		{"the same end, forced in the second of issue", with(func(c *ccache.Credential) { c.StartTime, c.EndTime = old.StartTime, old.EndTime }), true, nil},
		{"the same end, forced later", with(func(c *ccache.Credential) { c.EndTime = old.EndTime }), true, []oddity{oddShorter}},
		{"an earlier end", with(func(c *ccache.Credential) { c.EndTime = old.EndTime.Add(-time.Minute) }), false, []oddity{oddNoLater}},
		{"an earlier end, forced", with(func(c *ccache.Credential) { c.EndTime = old.EndTime.Add(-time.Minute) }), true, []oddity{oddNoLater}},
		{"a second later, a shorter life", with(func(c *ccache.Credential) { c.EndTime = old.EndTime.Add(time.Second) }), false, []oddity{oddShorter}},
		{"a second shorter", with(func(c *ccache.Credential) { c.EndTime = c.EndTime.Add(-time.Second) }), false, []oddity{oddShorter}},
		{"not renewable", with(func(c *ccache.Credential) { c.Flags &^= ccache.FlagRenewable }), false, []oddity{oddNotRenewable}},
		{"renew-till earlier", with(func(c *ccache.Credential) { c.RenewTill = c.RenewTill.Add(-time.Hour) }), false, []oddity{oddRenewTill}},
		{"renew-till later", with(func(c *ccache.Credential) { c.RenewTill = c.RenewTill.Add(time.Second) }), false, []oddity{oddRenewTill}},
		{"renew-till at the end", with(func(c *ccache.Credential) { c.RenewTill = c.EndTime }), false, []oddity{oddRenewTill}},
		{"Heimdal's last renewal: capped at renew-till, without the flag or renew-till", with(func(c *ccache.Credential) {
			c.StartTime, c.EndTime, c.RenewTill = t0.Add(9*time.Hour+30*time.Minute), old.RenewTill, old.RenewTill
			c.Flags &^= ccache.FlagRenewable
		}), false, nil},
		{"not renewable, a second short of renew-till", with(func(c *ccache.Credential) {
			c.StartTime, c.EndTime, c.RenewTill = t0.Add(9*time.Hour+30*time.Minute), old.RenewTill.Add(-time.Second), old.RenewTill.Add(-time.Second)
			c.Flags &^= ccache.FlagRenewable
		}), false, []oddity{oddNotRenewable, oddRenewTill}},
		{"shorter and not renewable", with(func(c *ccache.Credential) {
			c.EndTime = old.EndTime.Add(time.Second)
			c.Flags &^= ccache.FlagRenewable
		}), false, []oddity{oddShorter, oddNotRenewable}},
	}
	for _, c := range cases {
		kinds, phrases := oddities(old, c.renewed, c.forced)
		if fmt.Sprint(kinds) != fmt.Sprint(c.want) || len(phrases) != len(kinds) {
			t.Errorf("%s: oddities %v (%q), want %v", c.name, kinds, phrases, c.want)
		}
	}
}

func TestPolicyOddDelay(t *testing.T) {
	var p Policy
	long := newTGT(t0, 10*time.Hour, 20*time.Hour)
	for n, want := range []time.Duration{0, 30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 10 * time.Minute, 10 * time.Minute} {
		if n == 0 {
			continue
		}
		if got := p.oddDelay(t0, long, n); got != want {
			t.Errorf("odd reply %d: wait %s, want %s", n, got, want)
		}
	}
	short := newTGT(t0, 40*time.Second, time.Hour)
	if got := p.oddDelay(t0.Add(15*time.Second), short, 1); got != 24*time.Second {
		t.Errorf("40s ticket 15s in: wait %s, want 24s (one try a second before it ends)", got)
	}
	if got := p.oddDelay(t0.Add(35*time.Second), short, 1); got != oddLeast {
		t.Errorf("40s ticket 35s in: wait %s, want %s", got, oddLeast)
	}
	if got := p.oddDelay(t0.Add(15*time.Second), short, 2); got != time.Minute {
		t.Errorf("40s ticket 15s in, second odd reply: wait %s, want 1m (the last try is for the first only)", got)
	}
}

// hostileRenewer renews as MIT does and then lets rewrite spoil the
// reply, or refuse it as Client.renew refuses a reply for another client.
type hostileRenewer struct {
	clock   *virtualClock
	rewrite func(old, mit ccache.Credential) (ccache.Credential, error)
	calls   []time.Time
}

func (k *hostileRenewer) Renew(_ context.Context, tgt ccache.Credential) (ccache.Credential, error) {
	now := k.clock.Now()
	k.calls = append(k.calls, now)
	k.clock.advance(20 * time.Millisecond)
	if !tgt.EndTime.After(now) {
		return ccache.Credential{}, &Error{Kind: KindTicketExpired, Err: fmt.Errorf("expired")}
	}
	mit := tgt
	mit.StartTime = now.Truncate(time.Second)
	mit.EndTime = mit.StartTime.Add(tgt.EndTime.Sub(tgt.StartTime))
	if mit.EndTime.After(tgt.RenewTill) {
		mit.EndTime = tgt.RenewTill
	}
	mit.Ticket = []byte(fmt.Sprintf("ticket@%d", now.UnixNano()))
	return k.rewrite(tgt, mit)
}

// hostileReplies are the odd replies of issue 16, point 6, as the engine
// sees them.
var hostileReplies = []struct {
	name    string
	rewrite func(old, mit ccache.Credential) (ccache.Credential, error)
}{
	{"the same end", func(old, mit ccache.Credential) (ccache.Credential, error) {
		mit.EndTime = old.EndTime
		return mit, nil
	}},
	{"an earlier end", func(old, mit ccache.Credential) (ccache.Credential, error) {
		mit.EndTime = old.EndTime.Add(-5 * time.Second)
		return mit, nil
	}},
	{"a second later each time, so ever shorter", func(old, mit ccache.Credential) (ccache.Credential, error) {
		mit.EndTime = old.EndTime.Add(time.Second)
		return mit, nil
	}},
	{"a second shorter each time", func(old, mit ccache.Credential) (ccache.Credential, error) {
		mit.EndTime = mit.EndTime.Add(-time.Second)
		return mit, nil
	}},
	{"half as long each time", func(old, mit ccache.Credential) (ccache.Credential, error) {
		mit.EndTime = mit.StartTime.Add(max(old.EndTime.Sub(old.StartTime)/2, 2*time.Second))
		if !mit.EndTime.After(old.EndTime) {
			mit.EndTime = old.EndTime.Add(time.Second)
		}
		return mit, nil
	}},
	{"no longer renewable", func(old, mit ccache.Credential) (ccache.Credential, error) {
		mit.Flags &^= ccache.FlagRenewable
		return mit, nil
	}},
	{"renew-till earlier", func(old, mit ccache.Credential) (ccache.Credential, error) {
		mit.RenewTill = old.RenewTill.Add(-time.Minute)
		return mit, nil
	}},
	{"renew-till later", func(old, mit ccache.Credential) (ccache.Credential, error) {
		mit.RenewTill = old.RenewTill.Add(time.Minute)
		return mit, nil
	}},
	{"another client", func(old, mit ccache.Credential) (ccache.Credential, error) {
		return ccache.Credential{}, &Error{Kind: KindBadReply, Principal: "alice@R", Realm: "R",
			Err: fmt.Errorf("the KDC's renewal reply for alice@R names another client than alice@R")}
	}},
	{"undecryptable", func(old, mit ccache.Credential) (ccache.Credential, error) {
		return ccache.Credential{}, &Error{Kind: KindBadReply, Principal: "alice@R", Realm: "R",
			Err: fmt.Errorf("cannot decrypt the KDC's renewal reply for alice@R")}
	}},
}

// Issue 16, point 6: a KDC whose renewal replies shortened the ticket
// drove krenew to thousands of requests a minute. The floor of a tenth of
// the lifetime held (TestEngineRenewalFloorHoldsForAnyInput checks it),
// but it is relative: a KDC that shortens the ticket at every renewal
// shortens the floor with it, down to a second. Whatever the reply, and
// whatever -H, -a and -K ask for, at most three requests go out in any
// minute, and each kind of odd reply is logged once.
func TestEngineOddRepliesAreFewAndLoggedOnce(t *testing.T) {
	var fc struct{ runs, injected, failures int }
	policies := []struct {
		name string
		p    Policy
	}{
		{"default", Policy{}},
		{"-H as long as the ticket", Policy{MinLifetime: time.Hour}},
		{"-a -K 1", Policy{Always: true, Interval: time.Minute}},
	}
	for _, life := range []time.Duration{20 * time.Second, time.Minute, time.Hour} {
		for _, pol := range policies {
			for _, hr := range hostileReplies {
				fc.runs++
				fc.injected++
				name := fmt.Sprintf("%s ticket, %s, %s", life, pol.name, hr.name)
				h := newHarness(t, life, 50*life)
				kdc := &hostileRenewer{clock: h.clock, rewrite: hr.rewrite}
				log := &countingLog{}
				h.cfg.KDC, h.cfg.Policy, h.cfg.Log = kdc, pol.p, log
				stopAt(h, t0.Add(3*time.Hour))
				h.run(t)
				bad := ""
				for i := range kdc.calls {
					n := 0
					for j := i; j < len(kdc.calls) && kdc.calls[j].Sub(kdc.calls[i]) < time.Minute; j++ {
						n++
					}
					if n > 3 {
						bad = fmt.Sprintf("%d requests within a minute from %s", n, kdc.calls[i].Sub(t0))
						break
					}
				}
				if w := log.count("warn"); w > 1 {
					bad += fmt.Sprintf("; %d warnings, want the odd reply logged once:\n%s", w, strings.Join(log.lines, "\n"))
				}
				if len(kdc.calls) == 0 {
					bad += "; no renewal at all"
				}
				if bad != "" {
					fc.failures++
					t.Errorf("%s: %d requests: %s", name, len(kdc.calls), bad)
				}
			}
		}
	}
	t.Logf("faults: runs=%d injected=%d failures=%d", fc.runs, fc.injected, fc.failures)
}

// countingLog keeps every line.
type countingLog struct{ lines []string }

func (l *countingLog) add(level, f string, a ...any) {
	l.lines = append(l.lines, level+": "+fmt.Sprintf(f, a...))
}
func (l *countingLog) Infof(f string, a ...any)  { l.add("info", f, a...) }
func (l *countingLog) Warnf(f string, a ...any)  { l.add("warn", f, a...) }
func (l *countingLog) Errorf(f string, a ...any) { l.add("error", f, a...) }
func (l *countingLog) Debugf(f string, a ...any) { l.add("debug", f, a...) }

func (l *countingLog) count(level string) int {
	n := 0
	for _, line := range l.lines {
		if strings.HasPrefix(line, level+": ") {
			n++
		}
	}
	return n
}
