package ccache

import (
	"sync/atomic"
	"time"
)

// kcmTestHooks are the tests' kcmHooks: what they set steers a store's
// writes, what the store reports is kept for them to check.
type kcmTestHooks struct {
	// timeout replaces kcmIOTimeout where positive.
	timeout time.Duration
	// grace replaces kcmReaderGrace where positive.
	grace time.Duration
	// standInHook runs at each step of a write behind a stand-in with
	// the stand-in's name.
	standInHook func(step kcmStandInStep, tmp string)

	// lastWrite names the strategy the last successful Update used.
	lastWrite atomic.Value
	// adopted counts the stand-ins moved over the real cache because
	// another program wrote to them.
	adopted atomic.Int32
}

// hooksOf returns the hooks of s, giving it some the first time. A test
// must call it before the writes whose record it will read: a store
// without hooks records nothing.
func hooksOf(s *KCMStore) *kcmTestHooks {
	if h, ok := s.hooks.(*kcmTestHooks); ok {
		return h
	}
	h := &kcmTestHooks{}
	s.hooks = h
	return h
}

func (h *kcmTestHooks) ioTimeout() time.Duration   { return h.timeout }
func (h *kcmTestHooks) readerGrace() time.Duration { return h.grace }
func (h *kcmTestHooks) wrote(strategy string)      { h.lastWrite.Store(strategy) }
func (h *kcmTestHooks) adoptedStandIn()            { h.adopted.Add(1) }

func (h *kcmTestHooks) standInStep(step kcmStandInStep, tmp string) {
	if h.standInHook != nil {
		h.standInHook(step, tmp)
	}
}
