package renew

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jcmturner/gokrb5/v8/config"
)

// Krb5Conf is the Kerberos configuration as MIT's libkrb5 reads it, plus the
// subset gokrb5 can take.
//
// MIT's profile syntax (include/includedir, final markers, per-realm
// subsections in [libdefaults], several files in KRB5_CONFIG) is parsed here
// into a tree first; gokrb5 only ever sees a canonical rendering of the
// relations it understands, because its own parser rejects much of what real
// krb5.conf files contain.
type Krb5Conf struct {
	Files             []string       // files actually read, in order, includes too
	Config            *config.Config // gokrb5's view, from the canonical rendering
	DefaultRealm      string         // [libdefaults] default_realm, "" if unset
	DefaultCCacheName string         // [libdefaults] default_ccache_name, unexpanded, "" if unset
	// Warnings lists settings that were dropped or rewritten so gokrb5
	// could load the rest; worth showing with --verbose.
	Warnings []string

	tree *profile
}

// LoadKrb5Conf reads the files named in KRB5_CONFIG (colon-separated),
// else /etc/krb5.conf. Missing files are skipped, as MIT does; if none
// exists the result is an empty configuration, and asking it for a realm
// gives the error that matters. As in MIT, a KRB5_CONFIG that is set but
// empty names no file at all.
func LoadKrb5Conf() (*Krb5Conf, error) {
	paths := []string{"/etc/krb5.conf"}
	if v, ok := os.LookupEnv("KRB5_CONFIG"); ok {
		paths = filepath.SplitList(v)
	}
	return ParseKrb5Conf(paths)
}

// ParseKrb5Conf reads the given files in order; for a setting made in more
// than one, the first file wins (MIT's rule), and a section or subsection
// marked final ("[realms]*", "X = {" ... "}*") hides later files' copies.
// A directory in the list is read like an includedir.
func ParseKrb5Conf(paths []string) (*Krb5Conf, error) {
	p := &profileParser{}
	tree := &profile{}
	for _, path := range paths {
		if path == "" {
			continue
		}
		st, err := os.Stat(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if errors.Is(err, fs.ErrPermission) {
			p.warn("skipped %s: %v", path, err)
			continue
		}
		if err != nil {
			return nil, err
		}
		root := newProfSection("")
		if st.IsDir() {
			err = p.includeDir(path, root)
		} else {
			err = p.parseFile(path, root, true)
		}
		if err != nil {
			return nil, err
		}
		tree.files = append(tree.files, root)
	}
	c := &Krb5Conf{Files: p.read, Warnings: p.warnings, tree: tree}
	c.DefaultRealm = tree.first([]string{"libdefaults"}, "default_realm")
	c.DefaultCCacheName = tree.first([]string{"libdefaults"}, "default_ccache_name")
	text := c.renderForGokrb5()
	cfg, err := config.NewFromString(text)
	if err != nil {
		// The rendering only holds values gokrb5 was seen to accept, so
		// this is a bug here rather than in the user's files.
		return nil, fmt.Errorf("cannot hand krb5.conf to gokrb5: %w", err)
	}
	c.Config = cfg
	return c, nil
}

// ---- MIT profile parsing (util/profile/prof_parse.c) ----

// profNode is a section, subsection or relation of a profile. Sections and
// subsections of the same name in one file are merged, as MIT does, so a
// lookup sees one node per name per file.
type profNode struct {
	name     string
	value    string // relations only
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
}

func (p *profileParser) warn(format string, args ...any) {
	p.warnings = append(p.warnings, fmt.Sprintf(format, args...))
}

// maxIncludeDepth stops runaway nesting that a loop check by name could
// miss (e.g. through ever-longer paths to the same file).
const maxIncludeDepth = 16

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
	data, err := readConfFile(path)
	if topLevel && errors.Is(err, fs.ErrPermission) {
		// MIT skips unreadable files silently; say so at least.
		p.warn("skipped %s: %v", path, err)
		return nil
	}
	if err != nil {
		return err
	}
	p.read = append(p.read, path)
	p.stack = append(p.stack, key)
	defer func() { p.stack = p.stack[:len(p.stack)-1] }()
	return p.parseData(path, data, root, topLevel)
}

