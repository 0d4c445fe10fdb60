package krb5conf

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
)

// libdefaults holds the [libdefaults] values the KDC exchanges use, read
// once in Parse so that a bad value is reported once, in Warnings.
type libdefaults struct {
	udpPreferenceLimit int
	clockSkew          time.Duration
	tktEnctypes        []int32
	tgsEnctypes        []int32
	permittedEnctypes  []int32
}

// MIT's defaults (init_ctx.c, sendto_kdc.c).
const (
	defaultUDPPreferenceLimit = 1465
	defaultClockSkew          = 300 * time.Second
	// maxUDPPreferenceLimit is MIT's HARD_UDP_LIMIT.
	maxUDPPreferenceLimit = 32700
)

func mitLibdefaults() *libdefaults {
	def := supportedEnctypes(mitDefaultEnctypes)
	return &libdefaults{
		udpPreferenceLimit: defaultUDPPreferenceLimit,
		clockSkew:          defaultClockSkew,
		tktEnctypes:        def,
		tgsEnctypes:        def,
		permittedEnctypes:  def,
	}
}

// readLibdefaults takes the top level of [libdefaults] only, as MIT does
// for these relations, and the first value of each.
func (c *Conf) readLibdefaults() {
	l := mitLibdefaults()
	if raw, ok := c.firstLibdefault("clockskew"); ok {
		if d, err := parseDuration(raw); err != nil {
			c.warnf("libdefaults clockskew = %q: %v; using the default", raw, err)
		} else if d > 0 {
			// No tolerance at all would fail against any KDC whose clock is
			// a moment off; krenew has always read 0 (or less) as unset.
			l.clockSkew = d
		}
	}
	for _, e := range []struct {
		key  string
		dest *[]int32
	}{
		{"default_tgs_enctypes", &l.tgsEnctypes},
		{"default_tkt_enctypes", &l.tktEnctypes},
		{"permitted_enctypes", &l.permittedEnctypes},
	} {
		raw, ok := c.firstLibdefault(e.key)
		if !ok {
			continue
		}
		if ids := supportedEnctypes(parseEnctypeList(raw)); len(ids) > 0 {
			*e.dest = ids
		} else {
			c.warnf("libdefaults %s = %q names no enctype krenew supports; using the default", e.key, raw)
		}
	}
	if raw, ok := c.firstLibdefault("udp_preference_limit"); ok {
		n, err := strconv.ParseUint(strings.TrimSpace(raw), 10, 64)
		switch {
		case err != nil:
			c.warnf("libdefaults udp_preference_limit = %q: not a number of bytes; using the default", raw)
		case n > maxUDPPreferenceLimit:
			// MIT caps the limit rather than rejecting larger values.
			l.udpPreferenceLimit = maxUDPPreferenceLimit
		default:
			l.udpPreferenceLimit = int(n)
		}
	}
	c.lib = l
}

// settings tolerates a Conf built by hand, which then behaves like an
// empty krb5.conf.
func (c *Conf) settings() *libdefaults {
	if c.lib == nil {
		return mitLibdefaults()
	}
	return c.lib
}

// UDPPreferenceLimit is [libdefaults] udp_preference_limit: requests this
// long or longer go to the KDC over TCP first. 0 and 1 mean TCP only
// (FreeIPA sets 0 for that). Unset, it is MIT's 1465; above 32700 it is
// capped at 32700, as MIT does.
func (c *Conf) UDPPreferenceLimit() int { return c.settings().udpPreferenceLimit }

// ClockSkew is [libdefaults] clockskew, the difference from a KDC's clock
// that krenew tolerates; MIT's 300 seconds when unset. Besides MIT's
// plain seconds it accepts durations such as 10m, 1d or 0:05:00.
func (c *Conf) ClockSkew() time.Duration { return c.settings().clockSkew }

