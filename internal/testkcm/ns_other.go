//go:build !linux

package testkcm

import (
	"errors"
	"syscall"
)

// procAttr: the private /var/run needs Linux mount namespaces.
func procAttr() (*syscall.SysProcAttr, error) {
	return nil, errors.New("running a private kcm needs Linux mount namespaces")
}

func startFix(error) string { return "" }