func (p *profileParser) parseData(path string, data []byte, root *profNode, topLevel bool) error {
	st := &profParseState{root: root}
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
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
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
	cur.children = append(cur.children, &profNode{name: tag, value: value})
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

// roots tolerates a nil profile: a Krb5Conf built by hand has no files.
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
				out = append(out, c.value)
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

// subsectionNames lists the subsections under path across files, in order
// of first appearance, with the same final rule as values.
func (t *profile) subsectionNames(path []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, root := range t.roots() {
		sec, final := profWalk(root, path)
		if sec == nil {
			if final {
				break
			}
			continue
		}
		for _, c := range sec.children {
			if c.section && !seen[c.name] {
				seen[c.name] = true
				out = append(out, c.name)
			}
		}
		if final {
			break
		}
	}
	return out
}

// relationNames lists relation names under path across files, in order of
// first appearance.
func (t *profile) relationNames(path []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, root := range t.roots() {
		sec, final := profWalk(root, path)
		if sec == nil {
			if final {
				break
			}
			continue
		}
		for _, c := range sec.children {
			if !c.section && !seen[c.name] {
				seen[c.name] = true
				out = append(out, c.name)
			}
		}
		if final {
			break
		}
	}
	return out
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

// ---- rendering for gokrb5 ----

// renderForGokrb5 writes the relations gokrb5 understands in a form its
// parser accepts: no includes, no subsections in [libdefaults], one value
// for single-valued settings (MIT's first, where gokrb5 would keep its
// last), values normalised or dropped when gokrb5 would reject them.
func (c *Krb5Conf) renderForGokrb5() string {
	var b strings.Builder
	b.WriteString("[libdefaults]\n")
	libdefaults := c.gokrb5Libdefaults()
	for _, kv := range libdefaults {
		fmt.Fprintf(&b, "  %s = %s\n", kv[0], kv[1])
	}
	b.WriteString("[realms]\n")
	for _, realm := range c.tree.subsectionNames([]string{"realms"}) {
		if !gokrb5Safe(realm) {
			c.Warnings = append(c.Warnings, fmt.Sprintf("realm %q: name not representable for gokrb5, skipped", realm))
			continue
		}
		fmt.Fprintf(&b, "  %s = {\n", realm)
		path := []string{"realms", realm}
		if kdcs, err := c.configuredKDCs(realm); err == nil {
			for _, k := range kdcs {
				fmt.Fprintf(&b, "    kdc = %s\n", k)
			}
		}
		for _, key := range []string{"admin_server", "kpasswd_server", "master_kdc"} {
			for _, v := range c.tree.values(path, key) {
				if v != "" && gokrb5Safe(v) {
					fmt.Fprintf(&b, "    %s = %s\n", key, v)
				}
			}
		}
		if v := c.tree.first(path, "default_domain"); v != "" && gokrb5Safe(v) {
			fmt.Fprintf(&b, "    default_domain = %s\n", v)
		}
		b.WriteString("  }\n")
	}
	b.WriteString("[domain_realm]\n")
	for _, domain := range c.tree.relationNames([]string{"domain_realm"}) {
		realm := c.tree.first([]string{"domain_realm"}, domain)
		if domain != "" && realm != "" && gokrb5Safe(domain) && gokrb5Safe(realm) {
			fmt.Fprintf(&b, "  %s = %s\n", domain, realm)
		}
	}
	return b.String()
}

// gokrb5Safe rejects text gokrb5's line parser would misread: it cuts
// lines at '#' and ';', splits at '=', counts braces, and ignores a realm
// whose lines mention "v4_".
func gokrb5Safe(s string) bool {
	return !strings.ContainsAny(s, "#;={}\n\r\"") && !strings.Contains(s, "v4_") &&
		strings.TrimSpace(s) == s
}

// gokrb5LibdefaultsKeys are the [libdefaults] relations gokrb5 reads.
var gokrb5LibdefaultsKeys = []string{
	"allow_weak_crypto", "canonicalize", "ccache_type", "clockskew",
	"default_client_keytab_name", "default_keytab_name", "default_realm",
	"default_tgs_enctypes", "default_tkt_enctypes", "dns_canonicalize_hostname",
	"dns_lookup_kdc", "dns_lookup_realm", "extra_addresses", "forwardable",
	"ignore_acceptor_hostname", "k5login_authoritative", "k5login_directory",
	"kdc_default_options", "kdc_timesync", "noaddresses", "permitted_enctypes",
	"preferred_preauth_types", "proxiable", "rdns", "realm_try_domains",
	"renew_lifetime", "safe_checksum_type", "ticket_lifetime",
	"udp_preference_limit", "verify_ap_req_nofail",
}

var gokrb5BoolKeys = map[string]bool{
	"allow_weak_crypto": true, "canonicalize": true, "dns_canonicalize_hostname": true,
	"dns_lookup_kdc": true, "dns_lookup_realm": true, "forwardable": true,
	"ignore_acceptor_hostname": true, "k5login_authoritative": true, "noaddresses": true,
	"proxiable": true, "rdns": true, "verify_ap_req_nofail": true,
}

var enctypeListKeys = map[string]bool{
	"default_tgs_enctypes": true, "default_tkt_enctypes": true, "permitted_enctypes": true,
}

// gokrb5Libdefaults returns key/value pairs for [libdefaults], each one
// checked against gokrb5's parser on its own so that one odd value costs
// only that setting.
func (c *Krb5Conf) gokrb5Libdefaults() [][2]string {
	lib := []string{"libdefaults"}
	allowWeak := "false"
	if v, ok := mitBoolean(c.tree.first(lib, "allow_weak_crypto")); ok && v {
		allowWeak = "true"
	}
	var out [][2]string
	for _, key := range gokrb5LibdefaultsKeys {
		raw, set := c.firstLibdefault(key)
		if !set && !enctypeListKeys[key] {
			continue
		}
		v, ok := c.normalizeLibdefault(key, raw, set)
		if !ok {
			continue
		}
		if !gokrb5Safe(v) {
			c.warnf("libdefaults %s = %q: not representable for gokrb5, ignored", key, raw)
			continue
		}
		trial := fmt.Sprintf("[libdefaults]\n allow_weak_crypto = %s\n %s = %s\n", allowWeak, key, v)
		cfg, err := config.NewFromString(trial)
		if err != nil {
			c.warnf("libdefaults %s = %q: %v; using the default", key, raw, err)
			continue
		}
		if enctypeListKeys[key] && len(enctypeIDs(cfg, key)) == 0 {
			c.warnf("libdefaults %s = %q names no enctype krenew supports; using the default", key, raw)
			v, _ = c.normalizeLibdefault(key, "", false)
		}
		out = append(out, [2]string{key, v})
	}
	return out
}

func (c *Krb5Conf) warnf(format string, args ...any) {
	c.Warnings = append(c.Warnings, fmt.Sprintf(format, args...))
}

func (c *Krb5Conf) firstLibdefault(key string) (string, bool) {
	v := c.tree.values([]string{"libdefaults"}, key)
	if len(v) == 0 {
		return "", false
	}
	return v[0], true
}

func enctypeIDs(cfg *config.Config, key string) []int32 {
	switch key {
	case "default_tgs_enctypes":
		return cfg.LibDefaults.DefaultTGSEnctypeIDs
	case "default_tkt_enctypes":
		return cfg.LibDefaults.DefaultTktEnctypeIDs
	}
	return cfg.LibDefaults.PermittedEnctypeIDs
}

func (c *Krb5Conf) normalizeLibdefault(key, raw string, set bool) (string, bool) {
	switch {
	case enctypeListKeys[key]:
		if !set {
			// gokrb5's own default lacks the SHA-2 enctypes MIT offers.
			raw = "DEFAULT"
		}
		return strings.Join(parseEnctypeList(raw), " "), true
	case key == "dns_canonicalize_hostname" && strings.EqualFold(strings.TrimSpace(raw), "fallback"):
		// MIT 1.18's "fallback" has no gokrb5 equivalent; gokrb5 does
		// not use this setting anyway.
		return "true", true
	case gokrb5BoolKeys[key]:
		v, ok := mitBoolean(raw)
		if !ok {
			c.warnf("libdefaults %s = %q: not a boolean; using the default", key, raw)
			return "", false
		}
		return strconv.FormatBool(v), true
	case key == "udp_preference_limit":
		// MIT caps the limit rather than rejecting larger values.
		if n, err := strconv.Atoi(strings.TrimSpace(raw)); err == nil && n > maxUDPPreferenceLimit {
			return strconv.Itoa(maxUDPPreferenceLimit), true
		}
	case key == "preferred_preauth_types":
		return strings.Join(strings.FieldsFunc(raw, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }), ","), true
	}
	return strings.TrimSpace(raw), true
}

// maxUDPPreferenceLimit is MIT's HARD_UDP_LIMIT.
const maxUDPPreferenceLimit = 32700

// mitBoolean parses a boolean the way MIT's profile library does.
func mitBoolean(s string) (value, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "y", "yes", "true", "t", "1", "on":
		return true, true
	case "n", "no", "false", "nil", "0", "off":
		return false, true
	}
	return false, false
}

