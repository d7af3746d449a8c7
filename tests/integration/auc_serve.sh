#!/bin/bash
# simfleet auc serve end to end over HTTPS with curl: a test PKI for the
# server certificate, health, bearer tokens (401), all-or-nothing import,
# vectors accepted by the USIM side (`simfleet aka usim`), concurrent vector
# requests (group commit: distinct SQNs), resync from a real AUTS,
# suspend/resume, bad JSON (400, nothing changed), 404, 413, no token in the
# log, SIGTERM.  The server binds port 0 and prints its port when ready.
# Usage: auc_serve.sh PATH/TO/simfleet
set -u
SF=${1:?usage: auc_serve.sh SIMFLEET}
for t in jq curl; do
	command -v $t >/dev/null || { echo "SKIP: $t not installed (scripts/bootstrap)"; exit 77; }
done
. "$(dirname "$0")/../cli/lib.bash"
SERVE_PID=""
trap '[ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null; rm -rf "$tmp"' EXIT

"$SF" pki init --dir "$tmp/pki" >/dev/null || { echo "FAIL: pki init"; exit 1; }
D="$tmp/auc.db" M="$tmp/master.key"
"$SF" auc init --db "$D" --master-key "$M" >/dev/null || { echo "FAIL: auc init"; exit 1; }
TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '# operator tokens\n%s\n' "$TOKEN" >"$tmp/tokens"
chmod 600 "$tmp/tokens"
LOG="$tmp/serve.log"

# A tokens file readable by others is refused.
chmod 644 "$tmp/tokens"
"$SF" auc serve --db "$D" --master-key "$M" --listen 127.0.0.1:0 --cert "$tmp/pki/dptls.pem" \
	--key "$tmp/pki/dptls.key" --tokens "$tmp/tokens" 2>"$tmp/err" &
