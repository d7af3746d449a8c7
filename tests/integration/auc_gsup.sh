#!/bin/bash
# simfleet attach --hlr against simfleet's own AuC over GSUP (`auc serve
# --gsup`, docs/auc.md "GSUP front-end"): the same client code that talks to
# osmo-hlr (libosmo-gsup-client) gets its vectors from the AuC.  Attach
# succeeds; a USIM whose SQN ran ahead is resynchronised from AUTS (RAND+AUTS
# in SendAuthInfo); a wrong K in the AuC is a MAC failure; a suspended
# subscriber and an unknown IMSI are refused with osmo-hlr's causes; vectors
# issued over HTTPS and over GSUP share one SQN sequence; UpdateLocation gets
# an error (cause 97) instead of silence; malformed bytes sent with bash's
# /dev/tcp close only their own connection, with one log line each, and the
# server goes on.  The server binds port 0 for both fronts (not osmo-hlr's
# 4222), so this test can run beside the others; only the server started here
# is stopped, by PID.
# Usage: auc_gsup.sh PATH/TO/simfleet
set -u
SF=${1:?usage: auc_gsup.sh SIMFLEET}
command -v jq >/dev/null || { echo "SKIP: jq not installed (scripts/bootstrap)"; exit 77; }
if "$SF" attach --state /nonexistent --hlr gsup://127.0.0.1:1 2>&1 | grep -q "without libosmo-gsup-client"; then
	echo "SKIP: simfleet built without libosmo-gsup-client (attach --hlr)"; exit 77
fi
if "$SF" auc serve --db /nonexistent --master-key /nonexistent --listen 127.0.0.1:0 --cert x \
	--key x --tokens x --gsup 127.0.0.1:0 2>&1 | grep -q "without libosmogsm"; then
	echo "SKIP: simfleet built without libosmogsm (auc serve --gsup)"; exit 77
fi
. "$(dirname "$0")/../cli/lib.bash"
SERVE_PID=""
trap '[ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null; rm -rf "$tmp"' EXIT

# ---- subscribers: A ok, B stale SQN, C wrong K in the AuC, D suspended,
#      E not in the AuC ----
D="$tmp/auc.db" M="$tmp/master.key"
"$SF" pki init --dir "$tmp/pki" >/dev/null || { echo "FAIL: pki init"; exit 1; }
"$SF" auc init --db "$D" --master-key "$M" >/dev/null || { echo "FAIL: auc init"; exit 1; }
declare -A IMSI K OPC ST
n=0
echo imsi,iccid,alg,k,opc >"$tmp/subs.csv"
for s in A B C D E; do
	n=$((n + 1))
	iccid=$(luhn 890001234567890200$n)
	new_device $s 00101000000002$n "$iccid"
	k=${K[$s]}
	[ $s = C ] && k=$(rnd 16)
	[ $s = E ] && continue
	echo "${IMSI[$s]},$iccid,milenage,$k,${OPC[$s]}" >>"$tmp/subs.csv"
done
out=$("$SF" auc import --db "$D" --master-key "$M" "$tmp/subs.csv")
expect_eq "imported" "$(field "$out" imported)" 4
"$SF" auc suspend --db "$D" --master-key "$M" --imsi "${IMSI[D]}" >/dev/null || bad "suspend D"

# ---- the server: HTTPS and GSUP, both on port 0 ----
TOKEN=$(rnd 24)
printf '%s\n' "$TOKEN" >"$tmp/tokens"
chmod 600 "$tmp/tokens"
LOG="$tmp/serve.log"
"$SF" auc serve --db "$D" --master-key "$M" --listen 127.0.0.1:0 --cert "$tmp/pki/dptls.pem" \
	--key "$tmp/pki/dptls.key" --tokens "$tmp/tokens" --gsup 127.0.0.1:0 2>"$LOG" &
SERVE_PID=$!
PORT="" GPORT=""
for _ in $(seq 100); do
	PORT=$(sed -n 's|^auc serve: listening on https://127\.0\.0\.1:\([0-9]*\)$|\1|p' "$LOG")
	[ -n "$PORT" ] && break
	kill -0 "$SERVE_PID" 2>/dev/null || break
	sleep 0.1
done
GPORT=$(sed -n 's|^auc serve: GSUP listening on 127\.0\.0\.1:\([0-9]*\)$|\1|p' "$LOG")
[ -n "$PORT" ] && [ -n "$GPORT" ] || { echo "FAIL: server not ready: $(cat "$LOG")"; exit 1; }
[ "$GPORT" != 4222 ] || bad "GSUP bound osmo-hlr's fixed port"
HLR=gsup://127.0.0.1:$GPORT

# attach_expect LABEL SUB RESULT: runs attach --hlr on SUB's eUICC
attach_expect() { attach_check "$1" "$2" "$3" "$([ "$3" = ok ] && echo 0 || echo 1)" --hlr "$HLR"; }

