#!/bin/bash
# simfleet against osmo-hlr, a real HLR nobody here wrote (issue 6):
# subscribers exported through osmo-hlr's CTRL interface (auc export), then
# `simfleet attach --hlr gsup://` runs AKA between osmo-hlr's AuC (GSUP
# SendAuthInfo) and the software eUICC: attach succeeds (in-process and via
# `euicc serve --socket`), a USIM whose SQN ran ahead is resynchronised from
# AUTS, a wrong K is a MAC failure, an IMSI not in the HLR is unknown, bad
# CSVs change nothing, and no key reaches the output.
#
# osmo-hlr's ports are fixed (GSUP 4222, VTY 4258, CTRL 4259: osmo-hlr 1.5
# ignores a configured VTY port and libosmoctrl 1.7 has no CTRL port
# setting), hence RESOURCE_LOCK gsup4222; skipped (77) where osmo-hlr is not
# installed or those ports are taken.  Only the processes started here are
# stopped, by their PID.
# Usage: osmo_hlr.sh PATH/TO/simfleet
set -u
SF=${1:?usage: osmo_hlr.sh SIMFLEET}
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 77; }
command -v osmo-hlr >/dev/null || { echo "SKIP: osmo-hlr not installed (scripts/bootstrap)"; exit 77; }
if "$SF" attach --state /nonexistent --hlr gsup://127.0.0.1:4222 2>&1 | grep -q "without libosmo-gsup-client"; then
	echo "SKIP: simfleet built without libosmo-gsup-client"; exit 77
fi
for port in 4222 4258 4259; do
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
		echo "SKIP: 127.0.0.1:$port is in use (another osmo-hlr?)"; exit 77
	fi
done

. "$(dirname "$0")/../cli/lib.bash"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

# ---- osmo-hlr on loopback with a temporary database ----
. "$(dirname "$0")/osmo-hlr-env.bash"
if ! start_osmo_hlr "$tmp"; then
	echo "FAIL: osmo-hlr did not come up:" >&2; cat "$tmp/hlr.log" >&2; exit 1
fi
CTRL=127.0.0.1:4259 HLR=gsup://127.0.0.1:4222

# ---- subscribers: A ok, B stale SQN, C wrong K in the HLR, D not exported,
#      E only in bad CSVs first ----
declare -A IMSI K OPC ST
n=0
for s in A B C D E; do
	n=$((n + 1))
	iccid=$(luhn 890001234567890100$n)
	new_device $s 00101000000001$n "$iccid"
done
row() { echo "${IMSI[$1]},$(luhn 8900012345678901000),milenage,${2:-${K[$1]}},${OPC[$1]}"; }

# attach_expect LABEL SUB RESULT [EXIT]: runs attach on SUB's eUICC
attach_expect() {
	attach_check "$1" "$2" "$3" "${4:-$([ "$3" = ok ] && echo 0 || echo 1)}" --hlr "$HLR"
}

# ---- bad CSVs change nothing ----
{ echo imsi,iccid,alg,k,opc; row E; row A 0123; } >"$tmp/bad-k.csv"
"$SF" auc export --to osmo-hlr --ctrl $CTRL --input "$tmp/bad-k.csv" >"$tmp/out" 2>"$tmp/err"
expect_eq "bad K exit" $? 2
grep -q "row 2 (line 3), column k" "$tmp/err" && ok || bad "bad K message: $(cat "$tmp/err")"
{ echo imsi,iccid,alg,opc,k; row E; } >"$tmp/bad-hdr.csv"
"$SF" auc export --to osmo-hlr --ctrl $CTRL --input "$tmp/bad-hdr.csv" >"$tmp/out" 2>"$tmp/err"
expect_eq "bad header exit" $? 2
good=$(luhn 8900012345678901000)
badiccid=${good:0:19}$(((${good:19:1} + 1) % 10))
{ echo imsi,iccid,alg,k,opc; row E; echo "${IMSI[A]},$badiccid,milenage,${K[A]},${OPC[A]}"; } >"$tmp/bad-iccid.csv"
"$SF" auc export --to osmo-hlr --ctrl $CTRL --input "$tmp/bad-iccid.csv" >"$tmp/out" 2>"$tmp/err"
expect_eq "bad ICCID exit" $? 2
grep -q "row 2 (line 3), column iccid" "$tmp/err" && ok || bad "bad ICCID message: $(cat "$tmp/err")"
{ echo imsi,iccid,alg,k,opc; row E; echo "${IMSI[A]},$(luhn 8900012345678901000),tuak,${K[A]},${OPC[A]}"; } >"$tmp/bad-alg.csv"
"$SF" auc export --to osmo-hlr --ctrl $CTRL --input "$tmp/bad-alg.csv" >"$tmp/out" 2>"$tmp/err"
expect_eq "bad alg exit" $? 2
grep -q "column alg" "$tmp/err" && ok || bad "bad alg message: $(cat "$tmp/err")"
for f in bad-k bad-hdr bad-iccid bad-alg; do
	grep -qi -e "${K[A]}" -e "${OPC[A]}" -e "${K[E]}" "$tmp/err" && bad "$f: key in the message"
