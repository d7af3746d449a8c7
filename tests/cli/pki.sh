#!/bin/bash
# simfleet pki end to end through the command: a TEST PKI on both curves,
# eUICC certificates, `show`, `verify` for every role and its refusals, and
# the SGP.26 test PKI from $SF_SHARED/gsma/sgp26 (skipped when absent).
# Usage: pki.sh PATH/TO/simfleet
set -u
SF=${1:?usage: pki.sh SIMFLEET}
. "$(dirname "$0")/lib.bash"
# pem2der IN OUT: the DER inside a PEM file (coreutils only).
pem2der() { sed '/^-----/d' "$1" | base64 -d >"$2"; }
EID=89049032123451234512345678901235

# refused CODE ARGS...: verify exits 1 and reports error CODE
refused() {
	local want=$1; shift
	"$SF" pki verify "$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	if [ $rc = 1 ] && [ "$(jq -r .error <"$tmp/out")" = "$want" ] && [ -s "$tmp/err" ]; then ok
	else bad "expected exit 1 with $want for: $* (rc $rc: $(cat "$tmp/out" "$tmp/err"))"; fi
}
usage_error() {
	local what=$1; shift
	"$SF" "$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	if [ $rc = 2 ] && grep -q -- "$what" "$tmp/err"; then ok
	else bad "expected exit 2 mentioning '$what' for: $* (rc $rc: $(cat "$tmp/err"))"; fi
}

for curve in p256 brainpool; do
	D="$tmp/$curve"
	out=$("$SF" pki init --dir "$D" --curve $curve --host smdp.test)
	expect_eq "$curve init exit" $? 0
	expect_eq "$curve notice" "$(field "$out" notice)" "TEST PKI — not for production"
	grep -q "TEST PKI - not for production" "$D/README.txt" && ok || bad "$curve README"
	for f in ci eum dpauth dppb dptls eim; do
		[ -s "$D/$f.pem" ] && [ "$(stat -c %a "$D/$f.key")" = 600 ] && ok || bad "$curve $f files"
	done
	usage_error "already holds" pki init --dir "$D"
	want=$([ $curve = p256 ] && echo P-256 || echo brainpoolP256r1)
	show=$("$SF" pki show "$D/eum.pem")
	expect_eq "$curve eum curve" "$(field "$show" curve)" "$want"
	expect_eq "$curve eum prefix" "$(jq -r .name_constraints.eid_prefix <<<"$show")" 89049032
	expect_eq "$curve eum role" "$(jq -r '.policies[0].role' <<<"$show")" eum
	show=$("$SF" pki show "$D/dptls.pem")
	expect_eq "$curve dptls san" "$(jq -r '.san | join(" ")' <<<"$show")" "DNS:smdp.test IP:127.0.0.1"
	expect_eq "$curve dptls eku" "$(jq -r '.extended_key_usage[0]' <<<"$show")" serverAuth
	for r in dpauth dppb dptls; do
		"$SF" pki verify --ci "$D/ci.pem" --role $r "$D/$r.pem" >/dev/null
		expect_eq "$curve verify $r" $? 0
	done
	out=$("$SF" pki issue-euicc --dir "$D" --eid $EID --out "$tmp")
	expect_eq "$curve issue exit" $? 0
	expect_eq "$curve issue eid" "$(field "$out" eid)" $EID
	cert=$(field "$out" cert)
	[ "$(stat -c %a "$(field "$out" key)")" = 600 ] && ok || bad "$curve euicc key mode"
	expect_eq "$curve euicc serial" "$("$SF" pki show "$cert" | jq -r .subject_serial_number)" $EID
	out=$("$SF" pki verify --ci "$D/ci.pem" --role euicc "$cert" "$D/eum.pem")
	expect_eq "$curve verify euicc" $? 0
	expect_eq "$curve verify role" "$(field "$out" role)" euicc
	# DER works as well as PEM (PEM is base64 of the DER between the lines).
	pem2der "$cert" "$tmp/e.der"
	"$SF" pki verify --ci "$D/ci.pem" "$tmp/e.der" "$D/eum.pem" >/dev/null && ok ||
		bad "$curve DER verify"
	refused EPKI_ROLE --ci "$D/ci.pem" --role dppb "$D/dpauth.pem"
	refused EPKI_CHAIN --ci "$D/ci.pem" --role euicc "$cert"
	refused EPKI_VALIDITY --ci "$D/ci.pem" --at 1000000000 "$D/dpauth.pem"
	usage_error "--eid" pki issue-euicc --dir "$D" --eid 89049032123451234512345678901236
	usage_error "--eid" pki issue-euicc --dir "$D" --eid 89049033123451234512345678901208
	rm -f "$tmp"/euicc-*
done
refused EPKI_UNKNOWN_CI --ci "$tmp/p256/ci.pem" "$tmp/brainpool/dpauth.pem"
# A tampered signature (last octet of the DER flipped).
pem2der "$tmp/p256/dppb.pem" "$tmp/t.der"
last=$(od -An -tu1 -j $(($(stat -c %s "$tmp/t.der") - 1)) "$tmp/t.der" | tr -d ' ')
truncate -s -1 "$tmp/t.der"
printf "\\$(printf %o $((last ^ 1)))" >>"$tmp/t.der"
refused EPKI_SIG --ci "$tmp/p256/ci.pem" "$tmp/t.der"
usage_error "--role" pki verify --ci "$tmp/p256/ci.pem" --role eum "$tmp/p256/eum.pem"
usage_error "--curve" pki init --dir "$tmp/x" --curve p384
usage_error "--eum-prefix" pki init --dir "$tmp/x" --eum-prefix 12
"$SF" pki show "$tmp/p256/ci.key" >/dev/null 2>&1
expect_eq "show a key file" $? 2

# The SGP.26 test PKI (GSMA test certificates, read where they are).
G=${SF_SHARED:-}/gsma/sgp26
if [ -n "${SF_SHARED:-}" ] && [ -d "$G" ]; then
	for c in NIST BRP; do
		CI=$G/CertificateIssuer/CERT_CI_ECDSA_$c.der
		"$SF" pki verify --ci "$CI" --role euicc --at 1760000000 "$G/eUICC/CERT_EUICC_ECDSA_$c.der" \
			"$G/EUM/CERT_EUM_ECDSA_$c.der" >/dev/null
		expect_eq "sgp26 $c euicc" $? 0
		"$SF" pki verify --ci "$CI" --role dpauth --at 1760000000 "$G/DPauth/CERT_S_SM_DPauth_ECDSA_$c.der" >/dev/null
		expect_eq "sgp26 $c dpauth" $? 0
		"$SF" pki verify --ci "$CI" --role dppb --at 1760000000 "$G/DPpb/CERT_S_SM_DPpb_ECDSA_$c.der" >/dev/null
		expect_eq "sgp26 $c dppb" $? 0
	done
	refused EPKI_VALIDITY --ci "$G/CertificateIssuer/CERT_CI_ECDSA_NIST.der" --role dptls \
		--at 1900000000 "$G/DPtls/CERT_S_SM_DP_TLS_NIST.der"
	"$SF" pki verify --ci "$G/CertificateIssuer/CERT_CI_ECDSA_NIST.der" --role dptls \
		--at 1760000000 "$G/DPtls/CERT_S_SM_DP_TLS_NIST.der" >/dev/null
	expect_eq "sgp26 dptls at 2025" $? 0
else
	echo "SF_SHARED/gsma/sgp26 not found: SGP.26 checks skipped"
fi
finish
