// Package testkdc runs a real, throwaway MIT Kerberos KDC for tests.
//
// Each KDC lives in its own temporary directory with its own database,
// kdc.conf, client krb5.conf and port on 127.0.0.1, so test packages that
// `go test ./...` runs in parallel never share state and never touch the
// machine's /etc/krb5.conf or /etc/krb5kdc. MIT's own tools (kinit, klist,
// kvno) run against it through Env, which makes them usable as oracles for
// what krenew writes and requests.
//
// When the MIT KDC tools are not installed the tests that need a KDC are
// skipped, except under CI=true, where a missing KDC is a failure: CI must
// never pass by skipping the real-Kerberos tests.
package testkdc
