//go:build linux

package testkcm

import (
	"bufio"
	"errors"
	"os"
	"strings"
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

// startFix says what to change when the KCM daemon could not start in a
// mount namespace of its own: Go makes the new mount tree private before
// exec, which the kernel refuses with EINVAL when / is not a mount point,
// as in a plain chroot (issue 18: 36 tests skipped with nothing but
// "fork/exec /bin/sh: invalid argument").
func startFix(err error) string {
	switch {
	case errors.Is(err, syscall.EINVAL) && !rootIsMountPoint():
		return " (/ is not a mount point, so no private mount namespace can be made for the KCM daemon, as in a chroot: bind-mount the root onto itself first, mount --bind DIR DIR, then chroot DIR)"
	case errors.Is(err, syscall.EPERM) && os.Geteuid() != 0:
		// Not root, the daemon needs a user namespace, which the kernel
		// refuses in a chroot and where unprivileged ones are turned off.
		return " (this user may not create a user namespace for the KCM daemon, as in a chroot or with unprivileged user namespaces disabled: run these tests as root)"
	}
	return ""
}

func rootIsMountPoint() bool {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return true // cannot tell; say nothing
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// id parent major:minor root mount-point options ...
		if fields := strings.Fields(sc.Text()); len(fields) > 4 && fields[4] == "/" {
			return true
		}
	}
	return false
}
