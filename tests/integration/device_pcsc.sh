#!/bin/bash
# The device agent over PC/SC: a private pcscd with vsmartcard's vpcd
# (tests/integration/pcsc-env.sh), the software eUICC behind it (`simfleet
# euicc serve --vpcd`), and `simfleet device ... --pcsc [READER]` driving it
# through libpcsclite with T=0, as with a real eUICC in a reader: info,
# profiles, enable/disable, a named and an unknown reader; then a whole
# download from `smdp serve` over PC/SC and `attach --pcsc` against
# `auc serve` with the downloaded subscription.
# Exit 77 (skip) without pcscd, the vpcd driver, pcsc-tools or namespaces, or
# when simfleet was built without libpcsclite.  Usage: device_pcsc.sh SIMFLEET
set -u
SF=${1:?usage: device_pcsc.sh SIMFLEET}
skip() {
	echo "SKIP: $* (install: apt-get install pcscd vsmartcard-vpcd pcsc-tools libpcsclite-dev)"
	exit 77
}
. "$(dirname "$0")/pcsc-env.sh"

ICCID=8944500102198304826
K=465b5ce8b199b49faa5f0a2ee238a6bc
OPC=cd63cb71954a9f4e48a5994e37a02baf
EID=$("$SF" euicc init --state "$tmp/st" --test-mode | jq -r .eid)
"$SF" profile build --iccid $ICCID --imsi 001010123456789 --alg milenage --k $K --opc $OPC \
	-o "$tmp/p.der" >/dev/null
"$SF" euicc install-local --state "$tmp/st" "$tmp/p.der" >/dev/null || die "install-local failed"

# An SM-DP+ and an AuC on loopback (port 0), the eUICC given RSP credentials
# from the SM-DP+'s test PKI, one subscription ordered for its EID.
EXTRA=()
trap 'for p in "${EXTRA[@]}"; do stop_pid "$p"; done; cleanup' EXIT
D="$tmp/smdp"
"$SF" smdp serve --data "$D" --listen 127.0.0.1:0 2>"$tmp/smdp.log" &
EXTRA+=($!)
DPORT=$(wait_line "$tmp/smdp.log" 's|^smdp serve: listening on https://127\.0\.0\.1:\([0-9]*\) .*|\1|p' $!)
[ -n "$DPORT" ] || die "smdp serve did not start: $(cat "$tmp/smdp.log")"
"$SF" euicc credentials --state "$tmp/st" --pki "$D/pki" >/dev/null || die "euicc credentials"
"$SF" auc init --db "$tmp/auc.db" --master-key "$tmp/master.key" >/dev/null || die "auc init"
od -An -N24 -tx1 /dev/urandom | tr -d ' \n' >"$tmp/tokens"
chmod 600 "$tmp/tokens"
"$SF" auc serve --db "$tmp/auc.db" --master-key "$tmp/master.key" --listen 127.0.0.1:0 \
	--cert "$D/pki/dptls.pem" --key "$D/pki/dptls.key" --tokens "$tmp/tokens" 2>"$tmp/auc.log" &
EXTRA+=($!)
APORT=$(wait_line "$tmp/auc.log" 's|^auc serve: listening on https://127\.0\.0\.1:\([0-9]*\)$|\1|p' $!)
[ -n "$APORT" ] || die "auc serve did not start: $(cat "$tmp/auc.log")"
ICCID2=8900012345670000999
K2=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n') OPC2=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
printf 'imsi,iccid,alg,k,opc\n001010000009901,%s,milenage,%s,%s\n' $ICCID2 $K2 $OPC2 >"$tmp/subs.csv"
"$SF" auc import --db "$tmp/auc.db" --master-key "$tmp/master.key" "$tmp/subs.csv" >/dev/null ||
	die "auc import"
"$SF" smdp import --data "$D" --subscribers "$tmp/subs.csv" >/dev/null || die "smdp import"
AC=$("$SF" operator order --credentials "$D/operators/default.json" --cacert "$D/pki/ci.pem" \
	--iccid $ICCID2 --eid "$EID" --release | jq -r .activation_code)
[ -n "$AC" ] && [ "$AC" != null ] || die "operator order"

