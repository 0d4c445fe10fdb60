package krb5conf

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// profNode is a section, subsection or relation of a profile. Sections and
// subsections of the same name in one file are merged, as MIT does, so a
// lookup sees one node per name per file.
type profNode struct {
	name     string
	value    string // relations only
	file     string // relations only: the file the line is in, includes too
	section  bool
	final    bool
	children []*profNode
}

func newProfSection(name string) *profNode { return &profNode{name: name, section: true} }

func (n *profNode) subsection(name string) *profNode {
	for _, c := range n.children {
		if c.section && c.name == name {
			return c
		}
	}
	return nil
}

func (n *profNode) addSubsection(name string) *profNode {
	if s := n.subsection(name); s != nil {
		return s
	}
	s := newProfSection(name)
	n.children = append(n.children, s)
	return s
}

type profileParser struct {
	read     []string
	warnings []string
	stack    []string // files being parsed, to catch include loops
	files    int      // files parsed so far, a file included twice twice
	bytes    int      // their total size
}

func (p *profileParser) warn(format string, args ...any) {
	p.warnings = append(p.warnings, fmt.Sprintf(format, args...))
}

// maxIncludeDepth stops runaway nesting that a loop check by name could
// miss (e.g. through ever-longer paths to the same file).
const maxIncludeDepth = 16

// maxConfFiles and maxConfTotal bound the work of one load. Without them
// includes that fan out without looping (ten files each including the
// same ten, ten levels deep) parse 10^10 files and hang every krenew
// start. A real configuration is krb5.conf and a handful of files in
// krb5.conf.d; MIT sets no limit.
const (
	maxConfFiles = 256
	maxConfTotal = 8 << 20
)

// parseFile parses one file into root. Each file, included or not, starts
// in its own state (nothing counts before the first "[section]" line) but
// shares the root with the file that included it.
func (p *profileParser) parseFile(path string, root *profNode, topLevel bool) error {
	key := path
	if abs, err := filepath.Abs(path); err == nil {
		key = abs
	}
	for _, f := range p.stack {
		if f == key {
			return fmt.Errorf("include loop: %s", strings.Join(append(p.stack, key), " includes "))
		}
	}
	if len(p.stack) >= maxIncludeDepth {
		return fmt.Errorf("includes nested deeper than %d levels at %s", maxIncludeDepth, path)
	}
	if p.files++; p.files > maxConfFiles {
		return fmt.Errorf("the configuration includes more than %d files (%s would be one more)", maxConfFiles, path)
	}
	data, err := readConfFile(path)
	if topLevel && errors.Is(err, fs.ErrPermission) {
		// MIT skips unreadable files silently; say so at least.
		p.warn("skipped %s: %v", path, err)
		return nil
	}
	if err != nil {
		return err
	}
	if p.bytes += len(data); p.bytes > maxConfTotal {
		return fmt.Errorf("the configuration files add up to more than %d MiB (at %s)", maxConfTotal>>20, path)
	}
	p.read = append(p.read, path)
	p.stack = append(p.stack, key)
	defer func() { p.stack = p.stack[:len(p.stack)-1] }()
	return p.parseData(path, data, root, topLevel)
}

func (p *profileParser) parseData(path string, data []byte, root *profNode, topLevel bool) error {
	st := &profParseState{root: root, file: path}
	for i, line := range strings.Split(string(data), "\n") {
		if err := p.parseLine(st, strings.TrimRight(line, "\r"), topLevel); err != nil {
			return fmt.Errorf("%s:%d: %w", path, i+1, err)
		}
	}
	return nil
}

// maxConfSize bounds one configuration file, so that "include /dev/zero"
// fails instead of eating memory; real files are a few kilobytes.
const maxConfSize = 1 << 20

// readConfFile reads path, which need not be a regular file: shells pass
// KRB5_CONFIG=<(...) as a pipe.
func readConfFile(path string) ([]byte, error) {
	// O_NONBLOCK: opening a FIFO named by a hostile include must not hang
	// krenew; a pipe given as KRB5_CONFIG=<(...) has a writer already.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode()&fs.ModeNamedPipe != 0 {
		// A FIFO without a writer reads as empty at once; with a writer,
		// reading it normally is what KRB5_CONFIG=<(...) wants.
		if err := syscall.SetNonblock(int(f.Fd()), false); err != nil {
			return nil, err
		}
	}
	data, err := io.ReadAll(io.LimitReader(f, maxConfSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxConfSize {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, maxConfSize)
	}
	return data, nil
}

type profParseState struct {
	root      *profNode
	file      string      // the file being parsed, for the relations
	started   bool        // a "[section]" line has been seen
	wantBrace bool        // "tag =" ended the previous line; "{" must follow
	path      []*profNode // current section, then open subsections
}

