package ccache

import (
	"runtime"
	"sync"
)

// keyThread runs keyctl calls on one OS thread for the life of the
// process.
//
// The kernel keeps a thread's thread, process and session keyrings in that
// thread's credentials. A process keyring created by one Go thread is not
// installed in threads that already exist, and the thread keyring is per
// thread by definition, so keyctl calls made from whichever thread a
// goroutine happens to run on would see different "process:" and
// "thread:" anchors, and would also scatter the links MIT makes in the
// process keyring to keep possession of user and persistent collections.
// Pinning the calls to one thread makes those anchors what MIT's are in a
// single-threaded program: one per process.
type keyThread struct {
	work chan func()
}

func newKeyThread() *keyThread {
	t := &keyThread{work: make(chan func())}
	go func() {
		// Never unlocked: the goroutine must keep this thread, and
		// with it the thread's keyrings, until the process exits.
		runtime.LockOSThread()
		for f := range t.work {
			f()
		}
	}()
	return t
}

// do runs f on the thread and returns its error.
func (t *keyThread) do(f func() error) error {
	done := make(chan error, 1)
	t.work <- func() { done <- f() }
	return <-done
}

var (
	// keyWriter does every write, and every read of process: and thread:
	// caches, whose anchors only it sees.
	keyWriter = sync.OnceValue(newKeyThread)
	// keyReader reads session, user and persistent caches, so Load does
	// not wait behind a writer and readers run concurrently with writes
	// as they do in other processes.
	keyReader = sync.OnceValue(newKeyThread)
	// keyWriters serializes Update and Remove within the process.
	keyWriters sync.Mutex
)

// threadFor picks the thread that may read the cache named k.
func threadFor(k keyringName, write bool) *keyThread {
	if write || k.anchor == anchorProcess || k.anchor == anchorThread {
		return keyWriter()
	}
	return keyReader()
}
