package testkdc

import "syscall"

// kdcProcAttr makes the kernel kill krb5kdc if the test binary dies without
// running its cleanups (panic, timeout, SIGKILL), so no KDC outlives a run.
// The kernel ties the signal to the forking OS thread; Go keeps its threads
// alive unless a goroutine exits while locked to one, so do not call Start
// from a goroutine that uses runtime.LockOSThread.
func kdcProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
}
