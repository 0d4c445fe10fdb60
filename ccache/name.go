package ccache

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/krenew/krenew/internal/osuser"
)

// DefaultName is MIT's built-in default cache name, used when neither the
// command line, KRB5CCNAME nor krb5.conf names one.
const DefaultName = "FILE:/tmp/krb5cc_%{uid}"

// Name is a resolved credential cache name.
type Name struct {
	Type     string // "FILE" or "DIR"
	Residual string // what follows "TYPE:", made absolute: a path, a DIR collection directory, or ":path" for one DIR cache
	Path     string // the cache file to read and write; for a DIR collection, its primary cache
}

// String gives the name the way MIT's klist prints it, which for a DIR
// collection is the primary cache it resolves to ("DIR::/dir/tkt").
func (n Name) String() string {
	switch n.Type {
	case "DIR":
		return "DIR::" + n.Path
	case "FILE":
		return "FILE:" + n.Path
	}
	return n.Type + ":" + n.Residual
}

// ProcessBound reports whether the cache vanishes with the process that
// made it (KEYRING:process: and KEYRING:thread:), so that no detached
// daemon could ever see it.
func (n Name) ProcessBound() bool {
	return n.Type == "KEYRING" && (strings.HasPrefix(n.Residual, "process:") || strings.HasPrefix(n.Residual, "thread:"))
}

// LockKey names the cache for krenew's one-daemon-per-cache lock: the file
// for FILE and DIR caches, so that two spellings of one file share a lock,
// and the full name otherwise. The package function LockKey turns it into
// the canonical key.
func (n Name) LockKey() string {
	if n.Path != "" {
		return n.Path
	}
	return n.String()
}

// LockKey is the canonical spelling of a cache name as the key of krenew's
// one-daemon-per-cache lock, so that the spellings of one cache are equal:
// "FILE:" is the default type, and FILE and DIR paths are made absolute
// with symlinks in the directory part resolved (the file itself may not
// exist yet); other types are kept as they are. It works on the text alone
// and reads nothing but the directories' symlinks; applied to its own
// result it returns that result again. The text before the first colon is
// a type unless it contains a slash; an empty name is an error.
func LockKey(name string) (string, error) {
	if name == "" {
		return "", errors.New("empty credential cache name")
	}
	typ, rest := "FILE", name
	if i := strings.IndexByte(name, ':'); i > 0 && !strings.Contains(name[:i], "/") {
		typ, rest = name[:i], name[i+1:]
	}
	if typ != "FILE" && typ != "DIR" {
		return typ + ":" + rest, nil
	}
	abs, err := filepath.Abs(rest)
	if err != nil {
		return "", fmt.Errorf("cannot make cache path %s absolute: %w", rest, err)
	}
	dir, base := filepath.Split(abs)
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		abs = filepath.Join(real, base)
	}
	return typ + ":" + abs, nil
}

// ErrUnsupportedType matches (errors.Is) the error ParseName returns for
// cache types MIT knows but krenew cannot read or write.
var ErrUnsupportedType = errors.New("unsupported credential cache type")

type unsupportedTypeError struct{ typ string }

func (e *unsupportedTypeError) Error() string {
	return fmt.Sprintf("credential cache type %s is not supported", e.typ)
}

func (e *unsupportedTypeError) Is(target error) bool { return target == ErrUnsupportedType }

// knownUnsupported are the other types MIT (and Heimdal, for API and
// MSLSA) accept, so that they get a "not supported" rather than an
// "unknown type" answer.
var knownUnsupported = map[string]bool{
	"MEMORY": true, "API": true, "MSLSA": true,
}

// ParseName resolves a cache name as MIT's krb5_cc_resolve does: the text
// before the first colon is the type (case-sensitive, as in MIT), a name
// without a colon or with a one-letter prefix is a FILE path, "DIR:dir" is
// the primary cache of a collection and "DIR::path" one cache in it.
//
// Tokens such as %{uid} are not expanded here: MIT expands them only in
// default_ccache_name, never in KRB5CCNAME or kinit -c, and krenew must
// name the same file klist does. Resolve expands where MIT does.
//
// Relative paths are made absolute against the current directory so that
// the name keeps meaning the same file after the daemon changes directory.
//
// A DIR collection's directory and primary file must be the user's: see
// ErrUnsafe.
func ParseName(raw string) (Name, error) { return parseName(raw, ownerPolicy{}) }

