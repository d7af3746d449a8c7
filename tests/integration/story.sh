#!/bin/bash
# The whole story of a subscription, from the command line, on loopback
# (issues 5 and 6).  The operator issues credentials once (TR 33.812): the
# same CSV goes into its AuC, suspended, and into the SM-DP+, which
# personalises profile packages from it.  It orders a profile for a
# device's EID and releases it (ES2+); the device's agent downloads it over
# HTTPS (ES9+) into a software eUICC whose certificate comes from the
# SM-DP+'s PKI, installs and enables it, and delivers the notifications
# (removed from the eUICC once delivered).  The SM-DP+'s
# handleDownloadProgressInfo goes to the AuC, which activates the
# subscription, and the device attaches with its vectors; before that the
# AuC issues none.  The same through the eUICC daemon's socket for a second
# device.  A device that is not the ordered EID is refused and the order
# stays downloadable by the right one.
# Servers bind port 0; only the processes started here are stopped, by PID.
# Usage: story.sh PATH/TO/simfleet
set -u
SF=${1:?usage: story.sh SIMFLEET}
for t in jq curl; do
	command -v $t >/dev/null || { echo "SKIP: $t not installed (scripts/bootstrap)"; exit 77; }
done
. "$(dirname "$0")/../cli/lib.bash"
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

# ---- the operator's AuC, with its own TLS certificate ----
"$SF" pki init --dir "$tmp/aucpki" >/dev/null || bad "pki init (AuC)"
"$SF" auc init --db "$tmp/auc.db" --master-key "$tmp/master.key" >/dev/null || bad "auc init"
printf '%s\n' "$(rnd 24)" >"$tmp/tokens"
chmod 600 "$tmp/tokens"
"$SF" auc serve --db "$tmp/auc.db" --master-key "$tmp/master.key" --listen 127.0.0.1:0 \
	--cert "$tmp/aucpki/dptls.pem" --key "$tmp/aucpki/dptls.key" --tokens "$tmp/tokens" \
	2>"$tmp/auc.log" &
PIDS+=($!)
APORT=$(wait_line "$tmp/auc.log" 's|^auc serve: listening on https://127\.0\.0\.1:\([0-9]*\)$|\1|p' $!)
[ -n "$APORT" ] || { echo "FAIL: auc serve not ready: $(cat "$tmp/auc.log")"; exit 1; }
AUC="https://127.0.0.1:$APORT" ACA="$tmp/aucpki/ci.pem"

# ---- the SM-DP+ (test PKI generated on first start); the operator's ES2+
#      notifications go to its AuC ----
D="$tmp/smdp"
jq -n --arg d "$D" --arg u "$AUC/gsma/rsp2/es2plus/handleDownloadProgressInfo" \
	--arg t "$(cat "$tmp/tokens")" --arg c "$ACA" \
	'{data: $d, operators: [{name: "default", notification_url: $u,
	  notification_token: $t, notification_cacert: $c}]}' >"$tmp/smdp.json"
chmod 600 "$tmp/smdp.json"
"$SF" smdp serve --config "$tmp/smdp.json" --listen 127.0.0.1:0 2>"$tmp/smdp.log" &
PIDS+=($!)
PORT=$(wait_line "$tmp/smdp.log" 's|^smdp serve: listening on https://127\.0\.0\.1:\([0-9]*\) .*|\1|p' $!)
[ -n "$PORT" ] || { echo "FAIL: smdp serve not ready: $(cat "$tmp/smdp.log")"; exit 1; }
ok
CRED="$D/operators/default.json" CA="$D/pki/ci.pem"

# ---- credentials issued once: into the AuC, suspended, and as personalised
#      packages into the SM-DP+ ----
declare -A IMSI K OPC ICCID
rows="imsi,iccid,alg,k,opc"
for n in 1 2; do
	IMSI[$n]=00101000000070$n K[$n]=$(rnd 16) OPC[$n]=$(rnd 16)
	ICCID[$n]=$(luhn 89000123456700000$n)
	rows+=$'\n'"${IMSI[$n]},${ICCID[$n]},milenage,${K[$n]},${OPC[$n]}"
done
printf '%s\n' "$rows" >"$tmp/subs.csv"
"$SF" auc import --db "$tmp/auc.db" --master-key "$tmp/master.key" --status suspended \
	"$tmp/subs.csv" >/dev/null || bad "auc import"
out=$("$SF" smdp import --config "$tmp/smdp.json" --subscribers "$tmp/subs.csv") || bad "smdp import"
expect_eq "imported" "$(jq -s 'map(select(.state == "available")) | length' <<<"$out")" 2
rm -f "$tmp/subs.csv"

# ---- device 1: in-process eUICC, certificate from the SM-DP+'s PKI ----
out=$("$SF" euicc init --state "$tmp/dev1" --pki "$D/pki") || bad "euicc init --pki"
EID1=$(field "$out" eid)
out=$("$SF" euicc init --state "$tmp/dev2" --pki "$D/pki") || bad "euicc init --pki 2"
EID2=$(field "$out" eid)

# The operator orders profile 1 for device 1 and releases it.
order=$("$SF" operator order --smdp "https://127.0.0.1:$PORT" --credentials "$CRED" \
	--iccid "${ICCID[1]}" --eid "$EID1" --confirm --release --cacert "$CA") || bad "order"
