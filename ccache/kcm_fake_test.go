package ccache

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// fakeKCM is an in-memory KCM daemon on a temporary unix socket that
// speaks the protocol the way Heimdal's kcm and sssd-kcm do, with a
// chosen set of operations missing, so every read and write path of
// KCMStore can be tested without the real daemons' gaps.
type fakeKCM struct {
	socket string

	mu          sync.Mutex
	caches      map[string]*fakeCache
	def         string // explicit default cache, "" if none
	next        int
	missing     map[kcmOp]bool
	missingCode int32
	calls       map[kcmOp]int
	// lastName is the cache the request being handled names, if any;
	// for MOVE_CACHE the target.
	lastName string
	// hook runs after each request is handled, under mu.
	hook func(op kcmOp)
	// dropOp's dropAt-th request is handled, then the connection is
	// closed without a reply, as by a daemon that crashed.
	dropOp kcmOp
	dropAt int
	// garbage replaces the successful reply to an operation.
	garbage map[kcmOp][]byte
	// sssdInitialize makes INITIALIZE behave as sssd-kcm 2.8's at its
	// worst: the cache becomes the default where there is one, but
	// reinitializing the default cache loses the default, after which
	// the uid's own cache "0" is answered, as after DESTROY of the
	// default.
	sssdInitialize bool
}

type fakeCache struct {
	princ  *Principal // nil: created by MOVE_CACHE's target or not initialized
	creds  []fakeCred
	offset int32
	seq    int // creation order, for the Heimdal default rule
	id     [16]byte
}

type fakeCred struct {
	uuid [16]byte
	cred Credential
}

func shortSocketDir(t testing.TB) string {
	dir, err := os.MkdirTemp("", "kcmfake-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// startFakeKCM serves until the test ends; missing ops answer with code.
func startFakeKCM(t testing.TB, code int32, missing ...kcmOp) *fakeKCM {
	t.Helper()
	f := &fakeKCM{
		socket:      filepath.Join(shortSocketDir(t), "kcm.sock"),
		caches:      map[string]*fakeCache{},
		missing:     map[kcmOp]bool{},
		missingCode: code,
		calls:       map[kcmOp]int{},
	}
	for _, op := range missing {
		f.missing[op] = true
	}
	serveUnix(t, f.socket, f.serve)
	return f
}

// serveUnix runs handle for every connection to a Unix socket at path
// until the test ends, and waits for the handlers then.
func serveUnix(t testing.TB, path string, handle func(net.Conn)) {
	t.Helper()
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				handle(c)
			}()
		}
	}()
}

// heimdalFake is a fake daemon with Heimdal 7.8's gaps.
func heimdalFake(t *testing.T, missing ...kcmOp) *fakeKCM {
	return startFakeKCM(t, kcmCodeFCCInternal, append(missing, kcmOpReplace, kcmOpGetCredList)...)
}

func (f *fakeKCM) store(name string) *KCMStore {
	s := &KCMStore{Name: name, Socket: f.socket}
	hooksOf(s) // so that every write is recorded
	return s
}

// setHook installs fn; hooks run on the server's goroutines under mu, so
// the test must only read what they record after setHook(nil).
func (f *fakeKCM) setHook(fn func(op kcmOp)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hook = fn
}

func (f *fakeKCM) numCaches() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.caches)
}

func (f *fakeKCM) count(op kcmOp) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

func (f *fakeKCM) serve(c net.Conn) {
	for {
		var l [4]byte
		if _, err := io.ReadFull(c, l[:]); err != nil {
			return
		}
		req := make([]byte, binary.BigEndian.Uint32(l[:]))
		if _, err := io.ReadFull(c, req); err != nil || len(req) < 4 || req[0] != 2 || req[1] != 0 {
			return
		}
		op := kcmOp(binary.BigEndian.Uint16(req[2:]))
		f.mu.Lock()
		f.calls[op]++
		f.lastName = ""
		code, out := f.handle(op, req[4:])
		if g, ok := f.garbage[op]; ok {
			code, out = 0, g
		}
		if f.hook != nil {
			f.hook(op)
		}
		drop := op == f.dropOp && f.calls[op] == f.dropAt
		f.mu.Unlock()
		if drop {
			return
		}
		reply := binary.BigEndian.AppendUint32(nil, uint32(4+len(out)))
		reply = binary.BigEndian.AppendUint32(reply, 0)
		reply = binary.BigEndian.AppendUint32(reply, uint32(code))
		if _, err := c.Write(append(reply, out...)); err != nil {
			return
		}
	}
}

