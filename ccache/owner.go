package ccache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"

	"github.com/krenew/krenew/internal/osuser"
)

// Caches live in shared directories (/tmp), where anyone can create the
// name another user's cache will have. A cache planted there by mallory
// holds mallory's ticket, and a victim whose krenew adopted it would run
// every program as mallory: files written to her shares, mail sent as
// her. So a cache file, a collection directory and its primary file are
// used only when the user who runs krenew owns them and nobody else may
// write them. MIT's libkrb5 checks neither; Heimdal refuses cache files
// not owned by the caller, and so does krenew, for DIR collections too.
//
// Each check is made on the open file (fstat), never on a path stat'ed
// before the open: between the two, the name could be made to point at
// something else.

// ErrUnsafe matches (errors.Is) the error for a cache file, collection
// directory or primary file krenew does not trust: another user owns it,
// others than its owner may write to it, or it is a symbolic link where
// krenew follows none. The error is an *UnsafeError.
var ErrUnsafe = errors.New("credential cache is not safe to use")

// UnsafeReason is why an UnsafeError refused a file.
type UnsafeReason int

const (
	// NotOwned: another user owns the file.
	NotOwned UnsafeReason = iota + 1
	// WritableByOthers: its group or everybody may write to it.
	WritableByOthers
	// Symlink: it is a symbolic link, which is never followed in a
	// collection.
	Symlink
)

// UnsafeError is a cache file, collection directory or primary file that
// krenew refuses to use.
type UnsafeError struct {
	Path   string
	Role   string // "credential cache", "credential cache directory" or "primary file"
	Reason UnsafeReason
	Owner  int         // the file's owner (not set for Symlink)
	Mode   fs.FileMode // its permission bits (not set for Symlink)
	// User is who krenew runs as (the effective uid), the owner it
	// expected.
	User int
}

func (e *UnsafeError) Error() string {
	switch e.Reason {
	case NotOwned:
		return fmt.Sprintf("%s %s is owned by %s, not by %s", e.Role, e.Path, UserLabel(e.Owner), UserLabel(e.User))
	case WritableByOthers:
		return fmt.Sprintf("%s %s can be written by other users than its owner (mode %04o)", e.Role, e.Path, e.Mode.Perm())
	}
	return fmt.Sprintf("%s %s is a symbolic link; links are not followed in a credential cache collection", e.Role, e.Path)
}

func (e *UnsafeError) Is(target error) bool { return target == ErrUnsafe }

// UserLabel names a uid for messages: "uid 4242 (mallory)", or "uid 4242"
// when it has no name.
func UserLabel(uid int) string {
	if name, err := osuser.Name(uid); err == nil && name != "" {
		return fmt.Sprintf("uid %d (%s)", uid, name)
	}
	return fmt.Sprintf("uid %d", uid)
}

// Roles of the files checked, as the messages name them.
const (
	roleCache     = "credential cache"
	roleDirectory = "credential cache directory"
	rolePrimary   = "primary file"
)

// ownerPolicy is whose files a cache may be made of.
type ownerPolicy struct {
	// anyOwner lets root use a cache another user owns (it was named
	// explicitly, OpenOptions.Explicit); never anyone else.
	anyOwner bool
}

func policyFor(o OpenOptions) ownerPolicy { return ownerPolicy{anyOwner: o.Explicit} }

// check refuses fi (the fstat of an open file, or of an open directory)
// unless the user owns it and nobody else may write it. Root named a
// cache explicitly may use another user's, but not one that others may
// write: that one anybody could have filled.
func (p ownerPolicy) check(fi fs.FileInfo, path, role string) error {
	return p.checkAs(os.Geteuid(), fi, path, role)
}

// checkAs is check for the given effective uid.
func (p ownerPolicy) checkAs(user int, fi fs.FileInfo, path, role string) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil // not a Unix file system; nothing to go by
	}
	e := &UnsafeError{Path: path, Role: role, Owner: int(st.Uid), Mode: fi.Mode(), User: user}
	if int(st.Uid) != user && !(p.anyOwner && user == 0) {
		e.Reason = NotOwned
		return e
	}
	if fi.Mode().Perm()&0o022 != 0 {
		e.Reason = WritableByOthers
		return e
	}
	return nil
}

// symlinkError is the UnsafeError for a link found where none is
// followed.
func symlinkError(path, role string) error {
	return &UnsafeError{Path: path, Role: role, Reason: Symlink, User: os.Geteuid()}
}
