#!/bin/bash
# simfleet euicc end to end through the command: state directories, local
# installs (ours and the GSMA TS.48 test profiles), profile switching, and
# AUTHENTICATE answered through APDUs, checked against `simfleet aka gen`.
# Usage: euicc.sh PATH/TO/simfleet
set -u
SF=${1:?usage: euicc.sh SIMFLEET}
. "$(dirname "$0")/lib.bash"
# usage_error FLAGTEXT ARGS...: exit 2, one stderr line mentioning FLAGTEXT
usage_error() {
	local what=$1; shift
	"$SF" "$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	if [ $rc = 2 ] && [ "$(wc -l <"$tmp/err")" = 1 ] && grep -q -- "$what" "$tmp/err"; then ok
	else bad "expected exit 2 mentioning '$what' for: $* (rc $rc: $(cat "$tmp/err"))"; fi
}

S="$tmp/e1"
out=$("$SF" euicc init --state "$S" --test-mode)
expect_eq "init exit" $? 0
eid=$(field "$out" eid)
expect_eq "eid length" ${#eid} 32
usage_error "already holds" euicc init --state "$S"
usage_error "--eid" euicc init --state "$tmp/e2" --eid 89049032123451234512345678901236
usage_error "--state" euicc profiles
usage_error "not an eUICC" euicc profiles --state "$tmp/nothing"
[ "$(stat -c %a "$S/device.key")" = 600 ] && ok || bad "device key mode"

K=465b5ce8b199b49faa5f0a2ee238a6bc OPC=cd63cb71954a9f4e48a5994e37a02baf
"$SF" profile build --iccid 89000123456789012341 --imsi 001010123456789 --alg milenage \
	--k $K --opc $OPC -o "$tmp/m.der" >/dev/null || bad "profile build"
out=$("$SF" euicc install-local --state "$S" "$tmp/m.der")
expect_eq "install state" "$(field "$out" state)" disabled
usage_error "already installed" euicc install-local --state "$S" "$tmp/m.der"
head -c 100 "$tmp/m.der" >"$tmp/trunc.der"
usage_error "trunc.der" euicc install-local --state "$S" "$tmp/trunc.der"
expect_eq "nothing half-installed" "$("$SF" euicc profiles --state "$S" | jq '.profiles | length')" 1

# Production eUICCs refuse local installs.
"$SF" euicc init --state "$tmp/prod" >/dev/null
usage_error "test-mode" euicc install-local --state "$tmp/prod" "$tmp/m.der"

# Disabled: no USIM.  Enabled: SELECT, READ EF_IMSI, AUTHENTICATE.
r=$("$SF" euicc apdu --state "$S" 00a4040407a0000000871002)
expect_eq "no USIM while disabled" "$r" 6a82
out=$("$SF" euicc enable --state "$S" 89000123456789012341)
expect_eq "enable" "$(field "$out" result)" ok
out=$("$SF" euicc enable --state "$S" 89000123456789012341)
expect_eq "enable twice" "$(field "$out" result)" wrong_state
r=$("$SF" euicc apdu --state "$S" 00a4040407a0000000871002 00a4000c026f07 00b0000009 | tail -n1)
expect_eq "EF_IMSI" "$r" 080910101032547698"9000"
RAND=0123456789abcdef0123456789abcdef
v=$("$SF" aka gen --alg milenage --k $K --opc $OPC --sqn 000000000040 --amf 8000 --rand $RAND)
r=$("$SF" euicc apdu --state "$S" 00a4040407a0000000871002 "008800812210${RAND}10$(field "$v" autn)00" | tail -n1)
expect_eq "AUTHENTICATE" "$r" "db08$(field "$v" res)10$(field "$v" ck)10$(field "$v" ik)9000"
# The same challenge again, in a new process: the SQN array persisted.
r=$("$SF" euicc apdu --state "$S" 00a4040407a0000000871002 "008800812210${RAND}10$(field "$v" autn)00" | tail -n1)
expect_eq "replay after restart" "${r:0:4}" dc0e
usage_error "APDU 1" euicc apdu --state "$S" 00a4zz
usage_error "APDU 2" euicc apdu --state "$S" 00a40000 123

# The GSMA TS.48 v7 test profiles: install, enable, authenticate with the XOR
# test algorithm (K = 000102...0F).
TS48=${SF_SHARED:-../shared}/gsma/ts48-v7
if [ -d "$TS48" ]; then
	for pkg in "$TS48"/*.der; do
		St="$tmp/ts48-$(basename "$pkg" .der)"
		"$SF" euicc init --state "$St" --test-mode >/dev/null
		out=$("$SF" euicc install-local --state "$St" --enable "$pkg" 2>&1)
		expect_eq "TS.48 install $(basename "$pkg")" "$(field "$out" iccid)" 89000123456789012341
		R=b5039c57e4a75051551d1a390a71ce48
		v=$("$SF" aka gen --alg xor --k 000102030405060708090a0b0c0d0e0f --sqn 000000000020 --amf 0000 --rand $R)
		r=$("$SF" euicc apdu --state "$St" 00a4040407a0000000871002 "008800812210${R}10$(field "$v" autn)00" | tail -n1)
		expect_eq "TS.48 AUTHENTICATE $(basename "$pkg")" "${r:0:36}" "db10$(field "$v" res)"
		expect_eq "TS.48 SW $(basename "$pkg")" "${r: -4}" 9000
	done
else
	echo "SKIP: TS.48 profiles: $TS48 not found (../shared/gsma is not part of this checkout)"
fi

# ES10 through the ISD-R on a logical channel, as an LPA does.
r=$("$SF" euicc apdu --state "$S" 0070000001 01a4040010a0000005591010ffffffff8900000100 81e2910006bf3e035c015a)
expect_eq "GetEID" "$(tail -n1 <<<"$r")" "bf3e125a10${eid}9000"

# RSP credentials from a test PKI: the EID takes the EUM's prefix, the
# eUICC lists the CI in EUICCInfo1, the issued key file is not left behind.
"$SF" pki init --dir "$tmp/pki" --eum-prefix 8904903200 >/dev/null || bad "pki init"
out=$("$SF" euicc init --state "$tmp/r1" --pki "$tmp/pki")
expect_eq "init --pki exit" $? 0
expect_eq "init --pki rsp" "$(field "$out" rsp)" true
reid=$(field "$out" eid)
case $reid in 8904903200*) ok ;; *) bad "EID $reid outside the EUM prefix" ;; esac
ls "$tmp/r1"/*.key 2>/dev/null | grep -v device.key && bad "issued key left in the state dir" || ok
ski=$("$SF" pki show "$tmp/pki/ci.pem" | jq -r '.ski')
info1=$("$SF" euicc apdu --state "$tmp/r1" 00a4040410a0000005591010ffffffff8900000100 \
	80e2910003bf2000 | tail -1 | tr A-F a-f)
case $info1 in *"$ski"*9000) ok ;; *) bad "EUICCInfo1 $info1 lacks the CI $ski" ;; esac
# credentials of another eUICC are refused (EID mismatch); half-given ones are a usage error
"$SF" euicc init --state "$tmp/r2" >/dev/null
mkdir -p "$tmp/other"
"$SF" pki issue-euicc --dir "$tmp/pki" --eid "$reid" --out "$tmp/other" >/dev/null || bad "issue-euicc"
usage_error "--cert" euicc credentials --state "$tmp/r2" --cert "$tmp/pki/eum.pem"
if "$SF" euicc credentials --state "$tmp/r2" --cert "$tmp/other/euicc-$reid.pem" \
	--key "$tmp/other/euicc-$reid.key" --eum "$tmp/pki/eum.pem" --ci "$tmp/pki/ci.pem" 2>"$tmp/err"; then
	bad "credentials for another EID accepted"
else grep -q "EID" "$tmp/err" && ok || bad "no EID reason: $(cat "$tmp/err")"; fi
finish