// DefaultTktEnctypes is [libdefaults] default_tkt_enctypes, the enctypes to
// ask for in an AS-REQ in order of preference, as gokrb5 enctype IDs.
// Enctypes gokrb5 cannot use are left out; unset, or left with none, it is
// MIT's DEFAULT list.
func (c *Conf) DefaultTktEnctypes() []int32 {
	return append([]int32(nil), c.settings().tktEnctypes...)
}

// DefaultTGSEnctypes is [libdefaults] default_tgs_enctypes, read like
// DefaultTktEnctypes.
func (c *Conf) DefaultTGSEnctypes() []int32 {
	return append([]int32(nil), c.settings().tgsEnctypes...)
}

// PermittedEnctypes is [libdefaults] permitted_enctypes, read like
// DefaultTktEnctypes.
func (c *Conf) PermittedEnctypes() []int32 {
	return append([]int32(nil), c.settings().permittedEnctypes...)
}

func (c *Conf) firstLibdefault(key string) (string, bool) {
	v := c.tree.values([]string{"libdefaults"}, key)
	if len(v) == 0 {
		return "", false
	}
	return v[0], true
}

func (c *Conf) warnf(format string, args ...any) {
	c.Warnings = append(c.Warnings, fmt.Sprintf(format, args...))
}

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

// parseDuration accepts what krenew took for clockskew when gokrb5 read
// it: Nd[duration], a Go duration, N seconds, or h:m[:s]. Blanks anywhere
// are ignored.
func parseDuration(s string) (time.Duration, error) {
	s = strings.ReplaceAll(strings.TrimSpace(s), " ", "")
	if days, rest, ok := strings.Cut(s, "d"); ok {
		n, err := strconv.ParseUint(days, 10, 32)
		if err != nil {
			return 0, errors.New("invalid time duration")
		}
		d := time.Duration(n*24) * time.Hour
		if rest != "" {
			r, err := time.ParseDuration(rest)
			if err != nil {
				return 0, errors.New("invalid time duration")
			}
			d += r
		}
		return d, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return d, nil
	}
	if n, err := strconv.ParseUint(s, 10, 32); err == nil && n > 0 {
		return time.Duration(n) * time.Second, nil
	}
	if strings.Contains(s, ":") {
		parts := strings.Split(s, ":")
		if len(parts) > 3 {
			return 0, errors.New("invalid time duration value")
		}
		var hms [3]int64
		for i, p := range parts {
			n, err := strconv.ParseInt(p, 10, 16)
			if err != nil {
				return 0, errors.New("invalid time duration value")
			}
			hms[i] = n
		}
		return time.Duration(hms[0])*time.Hour + time.Duration(hms[1])*time.Minute +
			time.Duration(hms[2])*time.Second, nil
	}
	return 0, errors.New("invalid time duration value")
}

// mitDefaultEnctypes is MIT's DEFAULT enctype list (init_ctx.c) less the
// single-DES types, which gokrb5 cannot use.
var mitDefaultEnctypes = []int32{
	etypeID.AES256_CTS_HMAC_SHA1_96, etypeID.AES128_CTS_HMAC_SHA1_96,
	etypeID.AES256_CTS_HMAC_SHA384_192, etypeID.AES128_CTS_HMAC_SHA256_128,
	etypeID.DES3_CBC_SHA1_KD, etypeID.RC4_HMAC,
	etypeID.CAMELLIA128_CTS_CMAC, etypeID.CAMELLIA256_CTS_CMAC,
}

// enctypeFamilies are the family names MIT's enctype lists accept.
var enctypeFamilies = map[string][]int32{
	"des":      {etypeID.DES_CBC_MD5, etypeID.DES_CBC_MD4, etypeID.DES_CBC_CRC},
	"des3":     {etypeID.DES3_CBC_SHA1_KD},
	"rc4":      {etypeID.RC4_HMAC},
	"aes":      {etypeID.AES256_CTS_HMAC_SHA1_96, etypeID.AES128_CTS_HMAC_SHA1_96, etypeID.AES256_CTS_HMAC_SHA384_192, etypeID.AES128_CTS_HMAC_SHA256_128},
	"aes-sha1": {etypeID.AES256_CTS_HMAC_SHA1_96, etypeID.AES128_CTS_HMAC_SHA1_96},
	"aes-sha2": {etypeID.AES256_CTS_HMAC_SHA384_192, etypeID.AES128_CTS_HMAC_SHA256_128},
	"camellia": {etypeID.CAMELLIA256_CTS_CMAC, etypeID.CAMELLIA128_CTS_CMAC},
}