// args splits a request body the way the real daemons read it.
type fakeArgs struct{ b []byte }

func (a *fakeArgs) name() string {
	i := bytes.IndexByte(a.b, 0)
	if i < 0 {
		panic("fake KCM: request without a NUL-terminated name")
	}
	s := string(a.b[:i])
	a.b = a.b[i+1:]
	return s
}

func (a *fakeArgs) u32() uint32 {
	v := binary.BigEndian.Uint32(a.b)
	a.b = a.b[4:]
	return v
}

func (a *fakeArgs) principal() Principal {
	p, rest, err := DecodePrincipalPrefix(a.b)
	if err != nil {
		panic(err)
	}
	a.b = rest
	return p
}

func (a *fakeArgs) cred() Credential {
	c, rest, err := DecodeCredentialPrefix(a.b)
	if err != nil {
		panic(err)
	}
	a.b = rest
	return c
}

// matchCred reads a tagged credential (Heimdal's krb5_ret_creds_tag)
// with the fields KCMStore sends: client, server, times, is_skey, flags.
func (a *fakeArgs) matchCred() fakeMatch {
	var m fakeMatch
	hdr := a.u32()
	if hdr&^(kcmTagClient|kcmTagServer) != 0 {
		panic(fmt.Sprintf("fake KCM: tagged credential with header %#x", hdr))
	}
	if hdr&kcmTagClient != 0 {
		p := a.principal()
		m.client = &p
	}
	if hdr&kcmTagServer != 0 {
		p := a.principal()
		m.server = &p
	}
	for i := range m.times {
		m.times[i] = a.u32()
	}
	a.b = a.b[1:] // is_skey
	a.u32()       // flags
	return m
}

type fakeMatch struct {
	client, server *Principal
	times          [4]uint32
}

// heimdalMatch is krb5_compare_creds as far as KCMStore relies on it:
// the principals given, by realm and components, and with
// KRB5_TC_MATCH_TIMES_EXACT the four times.
func heimdalMatch(which uint32, m *fakeMatch, c *Credential) bool {
	if m.server != nil && !m.server.Equal(c.Server) || m.client != nil && !m.client.Equal(c.Client) {
		return false
	}
	if which&kcmMatchTimesExact != 0 {
		w := &writer{}
		for _, t := range []time.Time{c.AuthTime, c.StartTime, c.EndTime, c.RenewTill} {
			w.timestamp(t)
		}
		for i, v := range m.times {
			if binary.BigEndian.Uint32(w.b[4*i:]) != v {
				return false
			}
		}
	}
	return true
}

func newUUID() [16]byte {
	var u [16]byte
	_, _ = rand.Read(u[:])
	return u
}

func (f *fakeKCM) create(name string) *fakeCache {
	f.next++
	c := &fakeCache{seq: f.next, id: newUUID()}
	f.caches[name] = c
	return c
}

// defaultName follows Heimdal: the explicit default, else the most
// recently created cache, else "0".
func (f *fakeKCM) defaultName() string {
	if f.def != "" {
		return f.def
	}
	best, seq := "0", -1
	for n, c := range f.caches {
		if c.seq > seq {
			best, seq = n, c.seq
		}
	}
	return best
}

