package prompt

import "runtime"

// Zero overwrites b. It is not inlined and keeps b alive past the clear so
// the stores cannot be dropped as dead writes to memory never read again.
//
//go:noinline
func Zero(b []byte) {
	clear(b)
	runtime.KeepAlive(b)
}