// mitDefaultEnctypes is MIT's DEFAULT enctype list (init_ctx.c) less the
// single-DES types, which gokrb5 cannot use.
var mitDefaultEnctypes = []int32{18, 17, 20, 19, 16, 23, 25, 26}

// enctypeFamilies are the family names MIT's enctype lists accept.
var enctypeFamilies = map[string][]int32{
	"des":      {3, 2, 1},
	"des3":     {16},
	"rc4":      {23},
	"aes":      {18, 17, 20, 19},
	"aes-sha1": {18, 17},
	"aes-sha2": {20, 19},
	"camellia": {26, 25},
}

// enctypeByName maps MIT's enctype names and aliases (case-insensitive).
var enctypeByName = map[string]int32{
	"des-cbc-crc": 1, "des-cbc-md4": 2, "des-cbc-md5": 3, "des-cbc-raw": 4,
	"des3-cbc-raw": 6, "des-hmac-sha1": 8,
	"des3-cbc-sha1": 16, "des3-hmac-sha1": 16, "des3-cbc-sha1-kd": 16,
	"aes128-cts-hmac-sha1-96": 17, "aes128-cts": 17, "aes128-sha1": 17,
	"aes256-cts-hmac-sha1-96": 18, "aes256-cts": 18, "aes256-sha1": 18,
	"aes128-cts-hmac-sha256-128": 19, "aes128-sha2": 19,
	"aes256-cts-hmac-sha384-192": 20, "aes256-sha2": 20,
	"arcfour-hmac": 23, "rc4-hmac": 23, "arcfour-hmac-md5": 23,
	"arcfour-hmac-exp": 24, "rc4-hmac-exp": 24, "arcfour-hmac-md5-exp": 24,
	"camellia128-cts-cmac": 25, "camellia128-cts": 25,
	"camellia256-cts-cmac": 26, "camellia256-cts": 26,
}