func (p *profileParser) parseLine(st *profParseState, line string, topLevel bool) error {
	// include and includedir must start in the first column and are
	// honoured in any state, as in MIT.
	if rest, ok := profDirective(line, "includedir"); ok {
		return p.includeDir(rest, st.root)
	}
	if rest, ok := profDirective(line, "include"); ok {
		if rest == "" {
			return errors.New("include without a file name")
		}
		return p.parseFile(rest, st.root, false)
	}
	if !st.started {
		if _, ok := profDirective(line, "module"); ok && topLevel {
			return errors.New("profile modules (the module directive) are not supported")
		}
		// Before the first section, MIT ignores every line that does not
		// start with '[' in the first column.
		if !strings.HasPrefix(line, "[") {
			return nil
		}
		st.started = true
	}
	if st.wantBrace {
		if !strings.HasPrefix(strings.TrimLeft(line, " \t\v\f"), "{") {
			return errors.New(`expected "{" after a relation with an empty value`)
		}
		st.wantBrace = false
		return nil
	}
	s := strings.TrimLeft(line, " \t\v\f")
	if s == "" || s[0] == '#' || s[0] == ';' {
		return nil
	}
	switch s[0] {
	case '[':
		if len(st.path) > 1 {
			return errors.New("section header inside a { } group")
		}
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return errors.New(`section header without "]"`)
		}
		sec := st.root.addSubsection(s[1:end])
		rest := s[end+1:]
		if strings.HasPrefix(rest, "*") {
			sec.final = true
			rest = rest[1:]
		}
		if strings.TrimSpace(rest) != "" {
			return fmt.Errorf("unexpected %q after section header", rest)
		}
		st.path = []*profNode{sec}
		return nil
	case '}':
		if len(st.path) <= 1 {
			return errors.New(`"}" without a matching "{"`)
		}
		if strings.HasPrefix(s[1:], "*") {
			st.path[len(st.path)-1].final = true
		}
		st.path = st.path[:len(st.path)-1]
		return nil
	}
	return parseRelation(st, s)
}

// directive reports whether line is "word<blank>rest" starting in the first
// column, and returns rest without surrounding blanks.
func profDirective(line, word string) (string, bool) {
	if len(line) <= len(word) || !strings.HasPrefix(line, word) || !profIsBlank(line[len(word)]) {
		return "", false
	}
	return strings.TrimSpace(line[len(word):]), true
}

func profIsBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r' }

func parseRelation(st *profParseState, s string) error {
	eq := strings.IndexByte(s, '=')
	if eq < 0 {
		return fmt.Errorf("%q is neither a section, a relation nor a comment", s)
	}
	tag := strings.TrimRight(s[:eq], " \t\v\f")
	if tag == "" {
		return errors.New(`relation without a name before "="`)
	}
	if strings.ContainsAny(tag, " \t\v\f") {
		return fmt.Errorf("relation name %q contains blanks", tag)
	}
	// A '*' in the name marks a final subsection; MIT cuts the name there.
	final := false
	if i := strings.IndexByte(tag, '*'); i >= 0 {
		tag, final = tag[:i], true
	}
	value := strings.TrimLeft(s[eq+1:], " \t\v\f")
	cur := st.path[len(st.path)-1]
	subsection := false
	switch {
	case strings.HasPrefix(value, `"`):
		value = profUnquote(value[1:])
	case value == "":
		subsection, st.wantBrace = true, true
	case value[0] == '{' && strings.TrimSpace(value[1:]) == "":
		subsection = true
	default:
		value = strings.TrimRight(value, " \t\v\f")
	}
	if subsection {
		sub := cur.addSubsection(tag)
		sub.final = sub.final || final
		st.path = append(st.path, sub)
		return nil
	}
	cur.children = append(cur.children, &profNode{name: tag, value: value, file: st.file})
	return nil
}

// unquote reads a quoted value up to the closing quote with MIT's escapes
// (\n, \t, \b; any other escaped character stands for itself).
func profUnquote(s string) string {
	var b strings.Builder
	for i := 0; i < len(s) && s[i] != '"'; i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			i++
			switch s[i] {
			case 'n':
				c = '\n'
			case 't':
				c = '\t'
			case 'b':
				c = '\b'
			default:
				c = s[i]
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

// includeDir reads the files of dir whose names MIT accepts (letters,
// digits, '-' and '_' only, or ending in ".conf", which skips editor
// backups and .rpmsave files) in byte order. Subdirectories are skipped.
func (p *profileParser) includeDir(dir string, root *profNode) error {
	entries, err := os.ReadDir(dir) // sorted by name
	if err != nil {
		return fmt.Errorf("included directory: %w", err)
	}
	for _, e := range entries {
		if !includableName(e.Name()) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		st, err := os.Stat(path)
		if err != nil {
			return fmt.Errorf("included file: %w", err)
		}
		if st.IsDir() {
			continue
		}
		if err := p.parseFile(path, root, false); err != nil {
			return err
		}
	}
	return nil
}

func includableName(name string) bool {
	if strings.HasSuffix(name, ".conf") {
		return true
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return name != ""
}

// ---- lookups with MIT's multi-file semantics (prof_tree.c iterator) ----

type profile struct{ files []*profNode }

// roots tolerates a nil profile: a Conf built by hand has no files.
func (t *profile) roots() []*profNode {
	if t == nil {
		return nil
	}
	return t.files
}

// values returns every value of relation name under the section path, file
// by file, stopping after a file in which a section on the path is final.
func (t *profile) values(path []string, name string) []string {
	var out []string
	for _, n := range t.relations(path, name) {
		out = append(out, n.value)
	}
	return out
}

// relations is values with the nodes, which know their file.
func (t *profile) relations(path []string, name string) []*profNode {
	var out []*profNode
	for _, root := range t.roots() {
		sec, final := profWalk(root, path)
		if sec == nil {
			if final {
				break
			}
			continue
		}
		for _, c := range sec.children {
			if !c.section && c.name == name {
				out = append(out, c)
			}
		}
		if final {
			break
		}
	}
	return out
}

// first is the value MIT's profile_get_string returns: the first one.
func (t *profile) first(path []string, name string) string {
	if v := t.values(path, name); len(v) > 0 {
		return v[0]
	}
	return ""
}

// profWalk finds the section at path in one file. final reports whether a
// section on the way was final, even when path does not go all the way:
// a final [realms] hides later files' realms that this file lacks.
func profWalk(root *profNode, path []string) (sec *profNode, final bool) {
	sec = root
	for _, name := range path {
		if sec = sec.subsection(name); sec == nil {
			return nil, final
		}
		final = final || sec.final
	}
	return sec, final
}
