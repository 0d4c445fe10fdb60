package ccache

import (
	"testing"
	"time"

	"github.com/krenew/krenew/internal/testkdc"
)

// BenchmarkKCMReaders counts the MIT klist -s runs that fail against
// "KCM:" on Heimdal's kcm while the default cache is renewed over and
// over, by MIT's kinit -R and by KCMStore.Update in each of its Heimdal
// write paths, in one run against one daemon so that the figures compare.
// The figure that matters is fails/renewal; the time per renewal is no
// measure of anything (kinit -R talks to the KDC, Update does not, and the
// stand-in waits out two grace periods). Run it with a fixed count, as in
//
//	go test -run XXX -bench KCMReaders -benchtime 200x ./ccache/
//
// One loop of klist -s runs throughout each sub-benchmark; "-c KCM:"
// resolves the name just as KRB5CCNAME=KCM: would.
func BenchmarkKCMReaders(b *testing.B) {
	e := startKCMEnv(b)
	e.kinitAlice(b, "KCM:")
	krenew := func(noStandIn bool, want string) func(b *testing.B) func() error {
		return func(b *testing.B) func() error {
			s := e.open(b, "KCM:")
			s.noStandIn.Store(noStandIn)
			return func() error {
				if err := s.Update(renewTGT); err != nil {
					return err
				}
				if got := hooksOf(s).lastWrite.Load(); got != want {
					b.Fatalf("the renewal used %v, want %s", got, want)
				}
				return nil
			}
		}
	}
	writers := []struct {
		name  string
		renew func(b *testing.B) func() error
	}{
		{"kinit-R", func(b *testing.B) func() error {
			return func() error {
				out, code := e.mit(b, nil, "", "kinit", "-R", "-c", "KCM:", e.kdc.Principal(testkdc.Alice))
				if code != 0 {
					b.Fatalf("kinit -R: exit %d\n%s", code, out)
				}
				return nil
			}
		}},
		{"krenew-stand-in+move", krenew(false, kcmWriteStandIn+kcmWriteMove)},
		{"krenew-move", krenew(true, kcmWriteMove)},
	}
	for _, w := range writers {
		b.Run(w.name, func(b *testing.B) {
			renew := w.renew(b)
			stop := make(chan struct{})
			wait := e.klistLoops(b, 1, "KCM:", stop)
			b.ResetTimer()
			for range b.N {
				if err := renew(); err != nil {
					close(stop)
					wait()
					b.Fatal(err)
				}
				// Lets the reader see each renewed cache at rest.
				time.Sleep(5 * time.Millisecond)
			}
			b.StopTimer()
			close(stop)
			runs, failed, _ := wait()
			b.ReportMetric(float64(len(failed))/float64(b.N), "fails/renewal")
			b.ReportMetric(float64(runs)/float64(b.N), "klists/renewal")
			b.Logf("%s: %d renewals, %d klist -s runs, %d failed (%.3f per renewal)",
				w.name, b.N, runs, len(failed), float64(len(failed))/float64(b.N))
		})
	}
}
