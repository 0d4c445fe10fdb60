// Package ccache owns MIT Kerberos FILE credential caches: the on-disk
// format (versions 3 and 4 of MIT's ccache_file_format, parsed defensively
// and always written as version 4) and FileStore, which reads and replaces a
// cache file under the same fcntl locks MIT's libkrb5 takes, so krenew, kinit,
// klist and friends never see each other's half-written files.
//
// Resolving a cache name such as FILE:/tmp/krb5cc_1000 to a path lives in
// name.go; everything here works on bytes or on an absolute path.
package ccache
