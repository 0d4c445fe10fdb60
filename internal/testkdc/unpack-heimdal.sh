#!/bin/sh
# unpack-heimdal.sh DIR: Debian's heimdal-kdc and heimdal-clients, and the
# libraries they need beyond heimdal-kcm's, unpacked into DIR for
# testkdc.StartHeimdal. The packages conflict with MIT's krb5-user, whose
# tools the tests use as oracles, so they are unpacked, never installed.
# apt-get download needs no root. Where it fails, the Heimdal tests skip
# (fail with CI=true).
set -eu
dir=${1:?usage: unpack-heimdal.sh DIR}
packages="heimdal-kdc heimdal-clients libhdb9-heimdal libkdc2-heimdal libkadm5srv8-heimdal libkadm5clnt7-heimdal
	libgssapi3-heimdal libsl0-heimdal libotp0-heimdal libkafs0-heimdal"
want=$(echo $packages)
if [ "$(cat "$dir/.packages" 2>/dev/null)" = "$want" ]; then
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! (cd "$tmp" && apt-get download $packages >"$tmp/log" 2>&1); then
	cat "$tmp/log" >&2
	echo "unpack-heimdal: cannot download $want; the Heimdal KDC tests will not run" >&2
	[ "${CI:-}" = true ] && exit 1
	exit 0
fi
rm -rf "$dir.new"
mkdir -p "$dir.new"
for deb in "$tmp"/*.deb; do
	dpkg-deb -x "$deb" "$dir.new"
done
echo "$want" >"$dir.new/.packages"
rm -rf "$dir"
mv "$dir.new" "$dir"
echo "unpack-heimdal: $(ls "$tmp"/heimdal-kdc_*.deb | sed 's|.*/||') and its libraries unpacked into $dir"
