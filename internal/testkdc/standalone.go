package testkdc

import (
	"fmt"
	"os"
	"testing"
)

// StartStandalone starts a KDC outside any test, for runnable examples,
// which get no *testing.T. The returned testing.TB works with the KDC's
// methods (AddKeytab, Run, ...): a failure in them panics. stop shuts the
// KDC down and removes its files. Where the KDC cannot start, the error
// says why; an example then fails, in CI and elsewhere.
func StartStandalone(opts Options) (k *KDC, tb testing.TB, stop func(), err error) {
	s := &standaloneTB{}
	defer func() {
		if r := recover(); r != nil {
			f, ok := r.(standaloneFailure)
			if !ok {
				panic(r)
			}
			s.cleanup()
			k, tb, stop, err = nil, nil, nil, fmt.Errorf("%s", string(f))
		}
	}()
	return Start(s, opts), s, s.cleanup, nil
}

type standaloneFailure string

// standaloneTB implements the part of testing.TB that this package uses.
// The embedded interface is nil: it only supplies testing.TB's unexported
// method; calling anything not overridden here panics, which is the
// right outcome for a helper that grew a new need.
type standaloneTB struct {
	testing.TB
	cleanups []func()
}

func (s *standaloneTB) Helper()             {}
func (s *standaloneTB) Logf(string, ...any) {}
func (s *standaloneTB) Cleanup(f func())    { s.cleanups = append(s.cleanups, f) }
func (s *standaloneTB) Fatalf(format string, a ...any) {
	panic(standaloneFailure(fmt.Sprintf(format, a...)))
}
func (s *standaloneTB) Fatal(a ...any) { panic(standaloneFailure(fmt.Sprint(a...))) }
func (s *standaloneTB) Skipf(format string, a ...any) {
	panic(standaloneFailure(fmt.Sprintf(format, a...)))
}
func (s *standaloneTB) Errorf(format string, a ...any) {
	panic(standaloneFailure(fmt.Sprintf(format, a...)))
}
func (s *standaloneTB) Setenv(key, value string) { os.Setenv(key, value) }
func (s *standaloneTB) TempDir() string {
	dir, err := os.MkdirTemp("", "testkdc-")
	if err != nil {
		s.Fatalf("testkdc: %v", err)
	}
	s.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func (s *standaloneTB) cleanup() {
	for i := len(s.cleanups) - 1; i >= 0; i-- {
		s.cleanups[i]()
	}
	s.cleanups = nil
}
