// Package renew owns everything krenew says to a KDC and when it says it:
// reading krb5.conf (package krb5conf), the AS exchange that turns a password into a renewable
// TGT, the TGS exchange with the RENEW option, the transport that carries
// both to every KDC of a realm, and the classification of what went wrong
// into the few kinds of failure a user can act on.
//
// Run is the engine: policy.go decides when (renew at half-life, retry
// with backoff, -a's tick), engine.go does the I/O. Both the krenew
// command's keeper (internal/cli) and Keep drive Run with a Config, and
// both set up keytab re-acquisition with Config.ReacquireFromKeytab;
// pidfiles, signals and detaching stay with the command.
//
// String-to-key and the AS exchange's crypto with the long-term key (key
// derivation, AES-CTS, integrity check) are krenew's own for the AES
// enctypes (kdf.go, keyetype.go), so that every buffer as good as the
// password can be wiped; gokrb5 does the rest of the crypto.
//
// gokrb5 is used as a message codec and crypto library only. Its Client is
// avoided on purpose: Login() keeps the password and silently re-logs-in from
// a goroutine, its AS-REQ hard-codes a 48h renewable life, and its TCP
// fallback drops the reply.
package renew
