//go:build linux

package testkcm

import (
	"os"
	"syscall"
)

// procAttr gives kcm its own mount namespace (and, unless root, a user
// namespace to be allowed one). Go makes the new mount tree private
// before exec, so the bind mount stays inside. Pdeathsig kills kcm should
// the test binary die without running cleanups; the same caveat as in
// testkdc applies: do not Start from a goroutine locked to its thread.
func procAttr() (*syscall.SysProcAttr, error) {
	a := &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if os.Geteuid() == 0 {
		a.Unshareflags = syscall.CLONE_NEWNS
		return a, nil
	}
	a.Cloneflags = syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS
	a.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Geteuid(), Size: 1}}
	a.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getegid(), Size: 1}}
	a.GidMappingsEnableSetgroups = false
	return a, nil
}
