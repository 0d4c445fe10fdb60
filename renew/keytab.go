package renew

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"syscall"
	"time"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/krenew/krenew/ccache"
)

// Keytab authenticates a principal from a keytab file. The file is read
// again at every acquisition, so that a keytab replaced after a key
// rotation is used without a restart.
type Keytab struct {
	Path string
}

// load reads the keytab; gokrb5's parser is not bounds-checked
// everywhere, so a corrupt file must not take the daemon down.
func (k Keytab) load() (kt *keytab.Keytab, err error) {
	b, err := readKeytab(k.Path)
	if err != nil {
		return nil, &Error{Kind: KindKeytab, Err: err}
	}
	defer func() {
		if r := recover(); r != nil {
			kt, err = nil, &Error{Kind: KindKeytab, Err: fmt.Errorf("keytab %s is corrupt", k.Path)}
		}
	}()
	kt = keytab.New()
	if err := kt.Unmarshal(b); err != nil {
		return nil, &Error{Kind: KindKeytab, Err: fmt.Errorf("keytab %s is corrupt: %v", k.Path, err)}
	}
	return kt, nil
}

// MaxKeytabSize bounds what is read of a keytab. Keytabs are kilobytes
// (a few dozen bytes per key); the bound keeps -f /dev/zero or a huge file
// from eating memory.
const MaxKeytabSize = 1 << 20

// readKeytab reads a keytab file, which must be a regular file: O_NONBLOCK
// keeps the open from hanging on a FIFO (which is then refused), and
// O_NOCTTY keeps a terminal device from becoming krenew's controlling tty.
func readKeytab(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, fmt.Errorf("cannot read keytab %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("cannot read keytab %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("keytab %s is not a regular file (%s)", path, fileKind(fi.Mode()))
	}
	tooBig := fmt.Errorf("keytab %s is larger than %d KiB, too large for a keytab", path, MaxKeytabSize>>10)
	if fi.Size() > MaxKeytabSize {
		return nil, tooBig
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxKeytabSize+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read keytab %s: %w", path, err)
	}
	if len(b) > MaxKeytabSize {
		return nil, tooBig
	}
	return b, nil
}

// fileKind names what a path is instead of a file, for messages.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	}
	return "not a file"
}

// FirstPrincipal is the principal of the keytab's first entry (-U).
func (k Keytab) FirstPrincipal() (ccache.Principal, error) {
	kt, err := k.load()
	if err != nil {
		return ccache.Principal{}, err
	}
	if len(kt.Entries) == 0 {
		return ccache.Principal{}, &Error{Kind: KindKeytab, Err: fmt.Errorf("keytab %s has no entries", k.Path)}
	}
	p := kt.Entries[0].Principal
	return ccache.Principal{NameType: p.NameType, Realm: p.Realm, Components: slices.Clone(p.Components)}, nil
}

type keytabKey struct {
	key  types.EncryptionKey
	kvno int
}

// keys are the principal's keys of its newest kvno, by enctype. Older
// kvnos stay in keytabs after a rotation; only the newest can be right.
func (k Keytab) keys(p ccache.Principal) (map[int32]keytabKey, error) {
	kt, err := k.load()
	if err != nil {
		return nil, err
	}
	newest := -1
	out := map[int32]keytabKey{}
	for _, e := range kt.Entries {
		if e.Principal.Realm != p.Realm || !slices.Equal(e.Principal.Components, p.Components) {
			continue
		}
		if _, err := crypto.GetEtype(e.Key.KeyType); err != nil {
			continue // an enctype gokrb5 cannot use
		}
		kvno := int(e.KVNO)
		switch {
		case kvno > newest:
			newest = kvno
			clear(out)
			fallthrough
		case kvno == newest:
			out[e.Key.KeyType] = keytabKey{key: e.Key, kvno: kvno}
		}
	}
	if len(out) == 0 {
		return nil, &Error{Kind: KindKeytab, Principal: p.String(), Realm: p.Realm,
			Err: fmt.Errorf("keytab %s has no usable key for %s", k.Path, p)}
	}
	return out, nil
}

type keytabSecret struct {
	keys   map[int32]keytabKey
	etypes []int32
}

func (s keytabSecret) offer() []int32 { return s.etypes }

func (s keytabSecret) key(etype int32, _ string, _ []byte) (types.EncryptionKey, int, error) {
	k, ok := s.keys[etype]
	if !ok {
		return types.EncryptionKey{}, 0, fmt.Errorf("the keytab has no key of encryption type %d", etype)
	}
	return types.EncryptionKey{KeyType: k.key.KeyType, KeyValue: slices.Clone(k.key.KeyValue)}, k.kvno, nil
}

func (s keytabSecret) rejected(name, realm string, kvno int, cause error) *Error {
	return &Error{Kind: KindWrongKey, Principal: name, Realm: realm,
		Err: fmt.Errorf("the KDC rejected the keytab key of %s (kvno %d); the keytab is out of date: %v", name, kvno, cause)}
}

// InitialFromKeytab runs the AS exchange with the principal's newest keys
// from the keytab.
func (c *Client) InitialFromKeytab(ctx context.Context, r InitialRequest, kt Keytab) (ccache.Credential, error) {
	keys, err := kt.keys(r.Principal)
	if err != nil {
		return ccache.Credential{}, err
	}
	// The keys alias the parsed keytab; wiping them wipes it.
	defer func() {
		for _, k := range keys {
			clear(k.key.KeyValue)
		}
	}()
	// Offer the keytab's enctypes in krb5.conf's order of preference.
	var etypes []int32
	for _, e := range append(c.requestEtypes(), allEtypes(keys)...) {
		if _, ok := keys[e]; ok && !slices.Contains(etypes, e) {
			etypes = append(etypes, e)
		}
	}
	return c.initial(ctx, r, keytabSecret{keys: keys, etypes: etypes})
}

func allEtypes(keys map[int32]keytabKey) []int32 {
	var out []int32
	for e := range keys {
		out = append(out, e)
	}
	slices.Sort(out)
	slices.Reverse(out)
	return out
}

// keytabBackoffMax is krbticket's retry ceiling for a keytab identity: a
// service with nothing else to do retries a KDC outage every 30 seconds,
// not the 5 minutes a user's renewal waits.
const keytabBackoffMax = 30 * time.Second

// ReacquireFromKeytab makes the engine get a new ticket for r from kt
// whenever renewal cannot go on (renew-till passed, the ticket expired,
// the cache was removed), as k5start does, and retry failures at most
// every 30 seconds unless BackoffMax is set. The keytab is read at each
// acquisition, so a rotated keytab needs no restart. The krenew command
// and Keep both set up keytab re-acquisition here.
func (cfg *Config) ReacquireFromKeytab(client *Client, r InitialRequest, kt Keytab) {
	cfg.Acquire = func(ctx context.Context) (ccache.Credential, error) {
		return client.InitialFromKeytab(ctx, r, kt)
	}
	if cfg.BackoffMax <= 0 {
		cfg.BackoffMax = keytabBackoffMax
	}
}