attach_expect "A attach" A ok
expect_eq "A steps" "$(jq -c '[.steps[].step]' <<<"$LAST")" \
	'["select_usim","read_imsi","send_auth_info","authenticate","compare"]'
expect_eq "A vectors (osmo-hlr's default count)" "$(jq '.steps[2].vectors' <<<"$LAST")" 5
attach_expect "A attach again" A ok

# B: a stale SQN; the AuC resynchronises from RAND+AUTS and answers fresh
# vectors in the same SendAuthInfo.
stale_sqn_case '["select_usim:","read_imsi:","send_auth_info:","authenticate:sync_failure","send_auth_info_resync:","authenticate:success","compare:"]' \
	send_auth_info_resync

attach_expect "C wrong K" C mac_failure
attach_expect "D suspended" D suspended
expect_eq "D cause (GPRS services not allowed)" "$(jq '.steps[-1].cause' <<<"$LAST")" 7
attach_expect "E not in the AuC" E unknown_subscriber
expect_eq "E cause (IMSI unknown in HLR)" "$(jq '.steps[-1].cause' <<<"$LAST")" 2

# HTTPS and GSUP share the SQN sequence: vectors taken over HTTPS move
# SEQ_HE, and the next GSUP vector is still fresh for the USIM.
if command -v curl >/dev/null; then
	code=$(curl -sS --max-time 20 --cacert "$tmp/pki/ci.pem" -o "$tmp/body" -w '%{http_code}' \
		-H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
		--data-binary "{\"imsi\":\"${IMSI[A]}\",\"n\":3}" "https://localhost:$PORT/v1/vectors")
	expect_eq "HTTPS vectors beside GSUP" "$code" 200
	attach_expect "A after HTTPS vectors" A ok
fi

# ---- raw IPA with bash's /dev/tcp ----
# tbcd DIGITS: the IMSI as GSUP encodes it (swapped nibbles, F filler)
tbcd() {
	local s=$1 i out="" a b
	for ((i = 0; i < ${#s}; i += 2)); do
		a=${s:i:1} b=${s:i+1:1}
		out+="\\x${b:-f}$a"
	done
	printf '%s' "$out"
}
# raw HEXLABEL BYTES: connects, sends BYTES (printf format), prints what the
# server sent back within a second as hex
raw() {
	(
		exec 3<>"/dev/tcp/127.0.0.1/$GPORT" || exit 1
		printf "$1" >&3
		timeout 1 cat <&3 | od -An -v -tx1 | tr -s ' \n' ' '
	) 2>/dev/null
}
# UpdateLocation for A (type 0x04, IMSI IE 0x01): error 0x05 with cause 0x61.
ul="\\x00\\x0c\\xee\\x05\\x04\\x01\\x08$(tbcd "${IMSI[A]}")"
got=$(raw "$ul")
case "$got" in
*" 00 11 fe 04 "*"ee 05 05 01 08 "*" 02 01 61"*) ok ;;
*) bad "UpdateLocation answer: $got" ;;
esac
# A PING gets a PONG.
got=$(raw '\x00\x01\xfe\x00')
case "$got" in *" 00 01 fe 01"*) ok ;; *) bad "PING answer: $got" ;; esac

lines_before=$(grep -c EGSUP_PEER "$LOG")
raw 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' >/dev/null          # length 0x4745: too long
raw '\x00\x00\xee' >/dev/null                               # empty payload
raw '\x00\x01\x42\x00' >/dev/null                           # unknown stream
raw '\x00\x02\xee\x06\x00' >/dev/null                       # OSMO extension other than GSUP
raw '\x00\x04\xee\x05\x08\x01\x08' >/dev/null               # GSUP IE longer than the message
raw '\x00\x05\xfe\x05\x00\x09\x00\x41' >/dev/null           # ID_RESP entry past the end
raw '\x00\x10\xee\x05' >/dev/null                           # a frame cut short, then EOF
{ printf '\xff\xff\xee'; head -c 5000 /dev/urandom; } >"$tmp/noise" # length 65535, then noise
(exec 3<>"/dev/tcp/127.0.0.1/$GPORT" && cat "$tmp/noise" >&3) 2>/dev/null
sleep 0.5
kill -0 "$SERVE_PID" 2>/dev/null && ok || bad "the server died on malformed input"
lines=$(($(grep -c EGSUP_PEER "$LOG") - lines_before))
# one line for each of the six malformed frames and for the noise; the cut
# frame is only an EOF
expect_eq "one log line per malformed connection" "$lines" 7
grep EGSUP_PEER "$LOG" | head -3 | sed 's/^/  log: /'
attach_expect "A after malformed input" A ok

# ---- stop exactly our server; nothing secret in its log ----
kill -TERM "$SERVE_PID"
wait "$SERVE_PID"
expect_eq "SIGTERM exit" "$?" 0
SERVE_PID=""
for s in A B C D E; do
	grep -qi -e "${K[$s]}" -e "${OPC[$s]}" "$LOG" && bad "a key of $s in the server log"
done
grep -q "$TOKEN" "$LOG" && bad "token in the server log" || ok
finish
