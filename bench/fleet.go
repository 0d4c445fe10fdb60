package main

import (
	"context"
	"fmt"
	"time"
)

// fleet is the shared-login-node case of figure 3: -fleet daemons per
// side, each on its own user's ticket, all idle at once. PSS (each shared
// page divided among the processes that map it) is what one more daemon
// costs the machine: a static binary's code pages are shared by every
// krenew, its heap and stacks by none.
type fleet struct {
	mine, peer []int
}

// startFleet starts n krenew daemons and n kstart krenew -K 60 -b,
// interleaved, on tickets that need no renewal for the idle window, and
// gives each krenew its first renewal (kstart's renews before it
// detaches), so that both sides are in the state the idle figures are.
func (b *bench) startFleet(ctx context.Context, n int, life, renewable time.Duration) (*fleet, error) {
	var names []string
	for i := range n {
		names = append(names, fmt.Sprintf("fleet-krenew-%d", i), fmt.Sprintf("fleet-kstart-%d", i))
	}
	if err := b.addPrincipals(ctx, names); err != nil {
		return nil, err
	}
	f := &fleet{}
	for i, name := range names {
		if err := b.kinit(ctx, name, b.cache(name), life, renewable); err != nil {
			return f, err
		}
		if i%2 == 1 {
			pid, err := b.startKstart(ctx, name, 60)
			if err != nil {
				return f, err
			}
			f.peer = append(f.peer, pid)
			continue
		}
		pid, err := b.startKrenew(ctx, name)
		if err != nil {
			return f, err
		}
		f.mine = append(f.mine, pid)
		if err := b.forceRenewal(ctx, pid, b.cache(name)); err != nil {
			return f, err
		}
	}
	return f, nil
}

func (f *fleet) pids() []int { return append(append([]int(nil), f.mine...), f.peer...) }

// pss samples every daemon of one side once: PSS per daemon in MiB, over
// the daemons.
func pssOf(pids []int, who string) (summary, error) {
	var xs []float64
	for _, pid := range pids {
		s, err := takeSample(pid, who)
		if err != nil {
			return summary{}, err
		}
		xs = append(xs, float64(s.PSSKiB)/1024)
	}
	return summarize(xs), nil
}
