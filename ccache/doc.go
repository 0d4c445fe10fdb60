// Package ccache owns Kerberos credential caches of every type MIT's
// libkrb5 uses on Linux, behind one Store interface (store.go):
//
//   - FILE and DIR: the on-disk format (versions 3 and 4 of MIT's
//     ccache_file_format, parsed defensively and always written as version
//     4), read and replaced under the same fcntl locks libkrb5 takes, written
//     through a temporary file and a rename so readers never see a
//     half-written cache; DIR collections are created and their primary
//     recorded as kinit does.
//   - KEYRING: Linux kernel keyrings in MIT's collection layout, updated key
//     by key (keyring*.go).
//   - KCM: the KCM protocol to sssd-kcm or Heimdal's kcm over a Unix socket
//     (kcm*.go).
//
// Resolving a cache name such as FILE:/tmp/krb5cc_1000 or
// KEYRING:persistent:1000 lives in name.go; Open turns a name into a Store.
package ccache
