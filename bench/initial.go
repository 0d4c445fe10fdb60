package main

import (
	"context"
	"time"
)

// initial is figure 2: a first ticket from a password on stdin, whole
// processes. krenew --once --init renews the new ticket once too, as
// --once always does; the KDC request count in the notes shows it.
func (b *bench) initial(ctx context.Context, res *results) error {
	names := []string{"i-krenew", "i-kinit"}
	if err := b.addPrincipals(ctx, names); err != nil {
		return err
	}
	life, renewable := secs(shotLife), secs(shotRenewable)
	krenew := func() (time.Duration, error) {
		return b.timed(ctx, password+"\n", b.s.Krenew, "--once", "--init", "--password-stdin",
			"-u", b.principal("i-krenew"), "-l", life, "-r", renewable, "-k", "FILE:"+b.cache("i-krenew"))
	}
	kinit := func() (time.Duration, error) {
		return b.timed(ctx, password+"\n", b.s.Kinit, "-l", life, "-r", renewable,
			"-c", "FILE:"+b.cache("i-kinit"), b.principal("i-kinit"))
	}
	since, err := quietSecond(ctx)
	if err != nil {
		return err
	}
	a, p, err := alternate(ctx, b.s.Reps, krenew, kinit)
	if err != nil {
		return err
	}
	res.add(row{Fig: "2", Measure: "initial ticket, whole process: `krenew --once --init --password-stdin` vs `kinit` (password on stdin)",
		Unit: "ms", Krenew: a, Peer: p, Prec: 2, Target: "≤ 1.0×", TargetRatio: 1.0})
	ops := b.s.Reps + 1
	res.note("KDC requests per initial ticket (the realm requires pre-authentication): krenew --once --init %s; kinit %s.",
		b.requestsPerOp("i-krenew", ops, since), b.requestsPerOp("i-kinit", ops, since))
	return nil
}