func parseName(raw string, p ownerPolicy) (Name, error) {
	typ, residual := "FILE", raw
	// MIT takes a one-letter prefix for a drive letter of a FILE path.
	if i := strings.IndexByte(raw, ':'); i >= 0 && !(i == 1 && isASCIILetter(raw[0])) {
		typ, residual = raw[:i], raw[i+1:]
	}
	switch {
	case typ == "FILE":
		return parseFileName(residual)
	case typ == "DIR":
		return parseDirName(residual, p)
	case typ == "KEYRING":
		return parseKeyringName(residual)
	case typ == "KCM":
		return parseKCMName(residual)
	case knownUnsupported[typ]:
		return Name{Type: typ, Residual: residual}, &unsupportedTypeError{typ: typ}
	case knownUnsupported[strings.ToUpper(typ)] || slices.Contains([]string{"FILE", "DIR", "KEYRING", "KCM"}, strings.ToUpper(typ)):
		return Name{}, fmt.Errorf("unknown credential cache type %q in %q: cache types are upper case, as in %s:%s",
			typ, raw, strings.ToUpper(typ), residual)
	case typ == "":
		return Name{}, fmt.Errorf("cache name %q has an empty type before the colon", raw)
	default:
		return Name{}, fmt.Errorf("unknown credential cache type %q in %q (for a file whose name has a colon, write FILE:%s)",
			typ, raw, raw)
	}
}

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func parseFileName(residual string) (Name, error) {
	if residual == "" {
		return Name{}, errors.New("the FILE cache name has no path")
	}
	p, err := absPath(residual)
	if err != nil {
		return Name{}, err
	}
	return Name{Type: "FILE", Residual: p, Path: p}, nil
}

func parseDirName(residual string, p ownerPolicy) (Name, error) {
	if sub, ok := strings.CutPrefix(residual, ":"); ok {
		return parseDirSubsidiary(sub, p)
	}
	if residual == "" {
		return Name{}, errors.New("the DIR cache name has no directory")
	}
	dir, err := absPath(residual)
	if err != nil {
		return Name{}, err
	}
	if err := checkCollectionDir(dir, p); err != nil {
		return Name{}, err
	}
	primary, err := readPrimary(dir, p)
	if err != nil {
		return Name{}, err
	}
	return Name{Type: "DIR", Residual: dir, Path: filepath.Join(dir, primary)}, nil
}

// parseDirSubsidiary checks what MIT checks for "DIR::path": the file has a
// parent directory and its name starts with "tkt", the prefix MIT uses to
// tell caches from the primary file when it lists a collection.
func parseDirSubsidiary(path string, pol ownerPolicy) (Name, error) {
	dir, file := filepath.Split(path)
	if dir == "" {
		return Name{}, fmt.Errorf("the DIR cache path %q has no parent directory", path)
	}
	if !strings.HasPrefix(file, "tkt") {
		return Name{}, fmt.Errorf("the DIR cache path %q names a file that does not begin with \"tkt\"", path)
	}
	p, err := absPath(path)
	if err != nil {
		return Name{}, err
	}
	if err := checkCollectionDir(filepath.Dir(p), pol); err != nil {
		return Name{}, err
	}
	return Name{Type: "DIR", Residual: ":" + p, Path: p}, nil
}

// checkCollectionDir rejects a collection "directory" that is something
// else, a symbolic link, or not the user's (ErrUnsafe). A missing
// directory is fine: MIT creates it (mode 0700) when the cache is first
// used, and so must the writer, which checks it again then. The owner and
// mode are those of the directory opened, without following a link.
func checkCollectionDir(dir string, p ownerPolicy) error {
	_, err := checkedCollectionDir(dir, p)
	return err
}

