package testkdc

import (
	"fmt"
	"runtime"
	"testing"
)

func TestFreePortIsReservedAndBindable(t *testing.T) {
	a, b := FreePort(t), FreePort(t)
	if a == b {
		t.Fatalf("FreePort returned %d twice", a)
	}
	if !portFree(a) {
		t.Errorf("port %d is not bindable for udp and tcp", a)
	}
	if release, ok := lockPort(a); ok {
		release()
		t.Errorf("port %d is not locked against other users", a)
	}
}

func TestReservePortConcurrentlyGivesDistinctPorts(t *testing.T) {
	const n = 50
	type result struct {
		port    int
		release func()
		err     error
	}
	results := make(chan result, n)
	for range n {
		go func() {
			p, release, err := reservePort()
			results <- result{p, release, err}
		}()
	}
	seen := map[int]bool{}
	for range n {
		r := <-results
		if r.err != nil {
			t.Fatal(r.err)
		}
		t.Cleanup(r.release)
		if seen[r.port] {
			t.Errorf("port %d reserved twice", r.port)
		}
		seen[r.port] = true
	}
}

// recorder stands in for testing.TB to see how unavailable ends a test.
type recorder struct {
	testing.TB
	fatal, skip string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (r *recorder) Skipf(format string, args ...any) {
	r.skip = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func callUnavailable(r *recorder) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		unavailable(r, "krb5kdc %s", "missing")
	}()
	<-done
}

func TestUnavailableFailsInCIAndSkipsElsewhere(t *testing.T) {
	t.Setenv("CI", "true")
	r := &recorder{TB: t}
	callUnavailable(r)
	if r.fatal != "testkdc: krb5kdc missing" || r.skip != "" {
		t.Errorf("CI=true: fatal %q skip %q, want a failure", r.fatal, r.skip)
	}

	t.Setenv("CI", "")
	r = &recorder{TB: t}
	callUnavailable(r)
	if r.skip != "testkdc: krb5kdc missing" || r.fatal != "" {
		t.Errorf("CI unset: fatal %q skip %q, want a skip", r.fatal, r.skip)
	}
}
