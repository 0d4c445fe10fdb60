package krb5conf

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/jcmturner/gokrb5/v8/config"
)

// renderForGokrb5 writes the relations gokrb5 understands in a form its
// parser accepts: no includes, no subsections in [libdefaults], one value
// for single-valued settings (MIT's first, where gokrb5 would keep its
// last), values normalised or dropped when gokrb5 would reject them.
func (c *Conf) renderForGokrb5() string {
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
func (c *Conf) gokrb5Libdefaults() [][2]string {
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

func (c *Conf) warnf(format string, args ...any) {
	c.Warnings = append(c.Warnings, fmt.Sprintf(format, args...))
}

func (c *Conf) firstLibdefault(key string) (string, bool) {
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

func (c *Conf) normalizeLibdefault(key, raw string, set bool) (string, bool) {
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
