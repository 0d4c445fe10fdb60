//go:build !linux

package testkdc

import "syscall"

func kdcProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