done
attach_expect "E after bad CSVs" E unknown_subscriber

# ---- the export ----
{ echo imsi,iccid,alg,k,opc; row A; row B; row C "$(rnd 16)"; } >"$tmp/good.csv"
out=$("$SF" auc export --to osmo-hlr --ctrl $CTRL --input "$tmp/good.csv" 2>"$tmp/err")
expect_eq "export exit" $? 0
expect_eq "exported" "$(field "$out" exported)" 3
grep -qi -e "${K[A]}" -e "${OPC[A]}" <<<"$out$(cat "$tmp/err")" && bad "export printed a key"

# An IMSI already in the HLR stops the whole run: E is not created either.
{ echo imsi,iccid,alg,k,opc; row E; row A; } >"$tmp/dup.csv"
"$SF" auc export --to osmo-hlr --ctrl $CTRL --input "$tmp/dup.csv" >"$tmp/out" 2>"$tmp/err"
expect_eq "existing IMSI exit" $? 1
grep -q "${IMSI[A]} (row 2) is already in osmo-hlr" "$tmp/err" && ok || bad "existing IMSI message: $(cat "$tmp/err")"
attach_expect "E after refused export" E unknown_subscriber

# ---- attach ----
attach_expect "A attach" A ok
expect_eq "A steps" "$(jq -c '[.steps[].step]' <<<"$LAST")" \
	'["select_usim","read_imsi","send_auth_info","authenticate","compare"]'
attach_expect "A attach again" A ok

# B: a stale SQN (osmo-hlr picks the IND per GSUP client); osmo-hlr
# resynchronises from the AUTS.
stale_sqn_case '["select_usim:","read_imsi:","send_auth_info:","authenticate:sync_failure","send_auth_info_resync:","authenticate:success","compare:"]' \
	send_auth_info_resync

attach_expect "C wrong K" C mac_failure
attach_expect "D not in the HLR" D unknown_subscriber

# Through `euicc serve --socket`, as a modem's card would be reached.
"$SF" euicc serve --state "${ST[A]}" --socket "$tmp/card.sock" 2>"$tmp/serve.log" &
SERVE_PID=$!
pids+=("$SERVE_PID")
served=0
for _ in $(seq 300); do grep -q "serving EID" "$tmp/serve.log" && served=1 && break; sleep 0.1; done
[ $served = 1 ] || { bad "euicc serve did not start"; cat "$tmp/serve.log" >&2; }
out=$("$SF" attach --socket "$tmp/card.sock" --hlr "$HLR" 2>"$tmp/err")
expect_eq "A via socket exit" $? 0
expect_eq "A via socket" "$(field "$out" result)" ok
kill "$SERVE_PID" && wait "$SERVE_PID" 2>/dev/null

# E, now exported alone from simfleet's AuC database, attaches: the refused
# runs left nothing behind.
{ echo imsi,iccid,alg,k,opc; row E; } >"$tmp/e.csv"
"$SF" auc init --db "$tmp/auc.db" --master-key "$tmp/auc.key" >/dev/null || bad "auc init"
"$SF" auc import --db "$tmp/auc.db" --master-key "$tmp/auc.key" "$tmp/e.csv" >/dev/null ||
	bad "auc import"
# a suspended subscriber stays out of osmo-hlr (it has no suspended state)
printf 'imsi,iccid,alg,k,opc\n001010000009999,8900000000000000045,milenage,%s,%s\n' \
	"$(rnd 16)" "$(rnd 16)" >"$tmp/susp.csv"
"$SF" auc import --db "$tmp/auc.db" --master-key "$tmp/auc.key" --status suspended \
	"$tmp/susp.csv" >/dev/null || bad "auc import --status suspended"
out=$("$SF" auc export --to osmo-hlr --ctrl $CTRL --db "$tmp/auc.db" --master-key "$tmp/auc.key" \
	2>"$tmp/err")
expect_eq "E export from the AuC database ($(cat "$tmp/err"))" "$(field "$out" exported)" 1
expect_eq "suspended left out" "$(field "$out" skipped_suspended)" 1
grep -qi -e "${K[E]}" -e "${OPC[E]}" <<<"$out$(cat "$tmp/err")" && bad "export printed a key" || ok
attach_expect "E attach" E ok

# Usage errors.
"$SF" attach --state "${ST[A]}" --hlr http://127.0.0.1:4222 >/dev/null 2>"$tmp/err"
expect_eq "bad --hlr exit" $? 2
"$SF" auc export --to osmo-hlr --input "$tmp/e.csv" >/dev/null 2>"$tmp/err"
expect_eq "missing --ctrl exit" $? 2
"$SF" auc export --to osmo-hlr --ctrl $CTRL --input "$tmp/e.csv" --db "$tmp/auc.db" \
	>/dev/null 2>"$tmp/err"
expect_eq "--input and --db exit" $? 2

# The HLR gone: unreachable, exit 1.
kill "$HLR_PID" && wait "$HLR_PID" 2>/dev/null
attach_expect "HLR stopped" A hlr_unreachable

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