// gokrb5EnctypeName is the name gokrb5 maps to each enctype number; MIT's
// "des3-cbc-sha1" is gokrb5's "des3-cbc-sha1-kd".
var gokrb5EnctypeName = map[int32]string{
	1: "des-cbc-crc", 2: "des-cbc-md4", 3: "des-cbc-md5", 4: "des-cbc-raw",
	6: "des3-cbc-raw", 8: "des-hmac-sha1", 16: "des3-cbc-sha1-kd",
	17: "aes128-cts-hmac-sha1-96", 18: "aes256-cts-hmac-sha1-96",
	19: "aes128-cts-hmac-sha256-128", 20: "aes256-cts-hmac-sha384-192",
	23: "arcfour-hmac-md5", 24: "arcfour-hmac-md5-exp",
	25: "camellia128-cts-cmac", 26: "camellia256-cts-cmac",
}

// parseEnctypeList follows MIT's krb5int_parse_enctype_list: words split
// at blanks and commas, "+x"/"x" adds, "-x" removes, DEFAULT and family
// names expand, unknown names are ignored. The result uses gokrb5's names.
func parseEnctypeList(s string) []string {
	var list []int32
	add := func(ids []int32, include bool) {
		for _, id := range ids {
			i := enctypeIndex(list, id)
			switch {
			case include && i < 0:
				list = append(list, id)
			case !include && i >= 0:
				list = append(list[:i], list[i+1:]...)
			}
		}
	}
	for _, word := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\r' || r == '\n' }) {
		include := true
		if word[0] == '+' || word[0] == '-' {
			include = word[0] == '+'
			word = word[1:]
		}
		lw := strings.ToLower(word)
		switch {
		case lw == "default":
			add(mitDefaultEnctypes, include)
		case enctypeFamilies[lw] != nil:
			add(enctypeFamilies[lw], include)
		case enctypeByName[lw] != 0:
			add([]int32{enctypeByName[lw]}, include)
		}
	}
	names := make([]string, 0, len(list))
	for _, id := range list {
		names = append(names, gokrb5EnctypeName[id])
	}
	return names
}

