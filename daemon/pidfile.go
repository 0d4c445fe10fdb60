package daemon

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// WritePidfile writes pid to path, replacing the file in one rename so that
// a reader never sees it empty or half written. path must be absolute: the
// daemon runs in "/".
func WritePidfile(path string, pid int) error {
	if !filepath.IsAbs(path) {
		return fmt.Errorf("pid file %s: path must be absolute", path)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("cannot write pid file %s: %w", path, err)
	}
	tmpName := tmp.Name()
	err = func() error {
		defer tmp.Close()
		if err := tmp.Chmod(0o644); err != nil {
			return err
		}
		if _, err := tmp.WriteString(strconv.Itoa(pid) + "\n"); err != nil {
			return err
		}
		return tmp.Close()
	}()
	if err == nil {
		err = os.Rename(tmpName, path)
	}
	if err != nil {
		_ = os.Remove(tmpName)
		return fmt.Errorf("cannot write pid file %s: %w", path, err)
	}
	return nil
}

// readPidfile reads what a pid file can hold: a FIFO or a device put in
// its place is not read (the open does not wait for a FIFO's writer), nor
// is more than a line.
func readPidfile(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	return io.ReadAll(io.LimitReader(f, 64))
}

// RemovePidfile removes path if it still holds pid. A file that is gone or
// names another process (a newer krenew took over) is left alone and is
// not an error.
func RemovePidfile(path string, pid int) error {
	b, err := readPidfile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cannot read pid file %s: %w", path, err)
	}
	if strings.TrimSpace(string(b)) != strconv.Itoa(pid) {
		return nil
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("cannot remove pid file %s: %w", path, err)
	}
	return nil
}
