package testkdc

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// writeConfigs writes the KDC's kdc.conf and the clients' krb5.conf into
// k.Dir. Everything the KDC and the MIT tools would otherwise read from /etc
// or /tmp is pointed into k.Dir, so instances stay independent.
func (k *KDC) writeConfigs(opts Options) error {
	addr := fmt.Sprintf("127.0.0.1:%d", k.Port)
	kdcConf := fmt.Sprintf(`[kdcdefaults]
	kdc_ports = %[2]d
	kdc_tcp_ports = %[2]d
	kdc_listen = %[3]s
	kdc_tcp_listen = %[3]s

[realms]
	%[1]s = {
		database_name = %[4]s
		key_stash_file = %[5]s
		acl_file = %[6]s
		max_life = %[7]ds
		max_renewable_life = %[8]ds
		supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
		default_principal_flags = %[9]s
		kdc_listen = %[3]s
		kdc_tcp_listen = %[3]s
	}

[logging]
	kdc = FILE:%[10]s
`, k.Realm, k.Port, addr,
		filepath.Join(k.Dir, "principal"),
		filepath.Join(k.Dir, "stash"),
		filepath.Join(k.Dir, "kadm5.acl"),
		seconds(opts.MaxLife), seconds(opts.MaxRenewLife),
		principalFlags(opts),
		k.logPath())

	// No renew_lifetime or ticket_lifetime here on purpose: the tools must
	// get a renewable ticket only when the caller asks for one.
	krb5Conf := fmt.Sprintf(`[libdefaults]
	default_realm = %[1]s
	dns_lookup_kdc = false
	dns_lookup_realm = false
	rdns = false
	dns_canonicalize_hostname = false
	default_ccache_name = %[3]s
	default_keytab_name = %[4]s
	default_client_keytab_name = %[5]s

[realms]
	%[1]s = {
		kdc = %[2]s
	}
`, k.Realm, addr, k.DefaultCCache, k.DefaultKeytab,
		"FILE:"+filepath.Join(k.Dir, "client.keytab"))

	files := []struct{ path, text string }{
		{k.KDCConf, kdcConf},
		{k.Krb5Conf, krb5Conf},
		{filepath.Join(k.Dir, "kadm5.acl"), ""},
	}
	for _, f := range files {
		if err := os.WriteFile(f.path, []byte(f.text), 0o600); err != nil {
			return err
		}
	}
	return nil
}

// seconds renders a duration the way both kdc.conf and kadmin accept it.
func seconds(d time.Duration) int64 {
	return int64(d / time.Second)
}

// principalFlags requires pre-authentication unless the test opts out,
// because production KDCs (FreeIPA, Active Directory) require it and the
// client must handle the extra round trip.
func principalFlags(opts Options) string {
	if opts.NoPreauth {
		return "-preauth"
	}
	return "+preauth"
}
