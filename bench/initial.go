package main

import (
	"context"
	"fmt"
	"time"
)

// initial is figure 2: a first ticket from a password on stdin, whole
// processes; the KDC request counts in the notes show that krenew --once
// --init, like kinit, sends only the AS exchange.
func (b *bench) initial(ctx context.Context, res *results) error {
	names := []string{"i-krenew", "i-kinit", "i-engine", "i-kinit2"}
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
	engine := func() (time.Duration, error) {
		return b.timed(ctx, password+"\n", b.engineFloor, "init", b.principal("i-engine"), b.cache("i-engine"))
	}
	kinit2 := func() (time.Duration, error) {
		return b.timed(ctx, password+"\n", b.s.Kinit, "-l", life, "-r", renewable,
			"-c", "FILE:"+b.cache("i-kinit2"), b.principal("i-kinit2"))
	}
	e, ep, err := alternate(ctx, b.s.Reps, engine, kinit2)
	if err != nil {
		return err
	}
	floor := fmt.Sprintf("krenew's engine alone (bench/enginefloor init: krb5.conf, the AS exchange with the password from stdin and the "+
		"atomic, fsynced write, with krenew's packages and none of its command line) takes %.2f ms, %.2f× kinit in the same alternation "+
		"(row below); krenew --once --init is %.2f ms above it", e.Median, e.Median/ep.Median, a.Median-e.Median)
	res.add(row{Fig: "2", Measure: "initial ticket, whole process: `krenew --once --init --password-stdin` vs `kinit` (password on stdin)",
		Unit: "ms", Krenew: a, Peer: p, Prec: 2, Target: "≤ 1.0×", TargetRatio: 1.0, Floor: floor})
	res.add(row{Fig: "2", Measure: "engine floor: bench/enginefloor init (krenew's packages, no command line) vs `kinit`, whole process",
		Unit: "ms", Krenew: e, Peer: ep, Prec: 2})
	ops := b.s.Reps + 1
	res.note("KDC requests per initial ticket (the realm requires pre-authentication): krenew --once --init %s; kinit %s; engine floor %s.",
		b.requestsPerOp("i-krenew", ops, since), b.requestsPerOp("i-kinit", ops, since), b.requestsPerOp("i-engine", ops, since))
	return nil
}