func (f *fakeKCM) handle(op kcmOp, body []byte) (int32, []byte) {
	if f.missing[op] {
		return f.missingCode, nil
	}
	a := &fakeArgs{b: body}
	switch op {
	case kcmOpGenNew:
		f.next++
		return 0, kcmNameArg(fmt.Sprintf("0:%d", f.next))
	case kcmOpGetDefaultCache:
		return 0, kcmNameArg(f.defaultName())
	case kcmOpGetCacheUUIDs:
		if len(f.caches) == 0 {
			return kcmCodeFCCNoFile, nil
		}
		var out []byte
		for _, c := range f.caches {
			out = append(out, c.id[:]...)
		}
		return 0, out
	case kcmOpGetCacheByUUID:
		for n, c := range f.caches {
			if bytes.Equal(c.id[:], a.b[:16]) {
				return 0, kcmNameArg(n)
			}
		}
		return kcmCodeCCEnd, nil
	case kcmOpSetDefaultCache:
		f.def = a.name()
		return 0, nil
	case kcmOpInitialize:
		name, p := a.name(), a.principal()
		c := f.caches[name]
		existed := c != nil
		if c == nil {
			c = f.create(name)
		}
		c.princ, c.creds = &p, nil
		if f.sssdInitialize {
			switch {
			case existed && f.def == name:
				f.def = "0"
			case f.def != "":
				f.def = name
			}
		}
		return 0, nil
	case kcmOpMoveCache:
		from, to := a.name(), a.name()
		c := f.caches[from]
		if c == nil {
			return kcmCodeFCCNoFile, nil
		}
		f.lastName = to
		delete(f.caches, from)
		if old := f.caches[to]; old != nil {
			c.seq = old.seq
		}
		f.caches[to] = c
		if f.def == from {
			f.def = ""
		}
		return 0, nil
	case kcmOpReplace:
		name := a.name()
		off := int32(a.u32())
		p := a.principal()
		n := a.u32()
		c := f.caches[name]
		if c == nil {
			c = f.create(name)
		}
		c.princ, c.creds, c.offset = &p, nil, off
		for range n {
			l := a.u32()
			cred, err := UnmarshalCredential(a.b[:l])
			if err != nil {
				panic(err)
			}
			a.b = a.b[l:]
			c.creds = append(c.creds, fakeCred{newUUID(), cred})
		}
		return 0, nil
	}
	name := a.name()
	f.lastName = name
	c := f.caches[name]
	if c == nil {
		return kcmCodeFCCNoFile, nil
	}
	switch op {
	case kcmOpDestroy:
		delete(f.caches, name)
		if f.def == name && f.sssdInitialize {
			f.def = "0"
		} else if f.def == name {
			f.def = ""
		}
		return 0, nil
	case kcmOpStore:
		c.creds = append(c.creds, fakeCred{newUUID(), a.cred()})
		return 0, nil
	case kcmOpGetPrincipal:
		if c.princ == nil {
			return kcmCodeCCNotFound, nil
		}
		return 0, MarshalPrincipal(*c.princ)
	case kcmOpGetCredUUIDList:
		var out []byte
		for _, cr := range c.creds {
			out = append(out, cr.uuid[:]...)
		}
		return 0, out
	case kcmOpGetCredByUUID:
		for _, cr := range c.creds {
			if bytes.Equal(cr.uuid[:], a.b[:16]) {
				return 0, MarshalCredential(cr.cred)
			}
		}
		return kcmCodeCCEnd, nil
	case kcmOpGetCredList:
		creds := make([]Credential, len(c.creds))
		for i, cr := range c.creds {
			creds[i] = cr.cred
		}
		return 0, encodeKCMCredList(creds)
	case kcmOpRemoveCred:
		which := a.u32()
		m := a.matchCred()
		code := kcmCodeCCNotFound
		kept := c.creds[:0]
		for _, cr := range c.creds {
			if heimdalMatch(which, &m, &cr.cred) {
				code = 0
				continue
			}
			kept = append(kept, cr)
		}
		c.creds = kept
		return code, nil
	case kcmOpGetKDCOffset:
		return 0, kcmU32(uint32(c.offset))
	case kcmOpSetKDCOffset:
		c.offset = int32(a.u32())
		return 0, nil
	}
	return kcmCodeFCCInternal, nil
}

// encodeKCMCredList is the daemon's side of GET_CRED_LIST.
func encodeKCMCredList(creds []Credential) []byte {
	b := kcmU32(uint32(len(creds)))
	for i := range creds {
		c := MarshalCredential(creds[i])
		b = binary.BigEndian.AppendUint32(b, uint32(len(c)))
		b = append(b, c...)
	}
	return b
}

// kcmSample is sampleCache reduced to what KCM can hold: a KDC offset in
// whole seconds and no other header fields.
func kcmSample() *Cache {
	c := sampleCache()
	c.Header = nil
	c.SetKDCOffset(-2 * time.Second)
	return c
}

// rawKCM answers the first request on each connection with reply, then
// hangs up, or, with hang, waits until the test ends.
func rawKCM(t *testing.T, reply []byte, hang bool) string {
	t.Helper()
	sock := filepath.Join(shortSocketDir(t), "raw.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	t.Cleanup(func() { close(stop); ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				var l [4]byte
				if _, err := io.ReadFull(c, l[:]); err != nil {
					return
				}
				if _, err := io.CopyN(io.Discard, c, int64(binary.BigEndian.Uint32(l[:]))); err != nil {
					return
				}
				_, _ = c.Write(reply)
				if hang {
					<-stop
				}
			}()
		}
	}()
	return sock
}

// frame builds a reply: length, transport status 0, operation status,
// payload.
func frame(status int32, payload []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(4+len(payload)))
	b = binary.BigEndian.AppendUint32(b, 0)
	b = binary.BigEndian.AppendUint32(b, uint32(status))
	return append(b, payload...)
}

var errSentinelForTest = errors.New("fn failed on purpose")