// enctypeByName maps MIT's enctype names and aliases (lower case). It is
// not gokrb5's etypeID.ETypesByName: there "des3-cbc-sha1" is enctype 7
// and "des3-hmac-sha1" is 8, where MIT means 16 by both.
var enctypeByName = map[string]int32{
	"des-cbc-crc": etypeID.DES_CBC_CRC, "des-cbc-md4": etypeID.DES_CBC_MD4,
	"des-cbc-md5": etypeID.DES_CBC_MD5, "des-cbc-raw": etypeID.DES_CBC_RAW,
	"des3-cbc-raw": etypeID.DES3_CBC_RAW, "des-hmac-sha1": etypeID.DES_HMAC_SHA1,
	"des3-cbc-sha1": etypeID.DES3_CBC_SHA1_KD, "des3-hmac-sha1": etypeID.DES3_CBC_SHA1_KD,
	"des3-cbc-sha1-kd":        etypeID.DES3_CBC_SHA1_KD,
	"aes128-cts-hmac-sha1-96": etypeID.AES128_CTS_HMAC_SHA1_96, "aes128-cts": etypeID.AES128_CTS_HMAC_SHA1_96,
	"aes128-sha1":             etypeID.AES128_CTS_HMAC_SHA1_96,
	"aes256-cts-hmac-sha1-96": etypeID.AES256_CTS_HMAC_SHA1_96, "aes256-cts": etypeID.AES256_CTS_HMAC_SHA1_96,
	"aes256-sha1":                etypeID.AES256_CTS_HMAC_SHA1_96,
	"aes128-cts-hmac-sha256-128": etypeID.AES128_CTS_HMAC_SHA256_128, "aes128-sha2": etypeID.AES128_CTS_HMAC_SHA256_128,
	"aes256-cts-hmac-sha384-192": etypeID.AES256_CTS_HMAC_SHA384_192, "aes256-sha2": etypeID.AES256_CTS_HMAC_SHA384_192,
	"arcfour-hmac": etypeID.RC4_HMAC, "rc4-hmac": etypeID.RC4_HMAC, "arcfour-hmac-md5": etypeID.RC4_HMAC,
	"arcfour-hmac-exp": etypeID.RC4_HMAC_EXP, "rc4-hmac-exp": etypeID.RC4_HMAC_EXP,
	"arcfour-hmac-md5-exp": etypeID.RC4_HMAC_EXP,
	"camellia128-cts-cmac": etypeID.CAMELLIA128_CTS_CMAC, "camellia128-cts": etypeID.CAMELLIA128_CTS_CMAC,
	"camellia256-cts-cmac": etypeID.CAMELLIA256_CTS_CMAC, "camellia256-cts": etypeID.CAMELLIA256_CTS_CMAC,
}

// parseEnctypeList follows MIT's krb5int_parse_enctype_list: words split
// at blanks and commas, "+x"/"x" adds, "-x" removes, DEFAULT and family
// names expand, unknown names are ignored.
func parseEnctypeList(s string) []int32 {
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
	return list
}

// supportedEnctypes keeps the enctypes gokrb5 has crypto for, in order:
// one it cannot decrypt with is no use in a request.
func supportedEnctypes(ids []int32) []int32 {
	var out []int32
	for _, id := range ids {
		if _, err := crypto.GetEtype(id); err == nil {
			out = append(out, id)
		}
	}
	return out
}

func enctypeIndex(list []int32, id int32) int {
	for i, v := range list {
		if v == id {
			return i
		}
	}
	return -1
}
