package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

// buildFloor builds bench/gofloor the way the Makefile builds krenew
// (static, stripped), into the run's directory.
func (b *bench) buildFloor(ctx context.Context) error {
	b.floor = filepath.Join(b.dir, "gofloor")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", b.floor, "github.com/krenew/krenew/bench/gofloor")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("cannot build the Go floor program: %v\n%s", err, out)
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
