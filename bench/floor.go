package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// buildFloor builds bench/gofloor and bench/enginefloor the way the
// Makefile builds krenew (static, stripped, krenew's build tags), into the
// run's directory.
func (b *bench) buildFloor(ctx context.Context) error {
	b.floor = filepath.Join(b.dir, "gofloor")
	b.engineFloor = filepath.Join(b.dir, "enginefloor")
	for out, pkg := range map[string]string{b.floor: "gofloor", b.engineFloor: "enginefloor"} {
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-tags", "urfave_cli_no_docs,urfave_cli_no_suggest",
			"-ldflags=-s -w", "-o", out, "github.com/krenew/krenew/bench/"+pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("cannot build the floor program bench/%s: %v\n%s", pkg, err, out)
		}
		if err := evictFromPageCache(out); err != nil {
			return err
		}
	}
	return nil
}

// startFloorSleepers starts n idle Go floor programs with krenew's
// daemon environment (GOMAXPROCS=1), each in its own session like a
// detached daemon. The reaper stops them; a goroutine per process reaps
// it, since they are our children.
func (b *bench) startFloorSleepers(n int) ([]int, error) {
	var pids []int
	for i := range n {
		marker := fmt.Sprintf("gofloor-sleeper-%d", i)
		cmd := exec.Command(b.floor, "sleep", marker)
		cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if err := cmd.Start(); err != nil {
			return pids, err
		}
		go func() { _ = cmd.Wait() }()
		b.reaper.add(cmd.Process.Pid, marker)
		pids = append(pids, cmd.Process.Pid)
	}
	return pids, nil
}

// startEngineFloorFleet starts n bench/enginefloor programs in idle mode,
// each on its own principal's ticket, with krenew's daemon environment
// (GOMAXPROCS=1, own session), and gives each its one renewal by SIGALRM
// as the krenew fleet gets: the least an idle Go daemon built on krenew's
// engine keeps resident.
func (b *bench) startEngineFloorFleet(ctx context.Context, n int, life, renewable time.Duration) ([]int, error) {
	var names []string
	for i := range n {
		names = append(names, fmt.Sprintf("fleet-engine-%d", i))
	}
	if err := b.addPrincipals(ctx, names); err != nil {
		return nil, err
	}
	var pids []int
	for _, name := range names {
		cache := b.cache(name)
		if err := b.kinit(ctx, name, cache, life, renewable); err != nil {
			return pids, err
		}
		cmd := exec.Command(b.engineFloor, "idle", cache, "enginefloor-"+name)
		cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		out, err := cmd.StdoutPipe()
		if err != nil {
			return pids, err
		}
		if err := cmd.Start(); err != nil {
			return pids, err
		}
		go func() { _ = cmd.Wait() }()
		b.reaper.add(cmd.Process.Pid, "enginefloor-"+name)
		pids = append(pids, cmd.Process.Pid)
		// The Go runtime drops a SIGALRM that comes before signal.Notify:
		// wait for its "ready"; the renewal then shows as a new cache file.
		if err := waitReady(ctx, out, cmd.Process.Pid); err != nil {
			return pids, err
		}
		if err := b.forceRenewal(ctx, cmd.Process.Pid, cache); err != nil {
			return pids, err
		}
	}
	return pids, nil
}

// waitReady waits for the line "ready" on r, the stdout of process pid.
func waitReady(ctx context.Context, r io.Reader, pid int) error {
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- s
	}()
	select {
	case s := <-line:
		if s != "ready\n" {
			return fmt.Errorf("pid %d did not start: %q", pid, s)
		}
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("pid %d was not ready within 10s", pid)
	case <-ctx.Done():
		return ctx.Err()
	}
}
