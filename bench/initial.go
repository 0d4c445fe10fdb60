package main

import (
	"context"
	"fmt"
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
	floor := "the Go floor (row 1, not measured in this run) and the renewal that `--once` adds to the new ticket (one more KDC request, below)"
	if g, ok := res.find("Go floor: a static Go program"); ok {
		floor = fmt.Sprintf("a Go program that does nothing takes %.2f ms to start and exit (row 1), and `--once` renews the new ticket too "+
			"(one TGS exchange more than kinit, in the KDC request counts below); kinit's %.2f ms leave krenew %.2f ms for everything else",
			g.Krenew.Median, p.Median, p.Median-g.Krenew.Median)
	}
	res.add(row{Fig: "2", Measure: "initial ticket, whole process: `krenew --once --init --password-stdin` vs `kinit` (password on stdin)",
		Unit: "ms", Krenew: a, Peer: p, Prec: 2, Target: "≤ 1.0×", TargetRatio: 1.0, Floor: floor})
	ops := b.s.Reps + 1
	res.note("KDC requests per initial ticket (the realm requires pre-authentication): krenew --once --init %s; kinit %s.",
		b.requestsPerOp("i-krenew", ops, since), b.requestsPerOp("i-kinit", ops, since))
	return nil
}
