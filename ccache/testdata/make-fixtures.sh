#!/usr/bin/env bash
# make-fixtures.sh regenerates the MIT-produced credential cache fixtures in
# this directory with real MIT Kerberos tools, so the parser is tested
# against what libkrb5 actually writes rather than against our own reading
# of the spec.
#
# Needs: krb5kdc, kdb5_util, kadmin.local, kinit, kvno, klist (Debian:
# krb5-kdc krb5-admin-server krb5-user). No root needed. It starts a
# throwaway KDC for realm FIXTURE.TEST on a free 127.0.0.1 port inside a
# temporary directory, and removes both when done.
#
# Writes:
#   mit-v4.ccache          kinit -l 1h -r 2h alice, then kvno for a service:
#                          version 4 file, TGT + service ticket + config
#                          entries (fast_avail, pa_type)
#   mit-v3.ccache          the same with libdefaults ccache_type = 3
#   mit-v4-renewed.ccache  kinit as above, then kinit -R (renewed TGT)
#
# Usage: ccache/testdata/make-fixtures.sh   (from anywhere)
# The ticket contents change on every run (fresh keys and times); the tests
# assert structure, names, flags and lifetimes, not bytes.
set -euo pipefail

out=$(cd "$(dirname "$0")" && pwd)
realm=FIXTURE.TEST
work=$(mktemp -d)
kdc_pid=
cleanup() {
	if [[ -n $kdc_pid ]]; then kill "$kdc_pid" 2>/dev/null || true; wait "$kdc_pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

# A port free for both UDP and TCP on the loopback address.
port=
for _ in $(seq 1 50); do
	p=$((20000 + RANDOM % 40000))
	if [[ -z $(ss -Hlnu "sport = :$p" 2>/dev/null) && -z $(ss -Hlnt "sport = :$p" 2>/dev/null) ]]; then
		port=$p
		break
	fi
done
[[ -n $port ]] || { echo "make-fixtures: no free port found" >&2; exit 1; }

write_krb5_conf() { # $1: ccache_type
	cat >"$work/krb5.conf" <<CONF
[libdefaults]
	default_realm = $realm
	dns_lookup_kdc = false
	dns_lookup_realm = false
	rdns = false
	udp_preference_limit = 1
	ccache_type = $1
[realms]
	$realm = {
		kdc = 127.0.0.1:$port
	}
CONF
}

cat >"$work/kdc.conf" <<CONF
[kdcdefaults]
	kdc_listen = 127.0.0.1:$port
	kdc_tcp_listen = 127.0.0.1:$port
	kdc_ports = $port
	kdc_tcp_ports = $port
[realms]
	$realm = {
		database_name = $work/principal
		key_stash_file = $work/stash
		acl_file = $work/kadm5.acl
		max_life = 10h
		max_renewable_life = 7d
	}
[logging]
	kdc = FILE:$work/kdc.log
CONF
: >"$work/kadm5.acl"

export KRB5_CONFIG=$work/krb5.conf KRB5_KDC_PROFILE=$work/kdc.conf
write_krb5_conf 4

kdb5_util create -s -P masterpw -r "$realm" >/dev/null
kadmin.local -r "$realm" -q "modprinc -maxrenewlife 7d krbtgt/$realm" >/dev/null
# requires_preauth makes kinit do encrypted-timestamp preauth, so libkrb5
# records the pa_type (and, with the KDC's FAST offer, fast_avail) entries.
kadmin.local -r "$realm" -q "addprinc -pw alicepw +requires_preauth -maxrenewlife 7d alice" >/dev/null 2>&1
kadmin.local -r "$realm" -q "addprinc -randkey host/svc.fixture.test" >/dev/null 2>&1

krb5kdc -n -r "$realm" 2>"$work/kdc.stderr" &
kdc_pid=$!

# The KDC is ready once it answers an AS request.
for i in $(seq 1 50); do
	if echo alicepw | kinit -c "FILE:$work/probe" alice >/dev/null 2>&1; then break; fi
	[[ $i == 50 ]] && { echo "make-fixtures: KDC did not come up" >&2; cat "$work/kdc.log" >&2; exit 1; }
	sleep 0.2
done

get() { # $1: cache file, $2: ccache_type
	write_krb5_conf "$2"
	rm -f "$1"
	echo alicepw | kinit -l 1h -r 2h -c "FILE:$1" alice >/dev/null
}

get "$work/v4" 4
kvno -c "FILE:$work/v4" host/svc.fixture.test >/dev/null
get "$work/v3" 3
kvno -c "FILE:$work/v3" host/svc.fixture.test >/dev/null
get "$work/renewed" 4
sleep 1 # a renewed ticket starts visibly later than the original
kinit -R -c "FILE:$work/renewed"

install -m 0644 "$work/v4" "$out/mit-v4.ccache"
install -m 0644 "$work/v3" "$out/mit-v3.ccache"
install -m 0644 "$work/renewed" "$out/mit-v4-renewed.ccache"
for f in mit-v4 mit-v3 mit-v4-renewed; do
	echo "== $f.ccache"
	klist -C -e -f -c "FILE:$out/$f.ccache"
done
