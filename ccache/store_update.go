package ccache

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Update runs a read-modify-write of the cache under an exclusive lock.
//
// fn gets the current cache, or nil if the file does not exist, and
// returns the cache to write; returning (nil, nil) leaves the file alone.
// If fn fails, or anything else does before the final rename, the file on
// disk is unchanged byte for byte and fn's error is returned as is.
//
// fn may be called more than once: when the file does not exist there is
// nothing to lock, so the new file is created only if nobody else created
// one meanwhile; otherwise Update starts over and calls fn with what the
// other writer stored.
func (s FileStore) Update(fn func(old *Cache) (*Cache, error)) error {
	for range maxAttempts {
		f, fi, err := s.lockedOpen(true)
		if errors.Is(err, ErrNotFound) {
			err = s.create(fn)
			if errors.Is(err, fs.ErrExist) {
				continue
			}
			return err
		}
		if err != nil {
			return err
		}
		err = s.replaceLocked(f, fi, fn)
		f.Close()
		return err
	}
	return &fs.PathError{Op: "create", Path: s.Path, Err: fmt.Errorf("cache was created and removed %d times while updating", maxAttempts)}
}

// replaceLocked does the read-modify-write while the caller holds the
// exclusive lock on the file the path names. The rename happens before the
// lock is released, so the next writer to get a lock on the old inode sees
// the inode change and starts over on the new one.
func (s FileStore) replaceLocked(f *os.File, fi fs.FileInfo, fn func(*Cache) (*Cache, error)) error {
	old, err := s.readParse(f)
	if err != nil {
		return err
	}
	c, err := fn(old)
	if err != nil || c == nil {
		return err
	}
	tmp, held, err := s.writeTemp(c.Marshal(), fi)
	if err != nil {
		return err
	}
	defer held.Close()
	if err := os.Rename(tmp, s.Path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// create writes a cache where none exists. It fails with an error matching
// fs.ErrExist if the path was created meanwhile; nothing is overwritten.
func (s FileStore) create(fn func(*Cache) (*Cache, error)) error {
	c, err := fn(nil)
	if err != nil || c == nil {
		return err
	}
	tmp, held, err := s.writeTemp(c.Marshal(), nil)
	if err != nil {
		return err
	}
	defer held.Close()
	if err := renameNoReplace(tmp, s.Path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// writeTemp writes data to a new file next to the cache, so the final
// rename stays within one filesystem, and syncs it. O_EXCL|O_NOFOLLOW
// make a file or symlink planted at the name an error, never a target.
// The file is 0600 whatever the umask, and when running as root it gets
// the owner of the cache it replaces, so "sudo krenew -k FILE:~user/cc"
// does not leave the user with a root-owned cache.
//
// The temp is returned still open and flock()ed: the lock tells
// removeStaleTemps in other processes that its writer is alive, and it
// must be held until the rename. Where the filesystem allows, the file is
// written unnamed (O_TMPFILE) and only linked to its name once locked and
// complete, so a writer killed at any moment leaves either nothing or an
// unlocked, sweepable temp.
func (s FileStore) writeTemp(data []byte, old fs.FileInfo) (string, *os.File, error) {
	f, err := openUnnamed(filepath.Dir(s.Path))
	if err != nil {
		return s.writeNamedTemp(data, old)
	}
	if err := s.fillTemp(f, data, old); err != nil {
		f.Close()
		return "", nil, err
	}
	proc := fmt.Sprintf("/proc/self/fd/%d", f.Fd())
	for range 10 {
		name := s.tempName()
		err = linkProcFD(proc, name)
		if err == nil {
			return name, f, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			break
		}
	}
	f.Close()
	if errors.Is(err, fs.ErrExist) {
		return "", nil, &fs.PathError{Op: "link", Path: s.tempName(), Err: err}
	}
	// No /proc, or a filesystem that cannot link an unnamed file.
	return s.writeNamedTemp(data, old)
}

// writeNamedTemp is writeTemp without O_TMPFILE. The temp is created with
// mode 0 and made 0600 only once locked, so an unlocked 0600 temp is
// always a dead writer's; a mode-0 one is left alone for a grace period.
func (s FileStore) writeNamedTemp(data []byte, old fs.FileInfo) (string, *os.File, error) {
	var f *os.File
	var name string
	var err error
	for range 10 {
		name = s.tempName()
		f, err = os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0)
		if !errors.Is(err, fs.ErrExist) {
			break
		}
	}
	if err != nil {
		return "", nil, err
	}
	if err := s.fillTemp(f, data, old); err != nil {
		f.Close()
		os.Remove(name)
		return "", nil, err
	}
	return name, f, nil
}

func (s FileStore) fillTemp(f *os.File, data []byte, old fs.FileInfo) error {
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	if err := f.Chmod(0o600); err != nil {
		return err
	}
	if os.Geteuid() == 0 {
		owner := s.NewOwner
		if st, ok := statOwner(old); ok {
			owner = &FileOwner{int(st.Uid), int(st.Gid)}
		}
		if owner != nil {
			if err := f.Chown(owner.UID, owner.GID); err != nil {
				return err
			}
		}
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	return f.Sync()
}

// tempName is .<base>.krenew-<random>: hidden, recognisable as krenew's
// leftover should a crash strand one, and unguessable, so nobody can
// pre-plant it.
func (s FileStore) tempName() string {
	return filepath.Join(filepath.Dir(s.Path), "."+filepath.Base(s.Path)+".krenew-"+tempSuffix())
}

// tempSuffix is a variable so tests can make the name predictable and
// plant things at it.
var tempSuffix = func() string {
	var r [6]byte
	_, _ = rand.Read(r[:]) // crypto/rand.Read does not fail on Linux
	return hex.EncodeToString(r[:])
}

func statOwner(fi fs.FileInfo) (*syscall.Stat_t, bool) {
	if fi == nil {
		return nil, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return st, ok
}

// linkNoReplace is the create-exclusive rename for filesystems without
// RENAME_NOREPLACE: link fails if the target exists. Once linked, the
// cache is in place; failing to drop the temp name only leaves a stray
// file, not a failed update.
func linkNoReplace(from, to string) error {
	if err := os.Link(from, to); err != nil {
		return err
	}
	_ = os.Remove(from)
	return nil
}

// syncDir makes a rename or unlink durable. Some filesystems cannot fsync
// a directory; that is not worth failing an update that already happened.
func syncDir(dir string) error {
	d, err := openDirectory(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOTSUP) {
		return fmt.Errorf("cache written, but syncing %s failed: %w", dir, err)
	}
	return nil
}