p=$!
wait $p
expect_eq "tokens file mode refused" "$?" 2
grep -q "mode 0600" "$tmp/err" && ok || bad "tokens mode message: $(cat "$tmp/err")"
chmod 600 "$tmp/tokens"

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
ok
URL="https://localhost:$PORT"
CURL=(curl -sS --max-time 20 --cacert "$tmp/pki/ci.pem" --tlsv1.2)
# call METHOD PATH [BODY]: sets CODE and BODY (authenticated)
call() {
	local args=(-X "$1" "$URL$2" -H "Authorization: Bearer $TOKEN" -o "$tmp/body" -w '%{http_code}')
	[ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
	CODE=$("${CURL[@]}" "${args[@]}")
	BODY=$(cat "$tmp/body")
}

# Health, without a token; /v1 needs one.
out=$("${CURL[@]}" "$URL/health")
expect_eq "health" "$(field "$out" status)" ok
code=$("${CURL[@]}" -o "$tmp/body" -w '%{http_code}' -X POST "$URL/v1/vectors" --data '{}')
expect_eq "no token" "$code" 401
expect_eq "401 body" "$(jq -r .error "$tmp/body")" unauthorized
code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' -X POST "$URL/v1/vectors" \
	-H "Authorization: Bearer ${TOKEN}x" --data '{}')
expect_eq "wrong token" "$code" 401
# TLS: the server's certificate chains to the test CI; 1.1 is refused.
"${CURL[@]}" --tls-max 1.1 -o /dev/null "$URL/health" 2>/dev/null && bad "TLS 1.1 accepted" || ok

K1=465b5ce8b199b49faa5f0a2ee238a6bc OPC1=cd63cb71954a9f4e48a5994e37a02baf
K2=0396eb317b6d1c36f19c1c84cd6ffd16 OPC2=53c15671c60a4b731c55b4a441c0bde2
I1=001010000000001 I2=001010000000002 I3=001010000000003

# Import: a bad row changes nothing; then the good ones.
call POST /v1/subscribers "[{\"imsi\":\"$I3\",\"alg\":\"milenage\",\"k\":\"$K1\",\"opc\":\"$OPC1\"},{\"imsi\":\"$I2\",\"alg\":\"milenage\",\"k\":\"$K2\",\"opc\":\"zz\"}]"
expect_eq "bad import" "$CODE" 400
expect_eq "bad import error" "$(field "$BODY" error)" invalid_subscriber
call POST /v1/vectors "{\"imsi\":\"$I3\"}"
expect_eq "bad import: first row not imported" "$CODE" 404
call POST /v1/subscribers "[{\"imsi\":\"$I1\",\"iccid\":\"89000123456789012341\",\"alg\":\"milenage\",\"k\":\"$K1\",\"opc\":\"$OPC1\"},{\"imsi\":\"$I2\",\"alg\":\"milenage\",\"k\":\"$K2\",\"opc\":\"$OPC2\"}]"
expect_eq "import" "$CODE" 200
expect_eq "imported" "$(field "$BODY" imported)" 2
call POST /v1/subscribers "[{\"imsi\":\"$I1\",\"alg\":\"milenage\",\"k\":\"$K1\",\"opc\":\"$OPC1\"}]"
expect_eq "duplicate import" "$CODE" 409
# The same import as the CSV of `auc import` (text/csv): a bad row names its
# line and column and imports nothing; a good file imports every row.
csv() {
	CODE=$("${CURL[@]}" -X POST "$URL/v1/subscribers" -H "Authorization: Bearer $TOKEN" \
		-H 'Content-Type: text/csv' --data-binary "$1" -o "$tmp/body" -w '%{http_code}')
	BODY=$(cat "$tmp/body")
}
I4=001010000000404 I5=001010000000405
csv "imsi,iccid,alg,k,opc
$I4,,milenage,$K1,$OPC1
$I5,,milenage,$K2,zz"
expect_eq "bad CSV import" "$CODE" 400
grep -q "line 3, column opc" <<<"$BODY" && ok || bad "bad CSV: no line/column: $BODY"
call POST /v1/vectors "{\"imsi\":\"$I4\"}"
expect_eq "bad CSV: first row not imported" "$CODE" 404
csv "imsi,iccid,alg,k,opc
$I4,,milenage,$K1,$OPC1
$I5,,milenage,$K2,$OPC2"
expect_eq "CSV import" "$CODE" 200
expect_eq "CSV imported" "$(field "$BODY" imported)" 2

# Vectors, accepted by the USIM side of the AKA engine.
call POST /v1/vectors "{\"imsi\":\"$I1\",\"n\":3,\"type\":\"3g\"}"
expect_eq "vectors" "$CODE" 200
expect_eq "3 vectors" "$(jq length <<<"$BODY")" 3
expect_eq "first SQN" "$(jq -r '.[0].sqn' <<<"$BODY")" 000000000020
r=$("$SF" aka usim --alg milenage --k $K1 --opc $OPC1 --rand "$(jq -r '.[1].rand' <<<"$BODY")" \
	--autn "$(jq -r '.[1].autn' <<<"$BODY")" 2>&1)
expect_eq "USIM accepts" "$(field "$r" result)" ok
expect_eq "RES = XRES" "$(field "$r" res)" "$(jq -r '.[1].xres' <<<"$BODY")"
expect_eq "CK" "$(field "$r" ck)" "$(jq -r '.[1].ck' <<<"$BODY")"
call POST /v1/vectors "{\"imsi\":\"$I1\",\"type\":\"5g\",\"plmn\":\"001-01\"}"
expect_eq "5g keys" "$(jq -r '.[0] | (.xres_star|length), (.hxres_star|length), (.kausf|length)' <<<"$BODY" | tr '\n' ' ')" "32 32 64 "
call POST /v1/vectors "{\"imsi\":\"$I1\",\"type\":\"eps\",\"plmn\":\"001-01\"}"
expect_eq "eps kasme" "$(jq -r '.[0].kasme|length' <<<"$BODY")" 64
call POST /v1/vectors "{\"imsi\":\"$I1\",\"type\":\"gsm\",\"n\":2}"
expect_eq "gsm triplets" "$(jq -r '.[1].sres|length' <<<"$BODY")" 8
call POST /v1/vectors "{\"imsi\":\"$I1\",\"type\":\"eps\"}"
expect_eq "eps needs plmn" "$CODE" 400
call POST /v1/vectors "{\"imsi\":\"001019999999999\"}"
expect_eq "unknown subscriber" "$CODE" 404
expect_eq "unknown error" "$(field "$BODY" error)" unknown_subscriber

# Concurrent requests (batched by the event loop): every SQN distinct.
for i in $(seq 20); do
	"${CURL[@]}" -X POST "$URL/v1/vectors" -H "Authorization: Bearer $TOKEN" \
		--data "{\"imsi\":\"$I1\",\"n\":2}" -o "$tmp/c$i" &
done
wait $(jobs -p | grep -v "^$SERVE_PID\$") 2>/dev/null
n=$(cat "$tmp"/c* | jq -r '.[].sqn' | sort -u | wc -l)
expect_eq "40 distinct SQNs from 20 concurrent requests" "$n" 40

# Resync from a real AUTS: a USIM that has seen SEQ 1000.
call POST /v1/vectors "{\"imsi\":\"$I2\"}"
RAND=$(jq -r '.[0].rand' <<<"$BODY")
auts=$("$SF" aka usim --alg milenage --k $K2 --opc $OPC2 --rand "$RAND" \
	--autn "$(jq -r '.[0].autn' <<<"$BODY")" --sqn-ms 000000007d00 2>/dev/null | jq -r .auts)
call POST /v1/resync "{\"imsi\":\"$I2\",\"rand\":\"$RAND\",\"auts\":\"$auts\"}"
expect_eq "resync" "$CODE" 200
expect_eq "resync seq_he" "$(field "$BODY" seq_he)" 1000
call POST /v1/vectors "{\"imsi\":\"$I2\"}"
expect_eq "after resync" "$(jq -r '.[0].sqn' <<<"$BODY")" 000000007d20
call POST /v1/resync "{\"imsi\":\"$I2\",\"rand\":\"$RAND\",\"auts\":\"${auts:0:26}00\"}"
expect_eq "bad AUTS" "$CODE" 400

# Suspend: refused; resume: served again.
call POST /v1/subscribers/$I1/suspend
expect_eq "suspend" "$(field "$BODY" status)" suspended
call POST /v1/vectors "{\"imsi\":\"$I1\"}"
expect_eq "suspended refused" "$CODE" 409
expect_eq "suspended error" "$(field "$BODY" error)" suspended
call POST /v1/subscribers/$I1/resume
expect_eq "resume" "$(field "$BODY" status)" active
call POST /v1/subscribers/001019999999999/suspend
expect_eq "suspend unknown" "$CODE" 404

# Bad JSON: 400, and nothing changed (the next SQN follows the last one).
call POST /v1/vectors "{\"imsi\":\"$I2\""
expect_eq "bad json" "$CODE" 400
expect_eq "bad json error" "$(field "$BODY" error)" bad_json
call POST /v1/subscribers '[{"imsi":'
expect_eq "bad json import" "$CODE" 400
call POST /v1/vectors "{\"imsi\":\"$I2\"}"
expect_eq "nothing consumed" "$(jq -r '.[0].sqn' <<<"$BODY")" 000000007d40

# Unknown routes, too large bodies.
call GET /v1/nothing
expect_eq "unknown route" "$CODE" 404
call GET /nothing
expect_eq "unknown route outside /v1" "$CODE" 404
head -c 1100000 /dev/zero | tr '\0' ' ' >"$tmp/big"
code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' -X POST "$URL/v1/subscribers" \
	-H "Authorization: Bearer $TOKEN" --data-binary @"$tmp/big")
expect_eq "body too large" "$code" 413

# Stop exactly our server; nothing secret in its log.
kill -TERM "$SERVE_PID"
wait "$SERVE_PID"
expect_eq "SIGTERM exit" "$?" 0
SERVE_PID=""
grep -q "auc serve: stopped" "$LOG" && ok || bad "no stop line: $(cat "$LOG")"
for s in "$TOKEN" $K1 $OPC1 "$(tr -d '\n' <"$M")"; do
	grep -qi "$s" "$LOG" && bad "secret in the log" || ok
done
# The SEQ_HE the server committed is what the offline tool sees.
v=$("$SF" auc vectors --db "$D" --master-key "$M" --imsi $I2)
expect_eq "offline after serve" "$(jq -r '.[0].sqn' <<<"$v")" 000000007d60
finish