start_pcscd_fresh "$tmp/pcscd.log" || die "private pcscd did not start (port $PORT)"
"$SF" euicc serve --state "$tmp/st" --vpcd 127.0.0.1:$PORT 2>"$tmp/serve.log" &
SERVE_PID=$!
wait_log "$tmp/serve.log" "serving EID" || die "serve did not connect to vpcd"
for _ in $(seq 100); do
	[[ $(timeout 10 pcsc_scan -c 2>&1) == *"ATR: "* ]] && break
	sleep 0.1
done

out=$("$SF" device info --pcsc "$READER" 2>"$tmp/err.log")
rc=$?
if [ $rc != 0 ] && grep -q "without PC/SC" "$tmp/err.log"; then
	skip "simfleet was built without libpcsclite"
fi
expect_eq "info exit ($(cat "$tmp/err.log"))" $rc 0
expect_eq "eid" "$(jq -r .eid <<<"$out")" "$EID"
expect_eq "transport" "$(jq -r .transport <<<"$out")" "pcsc $READER"
out=$("$SF" device profiles --pcsc 2>>"$tmp/err.log") # the first reader with a card
expect_eq "profiles" "$(jq -c '[.profiles[] | [.iccid, .state]]' <<<"$out")" "[[\"$ICCID\",\"disabled\"]]"
out=$("$SF" device enable --pcsc="$READER" $ICCID 2>>"$tmp/err.log")
expect_eq "enable" "$(jq -r .result <<<"$out")" ok
out=$("$SF" device profiles --pcsc "$READER" --block 255 2>>"$tmp/err.log")
expect_eq "enabled" "$(jq -r '.profiles[0].state' <<<"$out")" enabled
out=$("$SF" device disable --pcsc $ICCID 2>>"$tmp/err.log")
expect_eq "disable" "$(jq -r .result <<<"$out")" ok
"$SF" device info --pcsc "No Such Reader" >/dev/null 2>"$tmp/err2.log"
expect_eq "unknown reader exit" $? 1
grep -q "No Such Reader" "$tmp/err2.log" && ok || bad "unknown reader message: $(cat "$tmp/err2.log")"
# the APDUs pcscd saw: MANAGE CHANNEL, SELECT ISD-R on the channel, STORE DATA, GET RESPONSE
grep -qi "00 70 00 00 01" "$tmp/pcscd.log" && ok || bad "no MANAGE CHANNEL in the pcscd log"
grep -qiE "0[123] A4 04 00 10 A0 00 00 05 59 10 10 FF FF FF FF 89 00 00 01 00" "$tmp/pcscd.log" \
	&& ok || bad "no SELECT ISD-R on a logical channel in the pcscd log"

# The whole download over PC/SC, then the network attach through the reader.
out=$("$SF" device download --pcsc "$READER" --activation-code "$AC" --cacert "$D/pki/ci.pem" \
	--enable 2>"$tmp/dl.log")
expect_eq "download over PC/SC ($(tail -1 "$tmp/dl.log"))" "$(jq -r .result <<<"$out")" ok
expect_eq "downloaded iccid" "$(jq -r .iccid <<<"$out")" $ICCID2
out=$("$SF" device profiles --pcsc "$READER" 2>>"$tmp/err.log")
expect_eq "downloaded profile enabled" \
	"$(jq -r --arg i $ICCID2 '.profiles[] | select(.iccid == $i) | .state' <<<"$out")" enabled
out=$("$SF" attach --pcsc "$READER" --auc "https://127.0.0.1:$APORT" --auc-token "$tmp/tokens" \
	--cacert "$D/pki/ci.pem" 2>"$tmp/attach.log")
expect_eq "attach over PC/SC ($(cat "$tmp/attach.log"))" "$(jq -r .result <<<"$out")" ok
# LoadBoundProfilePackage went through pcscd: STORE DATA starting with BF36
grep -qiE "E2 11 00 .. BF 36" "$tmp/pcscd.log" && ok || bad "no BF36 STORE DATA in the pcscd log"

echo "device_pcsc.sh: $pass passed, $fail failed"
[ "$fail" = 0 ]
