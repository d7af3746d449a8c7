#!/bin/bash
# Zero-touch first power-up through the eUICC's default SM-DP+ (SGP.22
# §3.1.2), from the command line, on loopback.  The operator orders a
# profile for a device's EID and releases it (ES2+, `operator order --eid
# --release`); the device has no activation code: its agent reads the
# eUICC's default SM-DP+ address (ES10a.GetEuiccConfiguredAddresses, set
# with `device set-default-dp`) and downloads with no matchingId; the
# SM-DP+ serves the order of the eUICC's verified EID.  Installed, PIR
# delivered, order installed.  A device with no order is refused
# (8.2.6/3.8) and nothing changes; an order for another EID is never handed
# out; two orders for one EID come oldest release first; a confirmation
# code still applies; no default address is a clear error before any
# network traffic.
# The server binds port 0; only the processes started here are stopped, by PID.
# Usage: default_dp.sh PATH/TO/simfleet
set -u
SF=${1:?usage: default_dp.sh SIMFLEET}
for t in jq; do
	command -v $t >/dev/null || { echo "SKIP: $t not installed (scripts/bootstrap)"; exit 77; }
done
. "$(dirname "$0")/../cli/lib.bash"
SERVE_PID="" SOCK_PID=""
cleanup() {
	[ -n "$SOCK_PID" ] && kill "$SOCK_PID" 2>/dev/null && wait "$SOCK_PID" 2>/dev/null
	[ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null
	[ -n "${KEEP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT
# state ICCID / attempts ICCID: the SM-DP+'s view of a profile
state() { "$SF" smdp list --data "$D" | jq -r --arg i "$1" '.[] | select(.iccid == $i) | .state'; }
attempts() { "$SF" smdp list --data "$D" | jq -r --arg i "$1" '.[] | select(.iccid == $i) | .attempts'; }
naudit() { "$SF" smdp audit --data "$D" | jq length; }

# ---- the SM-DP+ (test PKI on first start) and its inventory ----
D="$tmp/smdp"
"$SF" smdp serve --data "$D" --listen 127.0.0.1:0 2>"$tmp/smdp.log" &
SERVE_PID=$!
PORT=""
for _ in $(seq 100); do
	PORT=$(sed -n 's|^smdp serve: listening on https://127\.0\.0\.1:\([0-9]*\) .*|\1|p' "$tmp/smdp.log")
	[ -n "$PORT" ] && break
	kill -0 "$SERVE_PID" 2>/dev/null || break
	sleep 0.1
done
[ -n "$PORT" ] || { echo "FAIL: smdp serve not ready: $(cat "$tmp/smdp.log")"; exit 1; }
ADDR="127.0.0.1:$PORT" CRED="$D/operators/default.json" CA="$D/pki/ci.pem"
rows="imsi,iccid,alg,k,opc"
ICC=()
for n in 1 2 3 4; do
	ICC[$n]=$(luhn 89000123456780000$n)
	rows+=$'\n'"00101000000080$n,${ICC[$n]},milenage,$(rnd 16),$(rnd 16)"
done
printf '%s\n' "$rows" >"$tmp/subs.csv"
"$SF" smdp import --data "$D" --subscribers "$tmp/subs.csv" >/dev/null || bad "smdp import"
rm -f "$tmp/subs.csv"
order() { # order ICCID EID [--cc CODE]: ordered for EID and released
	"$SF" operator order --credentials "$CRED" --cacert "$CA" --iccid "$1" --eid "$2" \
		--release "${@:3}" >"$tmp/order" 2>&1 || bad "order $1 for $2: $(cat "$tmp/order")"
}

# ---- three devices: software eUICCs under the SM-DP+'s test PKI ----
for n in 1 2 3; do
	out=$("$SF" euicc init --state "$tmp/dev$n" --pki "$D/pki") || bad "euicc init $n"
	declare "EID$n=$(field "$out" eid)"
done

# No default SM-DP+ address yet: `device info` says null, and a download
# without an activation code says what to do, before talking to anyone.
expect_eq "no default address" \
	"$("$SF" device info --state "$tmp/dev3" | jq -r .default_smdp_address)" null
before=$(naudit)
if "$SF" device download --state "$tmp/dev3" --cacert "$CA" >"$tmp/out" 2>"$tmp/err"; then
	bad "a download without an activation code nor a default SM-DP+ succeeded"
else
	expect_eq "no default: error" "$(field "$(cat "$tmp/out")" error)" EIPA_NO_DEFAULT_DP
	expect_eq "no default: step" "$(field "$(cat "$tmp/out")" step)" getEuiccConfiguredAddresses
	grep -q "no default SM-DP+ address.*set-default-dp" "$tmp/err" && ok ||
		bad "no default: message: $(cat "$tmp/err")"
fi
expect_eq "no default: nothing sent" "$(naudit)" "$before"

# set-default-dp: checked, stored on the eUICC, shown by `device info`.
"$SF" device set-default-dp 'not an address' --state "$tmp/dev1" >/dev/null 2>"$tmp/err"
expect_eq "bad address: usage" "$?" 2
out=$("$SF" device set-default-dp "$ADDR" --state "$tmp/dev1") || bad "set-default-dp"
expect_eq "set-default-dp result" "$(field "$out" result)" ok
expect_eq "set-default-dp address" "$(field "$out" default_smdp_address)" "$ADDR"
expect_eq "info shows it" \
	"$("$SF" device info --state "$tmp/dev1" | jq -r .default_smdp_address)" "$ADDR"
"$SF" device set-default-dp --state "$tmp/dev2" "$ADDR" >/dev/null || bad "set-default-dp 2"
# ... and can be cleared (then set again)
"$SF" device set-default-dp '' --state "$tmp/dev2" >/dev/null || bad "clear"
expect_eq "cleared" "$("$SF" device info --state "$tmp/dev2" | jq -r .default_smdp_address)" null
"$SF" device set-default-dp --state "$tmp/dev2" "$ADDR" >/dev/null || bad "set-default-dp 2"

# The operator orders profile 1 for device 1 and profile 2 for device 3,
# both released.
order "${ICC[1]}" "$EID1"
order "${ICC[2]}" "$EID3"

# Device 2 has no order: refused 8.2.6/3.8, nothing installed, nothing
# changed at the SM-DP+ (no order bound, no attempt counted); neither
# device 1's nor device 3's order is handed out.
if "$SF" device download --state "$tmp/dev2" --cacert "$CA" >"$tmp/out" 2>"$tmp/err"; then
	bad "device 2 downloaded without an order"
else
	out=$(cat "$tmp/out")
	expect_eq "no order: subject" "$(jq -r .smdp_status.subjectCode <<<"$out")" 8.2.6
	expect_eq "no order: reason" "$(jq -r .smdp_status.reasonCode <<<"$out")" 3.8
	expect_eq "no order: step" "$(field "$out" step)" authenticateClient
fi
expect_eq "dev2 has nothing" "$("$SF" device profiles --state "$tmp/dev2" | jq '.profiles | length')" 0
for n in 1 2; do
	expect_eq "order $n untouched: state" "$(state "${ICC[$n]}")" released
	expect_eq "order $n untouched: attempts" "$(attempts "${ICC[$n]}")" 0
done
expect_eq "refusal audited" "$("$SF" smdp audit --data "$D" | jq -r --arg e "$EID2" \
	'[.[] | select(.action == "authenticateClient" and .eid == $e)] | last |
	 "\(.result) \(.iccid)"')" "ESMDP_MATCHING_ID null"

# Device 1: first power-up, no activation code: its order, installed,
# PIR delivered and removed, the SM-DP+'s order installed.
out=$("$SF" device download --state "$tmp/dev1" --cacert "$CA" 2>"$tmp/err") ||
	bad "default download: $out $(cat "$tmp/err")"
expect_eq "download result" "$(field "$out" result)" ok
expect_eq "download smdp" "$(field "$out" smdp)" "$ADDR"
expect_eq "download default" "$(field "$out" default_smdp)" true
expect_eq "download iccid" "$(field "$out" iccid)" "${ICC[1]}"
expect_eq "PIR ok" "$(jq -r .install_result.ok <<<"$out")" true
expect_eq "PIR delivered" "$(jq -r .install_result.delivered <<<"$out")" true
expect_eq "PIR removed" "$(jq -r .install_result.removed <<<"$out")" true
grep -q "SM-DP+ $ADDR (the eUICC's default SM-DP+), no matchingId" "$tmp/err" && ok ||
	bad "progress: $(cat "$tmp/err")"
expect_eq "on the eUICC" \
	"$("$SF" device profiles --state "$tmp/dev1" | jq -r '.profiles[0].iccid')" "${ICC[1]}"
expect_eq "order installed" "$(state "${ICC[1]}")" installed
expect_eq "device 3's order untouched" "$(state "${ICC[2]}")" released
expect_eq "download audited" "$("$SF" smdp audit --data "$D" | jq -r --arg e "$EID1" \
	'[.[] | select(.action == "authenticateClient" and .eid == $e)] | last |
	 "\(.result) \(.iccid) \(.detail)"')" "ok ${ICC[1]} no matchingId: order of the EID"

# Device 1 again: its order is done, nothing more for it.
if "$SF" device download --state "$tmp/dev1" --cacert "$CA" >"$tmp/out" 2>"$tmp/err"; then
	bad "a second download without an order"
else
	expect_eq "done: subject" "$(jq -r .smdp_status.subjectCode "$tmp/out")" 8.2.6
fi

# Two orders for device 2: the one released first comes first (profile 4,
# then profile 3 a second later).  Profile 4's order has a confirmation
# code: the SM-DP+ sets ccRequiredFlag from the order of the EID.
order "${ICC[4]}" "$EID2" --cc 4711
sleep 1.1
order "${ICC[3]}" "$EID2"
out=$("$SF" device download --state "$tmp/dev2" --cacert "$CA" --confirmation-code 4711 \
	2>"$tmp/err") || bad "download with the code: $out $(cat "$tmp/err")"
expect_eq "oldest first" "$(field "$out" iccid)" "${ICC[4]}"
grep -q "ES10b.PrepareDownload (with hashCc)" "$tmp/err" && ok || bad "no hashCc: $(cat "$tmp/err")"
out=$("$SF" device download --state "$tmp/dev2" --cacert "$CA" 2>"$tmp/err") ||
	bad "second order: $out $(cat "$tmp/err")"
expect_eq "then the next" "$(field "$out" iccid)" "${ICC[3]}"
for n in 3 4; do expect_eq "order $n installed" "$(state "${ICC[$n]}")" installed; done
expect_eq "device 3's order still untouched" "$(state "${ICC[2]}")" released
expect_eq "device 3's order: no attempt" "$(attempts "${ICC[2]}")" 0

# The same through the eUICC daemon's socket: device 3 gets its order.
"$SF" euicc serve --state "$tmp/dev3" --socket "$tmp/dev3.sock" 2>"$tmp/serve3.log" &
SOCK_PID=$!
for _ in $(seq 50); do [ -S "$tmp/dev3.sock" ] && break; sleep 0.1; done
"$SF" device set-default-dp "$ADDR" --socket "$tmp/dev3.sock" >/dev/null || bad "set over the socket"
out=$("$SF" device download --socket "$tmp/dev3.sock" --cacert "$CA" --enable 2>"$tmp/err") ||
	bad "socket download: $out $(cat "$tmp/err")"
expect_eq "socket download" "$(field "$out" iccid)" "${ICC[2]}"
expect_eq "socket enable" "$(field "$out" enable)" ok
kill "$SOCK_PID" 2>/dev/null && wait "$SOCK_PID" 2>/dev/null
SOCK_PID=""
expect_eq "order 2 installed" "$(state "${ICC[2]}")" installed
finish