func enctypeIndex(list []int32, id int32) int {
	for i, v := range list {
		if v == id {
			return i
		}
	}
	return -1
}

// ---- per-realm settings ----

// Libdefault returns a [libdefaults] setting as MIT's krb5_libdefault_*
// lookups see it for one realm: a "REALM = { ... }" subsection of
// [libdefaults] first, then the top level. MIT reads forwardable,
// proxiable, noaddresses, canonicalize, ticket_lifetime and renew_lifetime
// this way when getting initial tickets; Config only has the top level.
func (c *Krb5Conf) Libdefault(realm, key string) (string, bool) {
	if v := c.tree.values([]string{"libdefaults", realm}, key); len(v) > 0 {
		return v[0], true
	}
	if v := c.tree.values([]string{"libdefaults"}, key); len(v) > 0 {
		return v[0], true
	}
	return "", false
}

// LibdefaultBool is Libdefault read as MIT's krb5_libdefault_boolean does:
// only y, yes, true, t, 1 and on are true; any other value set is false.
func (c *Krb5Conf) LibdefaultBool(realm, key string) (value, set bool) {
	v, set := c.Libdefault(realm, key)
	if !set {
		return false, false
	}
	b, _ := mitBoolean(v)
	return b, true
}

// ---- KDC addresses ----

// KDCs returns "host:port" for each KDC of realm, in krb5.conf order, or,
// when the realm lists none and dns_lookup_kdc allows it (MIT's default),
// from DNS SRV records. Entries krenew cannot use (MS-KKDCP https:// URLs)
// are left out; malformed entries are an error, as they are for MIT.
func (c *Krb5Conf) KDCs(realm string) ([]string, error) {
	kdcs, err := c.configuredKDCs(realm)
	if err != nil {
		return nil, err
	}
	if len(kdcs) > 0 {
		return kdcs, nil
	}
	raw := c.tree.values([]string{"realms", realm}, "kdc")
	if len(raw) > 0 {
		return nil, fmt.Errorf("realm %q only has HTTPS (MS-KKDCP) kdc entries in %s, which krenew cannot use", realm, c.filesText())
	}
	if c.dnsLookupKDC() {
		kdcs, err := lookupKDCsInDNS(realm)
		if err == nil && len(kdcs) > 0 {
			return kdcs, nil
		}
		reason := "no SRV records"
		if err != nil {
			reason = err.Error()
		}
		return nil, fmt.Errorf("realm %q has no kdc in %s, and DNS gave none (%s)", realm, c.filesText(), reason)
	}
	return nil, fmt.Errorf("realm %q has no kdc in %s", realm, c.filesText())
}