AC=$(field "$order" activation_code)
case $AC in "1\$127.0.0.1:$PORT\$"*) ok ;; *) bad "activation code $AC" ;; esac

# Device 2 tries device 1's order: refused, nothing installed, order intact.
if "$SF" device download --state "$tmp/dev2" --activation-code "LPA:$AC" --cacert "$CA" \
	>"$tmp/out" 2>"$tmp/err"; then
	bad "another EID downloaded the order"
else
	grep -q "8.1.1\|EID\|eid" "$tmp/err" "$tmp/out" && ok || bad "refusal reason: $(cat "$tmp/err")"
fi
expect_eq "dev2 has nothing" "$("$SF" device profiles --state "$tmp/dev2" | jq '.profiles | length')" 0

# Device 1 downloads (QR-code form of the activation code), installs.
out=$("$SF" device download --state "$tmp/dev1" --activation-code "LPA:$AC" --cacert "$CA" \
	2>"$tmp/err") || bad "download: $(cat "$tmp/err")"
expect_eq "download result" "$(field "$out" result)" ok
expect_eq "download iccid" "$(field "$out" iccid)" "${ICCID[1]}"
expect_eq "PIR delivered" "$(jq -r '.install_result.delivered' <<<"$out")" true
expect_eq "PIR removed" "$(jq -r '.install_result.removed' <<<"$out")" true
expect_eq "installed disabled" \
	"$("$SF" device profiles --state "$tmp/dev1" | jq -r '.profiles[0].state')" disabled

# Enable; the enable notification is signed, delivered and removed.
"$SF" device enable --state "$tmp/dev1" "${ICCID[1]}" >/dev/null || bad "enable"
expect_eq "enable pending" \
	"$("$SF" device notifications --state "$tmp/dev1" | jq -r '.notifications[0].event')" enable
out=$("$SF" device notifications --state "$tmp/dev1" --process --cacert "$CA" 2>"$tmp/err") ||
	bad "notifications --process: $(cat "$tmp/err")"
expect_eq "enable delivered" "$(jq -r '.notifications[0].delivered' <<<"$out")" true
expect_eq "none left" \
	"$("$SF" device notifications --state "$tmp/dev1" | jq '.notifications | length')" 0

# The SM-DP+ knows the profile is installed, and told the operator's AuC,
# which activated the subscription.
state=$("$SF" smdp list --data "$D" | jq -r --arg i "${ICCID[1]}" '.[] | select(.iccid == $i) | .state')
expect_eq "smdp state" "$state" installed
for _ in $(seq 50); do grep -q "profile ${ICCID[1]} installed" "$tmp/auc.log" && break; sleep 0.1; done
grep -q "profile ${ICCID[1]} installed: subscriber ${IMSI[1]} active" "$tmp/auc.log" && ok ||
	bad "the AuC was not told: $(cat "$tmp/auc.log")"

# The subscription attaches against the operator's AuC.
out=$("$SF" attach --state "$tmp/dev1" --auc "$AUC" --auc-token "$tmp/tokens" \
	--cacert "$ACA" 2>"$tmp/err") || bad "attach: $out $(cat "$tmp/err")"
expect_eq "attach" "$(field "$out" result)" ok
expect_eq "attach imsi" "$(field "$out" imsi)" "${IMSI[1]}"

# ---- device 2 through the eUICC daemon's socket, no EID in the order ----
# Before its profile is on a device the subscription is suspended: the AuC
# issues no vectors for it.
code=$(curl -sS --max-time 20 --cacert "$ACA" -o "$tmp/body" -w '%{http_code}' \
	-H "Authorization: Bearer $(cat "$tmp/tokens")" -H 'Content-Type: application/json' \
	--data-binary "{\"imsi\":\"${IMSI[2]}\"}" "$AUC/v1/vectors")
expect_eq "vectors before install" "$code $(jq -r .error "$tmp/body")" "409 suspended"
"$SF" euicc serve --state "$tmp/dev2" --socket "$tmp/dev2.sock" 2>"$tmp/serve2.log" &
PIDS+=($!)
for _ in $(seq 50); do [ -S "$tmp/dev2.sock" ] && break; sleep 0.1; done
order=$("$SF" operator order --smdp "https://127.0.0.1:$PORT" --credentials "$CRED" \
	--iccid "${ICCID[2]}" --confirm --release --cacert "$CA") || bad "order 2"
out=$("$SF" device download --socket "$tmp/dev2.sock" --activation-code "$(field "$order" activation_code)" \
	--cacert "$CA" --enable 2>"$tmp/err") || bad "download over the socket: $(cat "$tmp/err")"
expect_eq "socket download" "$(field "$out" iccid)" "${ICCID[2]}"
for _ in $(seq 50); do grep -q "profile ${ICCID[2]} installed" "$tmp/auc.log" && break; sleep 0.1; done
out=$("$SF" attach --socket "$tmp/dev2.sock" --auc "$AUC" --auc-token "$tmp/tokens" \
	--cacert "$ACA" 2>"$tmp/err") || bad "attach 2: $out $(cat "$tmp/err")"
expect_eq "attach over the socket" "$(field "$out" result)" ok

# Nothing secret in any log or output.
for k in "${K[1]}" "${K[2]}" "${OPC[1]}" "$(jq -r .token "$CRED")"; do
	grep -rq "$k" "$tmp"/*.log "$tmp/err" && bad "a secret reached a log" || ok
done
finish
