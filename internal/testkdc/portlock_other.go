//go:build !linux

package testkdc

// lockPort has no cross-process lock off Linux; the bind probe in portFree is
// then the only protection against two test binaries choosing the same port.
func lockPort(int) (release func(), ok bool) {
	return func() {}, true
}
