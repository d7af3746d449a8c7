#!/bin/bash
# simfleet attach --auc against simfleet's own AuC (issue 6): `auc serve`
# over HTTPS with a test PKI; subscribers imported through the API; one
# test-mode eUICC per subscriber with its profile installed and enabled.
# Attach succeeds; a USIM whose SQN ran ahead is resynchronised from AUTS
# (POST /v1/resync) and then succeeds; a wrong K in the AuC is a MAC
# failure; a suspended subscriber is refused; an IMSI not in the AuC is
# unknown; a wrong token is unauthorized; no key or token reaches the output.
# The server binds port 0; only the server started here is stopped, by PID.
# Usage: attach_auc.sh PATH/TO/simfleet
set -u
SF=${1:?usage: attach_auc.sh SIMFLEET}
for t in jq curl; do
	command -v $t >/dev/null || { echo "SKIP: $t not installed (scripts/bootstrap)"; exit 77; }
done
. "$(dirname "$0")/../cli/lib.bash"
SERVE_PID=""
trap '[ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null; rm -rf "$tmp"' EXIT

# ---- the AuC ----
"$SF" pki init --dir "$tmp/pki" >/dev/null || { echo "FAIL: pki init"; exit 1; }
D="$tmp/auc.db" M="$tmp/master.key"
"$SF" auc init --db "$D" --master-key "$M" >/dev/null || { echo "FAIL: auc init"; exit 1; }
TOKEN=$(rnd 24)
printf '# operator tokens\n%s\n' "$TOKEN" >"$tmp/tokens"
chmod 600 "$tmp/tokens"
WRONG=$(rnd 24)
printf '%s\n' "$WRONG" >"$tmp/wrong-token"
chmod 600 "$tmp/wrong-token"
LOG="$tmp/serve.log"
"$SF" auc serve --db "$D" --master-key "$M" --listen 127.0.0.1:0 --cert "$tmp/pki/dptls.pem" \
	--key "$tmp/pki/dptls.key" --tokens "$tmp/tokens" 2>"$LOG" &
SERVE_PID=$!
PORT=""
for _ in $(seq 100); do
	PORT=$(sed -n 's|^auc serve: listening on https://127\.0\.0\.1:\([0-9]*\)$|\1|p' "$LOG")
	[ -n "$PORT" ] && break
	kill -0 "$SERVE_PID" 2>/dev/null || break
	sleep 0.1
done
[ -n "$PORT" ] || { echo "FAIL: server not ready: $(cat "$LOG")"; exit 1; }
URL="https://localhost:$PORT"
call() {
	local args=(-sS --max-time 20 --cacert "$tmp/pki/ci.pem" -X "$1" "$URL$2"
		-H "Authorization: Bearer $TOKEN" -o "$tmp/body" -w '%{http_code}')
	[ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
	CODE=$(curl "${args[@]}")
	BODY=$(cat "$tmp/body")
}

# ---- subscribers: A ok, B stale SQN, C wrong K in the AuC, D suspended,
#      E not in the AuC ----
declare -A IMSI K OPC ST
n=0 rows=""
for s in A B C D E; do
	n=$((n + 1))
	iccid=$(luhn 890001234567890100$n)
	new_device $s 00101000000001$n "$iccid"
	k=${K[$s]}
	[ $s = C ] && k=$(rnd 16)
	[ $s = E ] && continue
	rows+="${rows:+,}{\"imsi\":\"${IMSI[$s]}\",\"iccid\":\"$iccid\",\"alg\":\"milenage\",\"k\":\"$k\",\"opc\":\"${OPC[$s]}\"}"
done
call POST /v1/subscribers "[$rows]"
expect_eq "import" "$CODE" 200
expect_eq "imported" "$(field "$BODY" imported)" 4
call POST "/v1/subscribers/${IMSI[D]}/suspend"
expect_eq "suspend D" "$(field "$BODY" status)" suspended

# attach_expect LABEL SUB RESULT [TOKENFILE]: runs attach on SUB's eUICC
attach_expect() {
	attach_check "$1" "$2" "$3" "$([ "$3" = ok ] && echo 0 || echo 1)" --auc "$URL" \
		--auc-token "${4:-$tmp/tokens}" --cacert "$tmp/pki/ci.pem"
	grep -q -e "$TOKEN" -e "$WRONG" <<<"$LAST$(cat "$tmp/err")" && bad "$1: a token reached the output"
}

attach_expect "A attach" A ok
expect_eq "A steps" "$(jq -c '[.steps[].step]' <<<"$LAST")" \
	'["select_usim","read_imsi","auc_vectors","authenticate","compare"]'
attach_expect "A attach again" A ok

# B: a stale SQN; the AuC resynchronises from the AUTS.
stale_sqn_case '["select_usim:","read_imsi:","auc_vectors:","authenticate:sync_failure","auc_resync:","auc_vectors:","authenticate:success","compare:"]' \
	auc_resync

attach_expect "C wrong K" C mac_failure
attach_expect "D suspended" D suspended
attach_expect "E not in the AuC" E unknown_subscriber
attach_expect "A wrong token" A auc_unauthorized "$tmp/wrong-token"
expect_eq "wrong token http" "$(jq -r '.steps[-1].http' <<<"$LAST")" 401

# Usage errors: a token file others can read, no token, plain http, both sources.
chmod 644 "$tmp/wrong-token"
"$SF" attach --state "${ST[A]}" --auc "$URL" --auc-token "$tmp/wrong-token" >/dev/null 2>"$tmp/err"
expect_eq "token mode exit" $? 2
grep -q "mode 0600" "$tmp/err" && ok || bad "token mode message: $(cat "$tmp/err")"
"$SF" attach --state "${ST[A]}" --auc "$URL" >/dev/null 2>&1
expect_eq "no token exit" $? 2
"$SF" attach --state "${ST[A]}" --auc "http://localhost:$PORT" --auc-token "$tmp/tokens" >/dev/null 2>&1
expect_eq "http exit" $? 2
"$SF" attach --state "${ST[A]}" --auc "$URL" --auc-token "$tmp/tokens" --hlr gsup://127.0.0.1:4222 >/dev/null 2>&1
expect_eq "two sources exit" $? 2
# Without --cacert the test CA is not trusted: an AuC error, not ok.
out=$("$SF" attach --state "${ST[A]}" --auc "$URL" --auc-token "$tmp/tokens" 2>/dev/null)
expect_eq "untrusted certificate" "$(field "$out" result)" auc_error

# Stop exactly our server; nothing secret in its log.
kill -TERM "$SERVE_PID"
wait "$SERVE_PID"
expect_eq "SIGTERM exit" "$?" 0
SERVE_PID=""
grep -q "$TOKEN" "$LOG" && bad "token in the server log" || ok
# The server gone: unreachable.
attach_expect "AuC stopped" A auc_unreachable
finish