// checkedCollectionDir is checkCollectionDir for a writer: it also says
// who must own the files root creates in the directory (newFileOwner).
func checkedCollectionDir(dir string, p ownerPolicy) (*FileOwner, error) {
	f, err := os.OpenFile(dir, os.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, collectionDirError(dir, p, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("cannot use credential cache directory %s: %w", dir, err)
	}
	if err := p.check(st, dir, roleDirectory); err != nil {
		return nil, err
	}
	return newFileOwner(st), nil
}

// collectionDirError words a failed open of the collection directory; the
// lstat only chooses the words, nothing is used through it.
func collectionDirError(dir string, p ownerPolicy, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	fi, lerr := os.Lstat(dir)
	switch {
	case lerr != nil:
	case fi.Mode()&fs.ModeSymlink != 0:
		return symlinkError(dir, roleDirectory)
	case !fi.IsDir():
		return fmt.Errorf("credential cache directory %s exists but is not a directory", dir)
	default:
		if uerr := p.check(fi, dir, roleDirectory); uerr != nil {
			return uerr
		}
	}
	return fmt.Errorf("cannot use credential cache directory: %w", err)
}

// readPrimary returns the file name stored in dir/primary, or "tkt" when
// there is no such file yet (MIT then writes "tkt" there itself). A primary
// file MIT would refuse is an error here too rather than a silent fallback,
// so krenew never renews a different cache than klist shows. Unlike MIT,
// a primary file that is a symbolic link, or not the user's, is refused
// (ErrUnsafe) before a byte of it is read: through a link, the first line
// of any file the user can read would end up in an error message.
func readPrimary(dir string, p ownerPolicy) (string, error) {
	path := filepath.Join(dir, "primary")
	// O_NONBLOCK: a FIFO planted as the primary file must not hang the
	// open; it is then refused as not a regular file.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return "tkt", nil
	}
	if err != nil {
		return "", primaryOpenError(dir, path, p, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("cannot read the primary cache of collection %s: %w", dir, err)
	}
	if !st.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file", path)
	}
	if err := p.check(st, path, rolePrimary); err != nil {
		return "", err
	}
	// MIT reads one line with fgets into 64 bytes and insists on the
	// newline, so a longer line, or one without a newline, is invalid.
	line, err := bufio.NewReader(io.LimitReader(f, 63)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("cannot read the primary cache of collection %s: %w", dir, err)
	}
	if line == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	if !strings.HasSuffix(line, "\n") {
		return "", fmt.Errorf("%s does not hold one line naming the primary cache", path)
	}
	name := strings.TrimSuffix(line, "\n")
	if !strings.HasPrefix(name, "tkt") || strings.ContainsAny(name, `/\`) {
		return "", fmt.Errorf("%s contains an invalid cache file name %q", path, name)
	}
	return name, nil
}

// primaryOpenError words a failed open of the primary file; as for the
// directory, the lstat only chooses the words.
func primaryOpenError(dir, path string, p ownerPolicy, err error) error {
	if fi, lerr := os.Lstat(path); lerr == nil {
		if fi.Mode()&fs.ModeSymlink != 0 {
			return symlinkError(path, rolePrimary)
		}
		if uerr := p.check(fi, path, rolePrimary); uerr != nil {
			return uerr
		}
	}
	return fmt.Errorf("cannot read the primary cache of collection %s: %w", dir, err)
}

func absPath(p string) (string, error) {
	a, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("cannot make cache path %q absolute: %w", p, err)
	}
	return a, nil
}

// Resolve picks the cache the way kinit does: the command line, else
// KRB5CCNAME, else krb5.conf's default_ccache_name (with its tokens
// expanded), else MIT's built-in FILE:/tmp/krb5cc_%{uid}.
//
// A name from flagValue is explicit (OpenOptions.Explicit): for root, a
// DIR collection of another user's is then accepted here, and the caller
// must open it with Explicit set too, or Open refuses it after all.
func Resolve(flagValue, envKRB5CCNAME, confDefault string) (Name, error) {
	return ResolveFor(flagValue, envKRB5CCNAME, confDefault, OpenOptions{Explicit: flagValue != ""})
}

// ResolveFor is Resolve for a caller that says itself whether the name is
// explicit (o.Explicit), such as krenew's detached child, which is always
// given its cache on the command line but must be as strict as its parent
// was.
func ResolveFor(flagValue, envKRB5CCNAME, confDefault string, o OpenOptions) (Name, error) {
	var raw, source string
	switch {
	case flagValue != "":
		raw, source = flagValue, "--cache"
	case envKRB5CCNAME != "":
		raw, source = envKRB5CCNAME, "KRB5CCNAME"
	default:
		raw, source = confDefault, "default_ccache_name in krb5.conf"
		if raw == "" {
			raw, source = DefaultName, "the built-in default"
		}
		expanded, err := ExpandTokens(raw)
		if err != nil {
			return Name{}, fmt.Errorf("cache name %q from %s: %w", raw, source, err)
		}
		raw = expanded
	}
	n, err := parseName(raw, policyFor(o))
	if err != nil {
		return n, fmt.Errorf("cache name %q from %s: %w", raw, source, err)
	}
	return n, nil
}

// ExpandTokens expands MIT's path tokens (krb5.conf "parameter
// expansion") for Unix: %{uid} and %{USERID} are the real user ID, %{euid}
// the effective one, %{username} the effective user's name, %{TEMP} is
// $TMPDIR or /tmp, %{null} is empty. Only "%{...}" is special; a lone '%'
// is literal. The build-time directories %{LIBDIR}, %{BINDIR} and
// %{SBINDIR} mean nothing outside MIT's own installation and are errors,
// as are unknown tokens (MIT also fails on them).
func ExpandTokens(s string) (string, error) {
	var b strings.Builder
	rest := s
	for {
		i := strings.Index(rest, "%{")
		if i < 0 {
			b.WriteString(rest)
			return b.String(), nil
		}
		b.WriteString(rest[:i])
		rest = rest[i+2:]
		j := strings.IndexByte(rest, '}')
		if j < 0 {
			return "", fmt.Errorf("token %q has no closing }", "%{"+rest)
		}
		v, err := expandToken(rest[:j])
		if err != nil {
			return "", err
		}
		b.WriteString(v)
		rest = rest[j+1:]
	}
}

func expandToken(tok string) (string, error) {
	switch tok {
	case "uid", "USERID":
		return strconv.Itoa(os.Getuid()), nil
	case "euid":
		return strconv.Itoa(os.Geteuid()), nil
	case "username":
		name, err := osuser.Name(os.Geteuid())
		if err != nil {
			return "", fmt.Errorf("cannot expand %%{username}: no user name for uid %d: %w", os.Geteuid(), err)
		}
		return name, nil
	case "TEMP":
		if d := os.Getenv("TMPDIR"); d != "" {
			return d, nil
		}
		return "/tmp", nil
	case "null":
		return "", nil
	case "LIBDIR", "BINDIR", "SBINDIR":
		return "", fmt.Errorf("token %%{%s} is not supported in a cache name", tok)
	}
	return "", fmt.Errorf("unknown token %%{%s}", tok)
}
