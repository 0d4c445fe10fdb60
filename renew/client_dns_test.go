package renew

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/krenew/krenew/renew/krb5conf"
)

// stubSRV replaces krb5conf's DNS lookup for one test, so that no test
// queries a real resolver.
func stubSRV(t *testing.T, fn func(service, proto, name string) ([]*net.SRV, error)) {
	t.Helper()
	old := krb5conf.LookupSRV
	krb5conf.LookupSRV = func(_ context.Context, service, proto, name string) (string, []*net.SRV, error) {
		srvs, err := fn(service, proto, name)
		return "", srvs, err
	}
	t.Cleanup(func() { krb5conf.LookupSRV = old })
}

// writeConf writes files under a temporary directory and returns it.
func writeConf(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func mustParse(t *testing.T, paths ...string) *krb5conf.Conf {
	t.Helper()
	c, err := krb5conf.Parse(paths)
	if err != nil {
		t.Fatalf("Parse(%v): %v", paths, err)
	}
	return c
}

// A resolver that cannot be asked, or does not answer, is a KDC that
// cannot be reached, retried by a daemon; only an answer that there are no
// records leaves the realm "not configured", which it is not retried.
// The errors go through Client.transportFor, as a renewal's do.
func TestKDCsDNSFailureKind(t *testing.T) {
	notFound := func(name string) error {
		return &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
	}
	timeout := &net.DNSError{Err: "i/o timeout", Name: "_kerberos._tcp.DNS.TEST.", Server: "10.0.0.53:53", IsTimeout: true, IsTemporary: true}
	for _, tc := range []struct {
		name     string
		udp, tcp error
		srvs     []*net.SRV
		want     Kind
		wantText []string
	}{
		{name: "timeout", udp: timeout, tcp: timeout, want: KindKDCUnreachable,
			wantText: []string{"lookup _kerberos._tcp.DNS.TEST. on 10.0.0.53:53: i/o timeout"}},
		{name: "SERVFAIL",
			udp:  &net.DNSError{Err: "server misbehaving", Name: "_kerberos._udp.DNS.TEST.", Server: "10.0.0.53:53", IsTemporary: true},
			tcp:  &net.DNSError{Err: "server misbehaving", Name: "_kerberos._tcp.DNS.TEST.", Server: "10.0.0.53:53", IsTemporary: true},
			want: KindKDCUnreachable, wantText: []string{"lookup _kerberos._udp.DNS.TEST. on 10.0.0.53:53: server misbehaving"}},
		{name: "no resolver",
			udp:  &net.DNSError{Err: "dial udp 10.0.0.53:53: connect: network is unreachable", Name: "_kerberos._udp.DNS.TEST.", Server: "10.0.0.53:53"},
			tcp:  &net.DNSError{Err: "dial udp 10.0.0.53:53: connect: network is unreachable", Name: "_kerberos._tcp.DNS.TEST.", Server: "10.0.0.53:53"},
			want: KindKDCUnreachable, wantText: []string{"network is unreachable"}},
		{name: "not a DNSError", udp: context.DeadlineExceeded, tcp: context.DeadlineExceeded,
			want: KindKDCUnreachable, wantText: []string{"context deadline exceeded"}},
		// One name unanswered: DNS has not said that there is no KDC.
		{name: "udp not found, tcp timeout", udp: notFound("_kerberos._udp.DNS.TEST."), tcp: timeout,
			want: KindKDCUnreachable, wantText: []string{"i/o timeout"}},
		{name: "not found", udp: notFound("_kerberos._udp.DNS.TEST."), tcp: notFound("_kerberos._tcp.DNS.TEST."),
			want: KindRealmNotConfigured, wantText: []string{"DNS gave none (lookup _kerberos._udp.DNS.TEST.: no such host)"}},
		{name: "service not offered", srvs: []*net.SRV{{Target: ".", Port: 0}},
			want: KindRealmNotConfigured, wantText: []string{"DNS gave none (no SRV records)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stubSRV(t, func(_, proto, _ string) ([]*net.SRV, error) {
				if proto == "udp" {
					return tc.srvs, tc.udp
				}
				return tc.srvs, tc.tcp
			})
			dir := writeConf(t, map[string]string{"krb5.conf": "[libdefaults]\n default_realm = DNS.TEST\n dns_lookup_kdc = true\n"})
			c := &Client{Conf: mustParse(t, filepath.Join(dir, "krb5.conf"))}
			_, err := c.transportFor("alice@DNS.TEST", "DNS.TEST")
			if err == nil {
				t.Fatal("transportFor succeeded without KDCs")
			}
			if got := KindOf(err); got != tc.want {
				t.Errorf("KindOf(%v) = %d, want %d", err, got, tc.want)
			}
			if got, want := retryable(err), tc.want == KindKDCUnreachable; got != want {
				t.Errorf("retryable(%v) = %v, want %v", err, got, want)
			}
			text := err.Error()
			for _, want := range append(tc.wantText, `realm "DNS.TEST" has no kdc in `+filepath.Join(dir, "krb5.conf")) {
				if !strings.Contains(text, want) {
					t.Errorf("error %q lacks %q", text, want)
				}
			}
			if tc.want == KindKDCUnreachable {
				if !strings.Contains(text, "the DNS lookup of its KDCs failed") {
					t.Errorf("error %q does not say that the DNS lookup failed", text)
				}
				if tc.udp != context.DeadlineExceeded && !errors.As(err, new(*net.DNSError)) {
					t.Errorf("error %q does not wrap the resolver's *net.DNSError", text)
				}
			}
		})
	}
}
