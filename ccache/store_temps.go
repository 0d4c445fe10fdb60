package ccache

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// A writer killed between naming its temporary file and renaming it
// strands the temp. Nothing else would ever remove it, and each one holds a
// copy of the user's tickets, so every krenew sweeps the dead writers'
// temps of its cache when it starts (Tidy). Not on every write: that
// would read the whole directory, often /tmp, at each renewal.

// unlockedTempGrace covers the one moment a live writer's temp is neither
// locked nor 0600: between its creation (mode 0) and its flock. A mode-0
// temp younger than this may belong to a writer that is about to lock it.
const unlockedTempGrace = time.Minute

// Tidy removes what crashed krenew writers left next to the cache, for
// stores that can leave anything behind; it is best effort and silent.
func Tidy(s Store) {
	if t, ok := s.(staleTempRemover); ok {
		t.removeStaleTemps()
	}
}

func (s FileStore) removeStaleTemps() {
	dir, prefix := filepath.Dir(s.Path), "."+filepath.Base(s.Path)+".krenew-"
	d, err := openDirectory(dir)
	if err != nil {
		return
	}
	names, _ := d.Readdirnames(-1)
	d.Close()
	for _, n := range names {
		if suffix, ok := strings.CutPrefix(n, prefix); ok && isTempSuffix(suffix) {
			removeIfStale(filepath.Join(dir, n))
		}
	}
}

func isTempSuffix(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// openDirectory opens a directory the cache's path names: O_DIRECTORY refuses
// anything else before the open can wait (on a FIFO put there instead).
func openDirectory(dir string) (*os.File, error) {
	return os.OpenFile(dir, os.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NONBLOCK, 0)
}

// removeIfStale deletes a temp whose writer is gone: nobody holds its
// flock. The name is checked to still be the inode that was looked at, so a
// writer that reused the name meanwhile is never hit.
func removeIfStale(path string) {
	fi, err := os.Lstat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return
	}
	if fi.Mode().Perm() == 0 {
		// A writer locks its temp and makes it 0600 right after creating
		// it mode 0, so one still mode 0 after the grace has no writer.
		// Its lock need not be tested, and could not be but by root: a
		// mode-0 file opens for nobody else (issue 18).
		if time.Since(fi.ModTime()) >= unlockedTempGrace {
			removeIfSame(path, fi)
		}
		return
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return
	}
	defer f.Close()
	opened, err := f.Stat()
	if err != nil || !os.SameFile(fi, opened) {
		return
	}
	if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		return // a live writer
	}
	removeIfSame(path, opened)
}

func removeIfSame(path string, fi os.FileInfo) {
	if now, err := os.Lstat(path); err == nil && os.SameFile(fi, now) {
		_ = os.Remove(path)
	}
}
