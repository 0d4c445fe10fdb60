package renew

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/krenew/krenew/ccache"
)

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// virtualClock runs the engine in virtual time: every After advances the
// clock at once, so a 14-day life cycle takes milliseconds. jumps simulate
// a suspend: once the clock passes at, it leaps forward by by; a negative
// by is the clock set back, which real time does not follow (setBack).
type virtualClock struct {
	mu      sync.Mutex
	now     time.Time
	sleeps  []time.Duration
	jumps   []jump
	hooks   []hook
	setBack time.Duration // real time is now + setBack
}

type jump struct {
	at time.Time
	by time.Duration
}

// hook runs once when the clock passes at (for kdestroy and the like).
type hook struct {
	at time.Time
	fn func()
}

func (c *virtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *virtualClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	for i := 0; i < len(c.jumps); i++ {
		if !c.now.Before(c.jumps[i].at) {
			c.now = c.now.Add(c.jumps[i].by)
			c.setBack += max(-c.jumps[i].by, 0)
			c.jumps = append(c.jumps[:i], c.jumps[i+1:]...)
			i--
		}
	}
	var due []func()
	for i := 0; i < len(c.hooks); i++ {
		if !c.now.Before(c.hooks[i].at) {
			due = append(due, c.hooks[i].fn)
			c.hooks = append(c.hooks[:i], c.hooks[i+1:]...)
			i--
		}
	}
	now := c.now
	c.mu.Unlock()
	for _, fn := range due {
		fn()
	}
	ch := make(chan time.Time, 1)
	ch <- now
	return ch
}

// fakeKDC renews like MIT's KDC: new end = min(renew-till, now + old
// lifetime). down makes it unreachable.
type fakeKDC struct {
	clock Clock
	mu    sync.Mutex
	calls []time.Time
	down  func(now time.Time) bool
	err   error // a fixed failure, when set
}

func (k *fakeKDC) Renew(_ context.Context, tgt ccache.Credential) (ccache.Credential, error) {
	now := k.clock.Now()
	k.mu.Lock()
	k.calls = append(k.calls, now)
	k.mu.Unlock()
	if k.err != nil {
		return ccache.Credential{}, k.err
	}
	if k.down != nil && k.down(now) {
		return ccache.Credential{}, &Error{Kind: KindKDCUnreachable, Realm: "R", KDCs: []string{"127.0.0.1:88"}, Err: fmt.Errorf("connection refused")}
	}
	if !tgt.EndTime.After(now) {
		return ccache.Credential{}, &Error{Kind: KindTicketExpired, Err: fmt.Errorf("expired")}
	}
	life := tgt.EndTime.Sub(tgt.StartTime)
	n := tgt
	n.StartTime = now
	n.EndTime = now.Add(life)
	if n.EndTime.After(tgt.RenewTill) {
		n.EndTime = tgt.RenewTill
	}
	n.Ticket = []byte(fmt.Sprintf("ticket@%d", now.UnixNano()))
	return n, nil
}

func (k *fakeKDC) callTimes() []time.Time {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]time.Time(nil), k.calls...)
}

// memStore is a cache in memory; nil cache means the file is gone.
type memStore struct {
	mu    sync.Mutex
	cache *ccache.Cache
}

func (s *memStore) Load() (*ccache.Cache, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cache == nil {
		return nil, ccache.ErrNotFound
	}
	b := s.cache.Marshal()
	return ccache.Parse(b)
}

func (s *memStore) Update(fn func(*ccache.Cache) (*ccache.Cache, error)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var old *ccache.Cache
	if s.cache != nil {
		c, err := ccache.Parse(s.cache.Marshal())
		if err != nil {
			return err
		}
		old = c
	}
	c, err := fn(old)
	if err != nil || c == nil {
		return err
	}
	s.cache = c
	return nil
}

func (s *memStore) set(c *ccache.Cache) {
	s.mu.Lock()
	s.cache = c
	s.mu.Unlock()
}

func (s *memStore) tgt(t *testing.T) ccache.Credential {
	t.Helper()
	c, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	tgt, ok := c.FindTGT()
	if !ok {
		t.Fatal("no TGT in store")
	}
	return *tgt
}

var testPrincipal = ccache.Principal{NameType: 1, Realm: "R", Components: []string{"alice"}}

func newTGT(start time.Time, life, renewable time.Duration) ccache.Credential {
	return ccache.Credential{
		Client:    testPrincipal,
		Server:    ccache.Principal{NameType: 2, Realm: "R", Components: []string{"krbtgt", "R"}},
		Key:       ccache.KeyBlock{EType: 18, Value: make([]byte, 32)},
		AuthTime:  start,
		StartTime: start,
		EndTime:   start.Add(life),
		RenewTill: start.Add(renewable),
		Flags:     ccache.FlagRenewable | ccache.FlagInitial,
		Ticket:    []byte("initial"),
	}
}

func cacheWith(cred ccache.Credential) *ccache.Cache {
	c := &ccache.Cache{Version: 4, DefaultPrincipal: cred.Client}
	c.PutCredential(cred)
	return c
}

type testLog struct {
	mu    sync.Mutex
	t     *testing.T
	lines []string
}

func (l *testLog) add(level, format string, a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	line := level + ": " + fmt.Sprintf(format, a...)
	l.lines = append(l.lines, line)
	l.t.Log(line)
}
func (l *testLog) Infof(f string, a ...any)  { l.add("info", f, a...) }
func (l *testLog) Warnf(f string, a ...any)  { l.add("warn", f, a...) }
func (l *testLog) Errorf(f string, a ...any) { l.add("error", f, a...) }
func (l *testLog) Debugf(f string, a ...any) { l.add("debug", f, a...) }

// harness wires the fakes together for one ticket.
type harness struct {
	clock *virtualClock
	kdc   *fakeKDC
	store *memStore
	log   *testLog
	cfg   Config
	ctx   context.Context // nil: a 10s guard
}

func newHarness(t *testing.T, life, renewable time.Duration) *harness {
	h := &harness{clock: &virtualClock{now: t0}, store: &memStore{}, log: &testLog{t: t}}
	h.kdc = &fakeKDC{clock: h.clock}
	h.store.set(cacheWith(newTGT(t0, life, renewable)))
	h.cfg = Config{
		Principal: testPrincipal, CacheName: "FILE:/tmp/test", Store: h.store, KDC: h.kdc,
		Clock: h.clock, Log: h.log, Rand: func(time.Duration) time.Duration { return 0 },
	}
	return h
}

func (h *harness) run(t *testing.T) (Outcome, error) {
	t.Helper()
	parent := h.ctx
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithTimeout(parent, 10*time.Second)
	defer cancel()
	return Run(ctx, h.cfg)
}
