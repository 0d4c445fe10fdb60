package cli

import (
	"os"
	"strings"

	"github.com/krenew/krenew/ccache"
	"github.com/krenew/krenew/renew"
)

// keytabMode: -f or -U authenticate from a keytab instead of a password.
func (o *options) keytabMode() bool { return o.keytab != "" || o.keytabPrincipal }

// keytabPath is -f, else (for -U) $KRB5_KTNAME, else /etc/krb5.keytab,
// as k5start does. Absolute, because the daemon runs in /.
func (o *options) keytabPath() (string, error) {
	path := o.keytab
	if path == "" {
		path = os.Getenv("KRB5_KTNAME")
	}
	if path == "" {
		path = "/etc/krb5.keytab"
	}
	if rest, ok := strings.CutPrefix(path, "FILE:"); ok {
		path = rest
	} else if i := strings.Index(path, ":"); i > 0 && !strings.Contains(path[:i], "/") {
		return "", keytabTypeFailure(path[:i], path)
	}
	return absPath(path), nil
}

// keytabPrincipal is -u, else the keytab's first principal with -U, else
// host/<this host's name>, which is what kinit -k uses.
func (s *session) keytabPrincipal(o *options, kt renew.Keytab) (ccache.Principal, error) {
	switch {
	case o.principal != "":
		p, err := renew.ParsePrincipal(o.principal, s.conf.DefaultRealm)
		if err != nil {
			return ccache.Principal{}, principalFailure(o.principal, err, true)
		}
		return p, nil
	case o.keytabPrincipal:
		p, err := kt.FirstPrincipal()
		if err != nil {
			return ccache.Principal{}, keytabFailure(err, false)
		}
		return p, nil
	}
	host, err := os.Hostname()
	if err != nil {
		return ccache.Principal{}, hostnameFailure(err)
	}
	p, err := renew.ParsePrincipal("host/"+strings.ToLower(host), s.conf.DefaultRealm)
	if err != nil {
		return ccache.Principal{}, principalFailure("host/"+host, err, false)
	}
	return p, nil
}
