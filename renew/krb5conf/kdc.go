package krb5conf

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"
)

// KDCs returns "host:port" for each KDC of realm, in krb5.conf order, or,
// when the realm lists none and dns_lookup_kdc allows it (MIT's default),
// from DNS SRV records. Entries krenew cannot use (MS-KKDCP https:// URLs)
// are left out; malformed entries are an error, as they are for MIT. A DNS
// lookup that fails, rather than finding no records, is a *DNSLookupError.
func (c *Conf) KDCs(realm string) ([]string, error) {
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
		// MIT reports both cases as KRB5_REALM_CANT_RESOLVE, but only an
		// answer that the records do not exist says something about the
		// configuration; a resolver that cannot be asked says nothing, and
		// a daemon must retry as it would for a KDC that does not answer.
		if err != nil && !dnsNotFound(err) {
			return nil, &DNSLookupError{Realm: realm,
				Err: fmt.Errorf("realm %q has no kdc in %s, and the DNS lookup of its KDCs failed (%w)", realm, c.filesText(), err)}
		}
		reason := "no SRV records"
		if err != nil {
			reason = err.Error()
		}
		return nil, fmt.Errorf("realm %q has no kdc in %s, and DNS gave none (%s)", realm, c.filesText(), reason)
	}
	return nil, fmt.Errorf("realm %q has no kdc in %s", realm, c.filesText())
}

// DNSLookupError is KDCs' error when the realm has no kdc in krb5.conf and
// the DNS lookup of its KDCs failed, rather than answering that there are
// no records: the KDCs cannot be reached, which says nothing about the
// configuration, so callers should treat it as they treat a KDC that does
// not answer. Err wraps the resolver's error.
type DNSLookupError struct {
	Realm string
	Err   error
}

func (e *DNSLookupError) Error() string { return e.Err.Error() }
func (e *DNSLookupError) Unwrap() error { return e.Err }

func (c *Conf) filesText() string {
	if len(c.Files) == 0 {
		return "krb5.conf (no configuration file found; set KRB5_CONFIG or create /etc/krb5.conf)"
	}
	return strings.Join(c.Files, ", ")
}

// configuredKDCs parses the realm's kdc entries, skipping https:// ones.
func (c *Conf) configuredKDCs(realm string) ([]string, error) {
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

func (c *Conf) dnsLookupKDC() bool {
	lib := []string{"libdefaults"}
	for _, key := range []string{"dns_lookup_kdc", "dns_fallback"} {
		if v, ok := mitBoolean(c.tree.first(lib, key)); ok {
			return v
		}
	}
	return true
}

// LookupSRV is the lookup KDCs uses for SRV records,
// net.DefaultResolver.LookupSRV. Tests, here and in packages that use this
// one, replace it so that none queries a real resolver.
var LookupSRV = net.DefaultResolver.LookupSRV

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
		_, srvs, err := LookupSRV(ctx, "kerberos", proto, name)
		if err != nil {
			// A failure outranks a not-found: with one of the two names
			// unanswered, DNS has not said that the realm has no KDC.
			if firstErr == nil || dnsNotFound(firstErr) && !dnsNotFound(err) {
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

// dnsNotFound: the resolver got an answer, and it says there is no such
// record (NXDOMAIN, or the name has no SRV records).
func dnsNotFound(err error) bool {
	var e *net.DNSError
	return errors.As(err, &e) && e.IsNotFound
}
