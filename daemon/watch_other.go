//go:build !linux

package daemon

import "errors"

// FileWatch needs Linux's inotify; elsewhere WatchFile fails and the
// renewal loop polls.
type FileWatch struct{ C <-chan struct{} }

func WatchFile(string) (*FileWatch, error) {
	return nil, errors.New("file watching needs Linux inotify")
}

func (*FileWatch) Stop() {}
