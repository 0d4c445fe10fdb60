package daemon

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// fileEvents are what someone else does to a cache file: kinit and
// kdestroy write it in place or unlink it, another writer renames a new
// file over it (the old inode loses its link). Reads, even klist -s in a
// loop, raise none of them, so an idle daemon is not woken by readers.
const fileEvents = unix.IN_MODIFY | unix.IN_CLOSE_WRITE | unix.IN_ATTRIB |
	unix.IN_DELETE_SELF | unix.IN_MOVE_SELF | unix.IN_DONT_FOLLOW

// dirEvents, watched only while the file is missing, tell when it
// appears again.
const dirEvents = unix.IN_CREATE | unix.IN_MOVED_TO | unix.IN_ONLYDIR

// FileWatch reports changes to one file with inotify, so the renewal loop
// can sleep until its next renewal instead of polling the cache.
type FileWatch struct {
	// C receives a value, coalesced, after each batch of changes.
	C <-chan struct{}

	path string
	fd   int
	f    *os.File
	c    chan struct{}
	once sync.Once
}

// WatchFile starts watching path, which need not exist yet.
func WatchFile(path string) (*FileWatch, error) {
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return nil, err
	}
	c := make(chan struct{}, 1)
	w := &FileWatch{C: c, path: path, fd: fd, f: os.NewFile(uintptr(fd), "inotify"), c: c}
	if err := w.arm(); err != nil {
		w.f.Close()
		return nil, err
	}
	go w.run()
	return w, nil
}

// Stop ends the watch; C then receives nothing more.
func (w *FileWatch) Stop() { w.once.Do(func() { w.f.Close() }) }

// arm watches the inode the path names now, or its directory while the
// path does not exist. Re-adding a watch on the same inode only updates
// it, so arming after every batch is cheap.
func (w *FileWatch) arm() error {
	_, err := unix.InotifyAddWatch(w.fd, w.path, fileEvents)
	if errors.Is(err, unix.ENOENT) {
		_, err = unix.InotifyAddWatch(w.fd, filepath.Dir(w.path), dirEvents)
	}
	return err
}

func (w *FileWatch) run() {
	buf := make([]byte, 16*(unix.SizeofInotifyEvent+unix.NAME_MAX+1))
	for {
		n, err := w.f.Read(buf)
		if err != nil || n <= 0 {
			return // stopped
		}
		if w.relevant(buf[:n]) {
			select {
			case w.c <- struct{}{}:
			default:
			}
		}
		// The inode watched may be gone or may no longer be the one the
		// path names: follow the path.
		_ = w.arm()
	}
}

// relevant drops directory events about other files: while the cache is
// missing, the directory (often /tmp) is watched, and only the cache's
// own name matters there.
func (w *FileWatch) relevant(b []byte) bool {
	base := filepath.Base(w.path)
	for off := 0; off+unix.SizeofInotifyEvent <= len(b); {
		ev := (*unix.InotifyEvent)(unsafe.Pointer(&b[off]))
		nameLen := int(ev.Len)
		end := off + unix.SizeofInotifyEvent + nameLen
		if end > len(b) {
			return true
		}
		name := b[off+unix.SizeofInotifyEvent : end]
		if nameLen == 0 || cString(name) == base {
			return true
		}
		off = end
	}
	return false
}

func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
