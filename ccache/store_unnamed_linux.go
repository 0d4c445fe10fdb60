package ccache

import (
	"os"

	"golang.org/x/sys/unix"
)

// openUnnamed opens an unnamed file in dir (O_TMPFILE): it has no name
// until linkProcFD gives it one, so a writer that dies first leaves
// nothing behind.
func openUnnamed(dir string) (*os.File, error) {
	return os.OpenFile(dir, os.O_WRONLY|unix.O_TMPFILE, 0o600)
}

// linkProcFD names an unnamed file through /proc, which, unlike
// AT_EMPTY_PATH, needs no privilege.
func linkProcFD(proc, name string) error {
	return unix.Linkat(unix.AT_FDCWD, proc, unix.AT_FDCWD, name, unix.AT_SYMLINK_FOLLOW)
}