func (c *Krb5Conf) filesText() string {
	if len(c.Files) == 0 {
		return "krb5.conf (no configuration file found; set KRB5_CONFIG or create /etc/krb5.conf)"
	}
	return strings.Join(c.Files, ", ")
}

// configuredKDCs parses the realm's kdc entries, skipping https:// ones.
func (c *Krb5Conf) configuredKDCs(realm string) ([]string, error) {
	var out []string
	for _, v := range c.tree.values([]string{"realms", realm}, "kdc") {
		if strings.HasPrefix(strings.ToLower(v), "https://") {
			continue
		}
		hp, err := parseKDCAddress(v)
		if err != nil {
			return nil, fmt.Errorf("realm %q: invalid kdc %q in %s: %w", realm, v, c.filesText(), err)
		}
		out = append(out, hp)
	}
	return out, nil
}

// parseKDCAddress follows MIT's k5_parse_host_string: "host", "host:port",
// "[v6addr]" or "[v6addr]:port"; an unbracketed address with several
// colons is refused.
func parseKDCAddress(s string) (string, error) {
	host, port, hasPort := s, "", false
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", errors.New(`missing "]"`)
		}
		host = s[1:end]
		rest := s[end+1:]
		if rest != "" {
			p, ok := strings.CutPrefix(rest, ":")
			if !ok {
				return "", fmt.Errorf("unexpected %q after the address", rest)
			}
			port, hasPort = p, true
		}
	} else if i := strings.IndexByte(s, ':'); i >= 0 {
		if strings.IndexByte(s[i+1:], ':') >= 0 {
			return "", errors.New("an IPv6 address must be enclosed in brackets, e.g. [::1]:88")
		}
		host, port, hasPort = s[:i], s[i+1:], true
	}
	if host == "" || strings.ContainsAny(host, " \t/") {
		return "", errors.New("no valid host name")
	}
	if !hasPort {
		port = "88"
	} else if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("port %q is not a number from 1 to 65535", port)
	}
	return net.JoinHostPort(host, port), nil
}

func (c *Krb5Conf) dnsLookupKDC() bool {
	lib := []string{"libdefaults"}
	for _, key := range []string{"dns_lookup_kdc", "dns_fallback"} {
		if v, ok := mitBoolean(c.tree.first(lib, key)); ok {
			return v
		}
	}
	return true
}

// lookupSRV is net.DefaultResolver.LookupSRV; tests replace it.
var lookupSRV = net.DefaultResolver.LookupSRV

// lookupKDCsInDNS asks for _kerberos._udp and _kerberos._tcp records, as
// MIT does, and merges them in priority order without duplicates. The
// realm is made absolute so no search domain is appended.
func lookupKDCsInDNS(realm string) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	name := strings.TrimSuffix(realm, ".") + "."
	type rec struct {
		addr     string
		priority uint16
	}
	var recs []rec
	seen := map[string]bool{}
	var firstErr error
	for _, proto := range []string{"udp", "tcp"} {
		_, srvs, err := lookupSRV(ctx, "kerberos", proto, name)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		for _, s := range srvs {
			target := strings.TrimSuffix(s.Target, ".")
			if target == "" { // "." means the service is not offered
				continue
			}
			addr := net.JoinHostPort(target, strconv.Itoa(int(s.Port)))
			if !seen[addr] {
				seen[addr] = true
				recs = append(recs, rec{addr, s.Priority})
			}
		}
	}
	if len(recs) == 0 {
		return nil, firstErr
	}
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].priority < recs[j].priority })
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.addr
	}
	return out, nil
}
