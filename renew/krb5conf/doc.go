// Package krb5conf reads krb5.conf the way MIT's libkrb5 does: the profile
// parser (sections, subsections, final markers, quoting), include and
// includedir expansion, several files in KRB5_CONFIG with the first file
// winning, per-realm [libdefaults] lookups, [appdefaults] lookups in
// krb5_appdefault_string's order (each value with the file it came from),
// and the KDCs of a realm, from
// krb5.conf or, failing that, from DNS SRV records. It also reads the
// [libdefaults] values the KDC exchanges need (clockskew,
// udp_preference_limit, the enctype lists), falling back to MIT's
// defaults; nothing of krb5.conf goes through gokrb5's own parser.
package krb5conf
