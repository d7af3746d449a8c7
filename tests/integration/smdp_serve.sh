#!/bin/bash
# simfleet smdp serve end to end on loopback (port 0): first start (test PKI,
# operator credentials), import while serving, ES2+ with `simfleet operator`
# (order, confirm, release, cancel, profile types, matchingIds, bearer
# tokens, operators isolated), ES9+ refusals with curl (header, JSON,
# unknown transactionId, size, method), whole downloads by an ES9+ client on
# the in-process eUICC (sf_es9client): install + PIR + operator notified,
# wrong matchingId, wrong confirmation code, another EID, too many attempts,
# cancelSession, a restart in the middle of a download, an expired order,
# the rate limit; the audit log; no secret in logs; graceful SIGTERM.
# Usage: smdp_serve.sh PATH/TO/simfleet PATH/TO/sf_es9client
set -u
SF=${1:?usage: smdp_serve.sh SIMFLEET ES9CLIENT}
ES9=${2:?usage: smdp_serve.sh SIMFLEET ES9CLIENT}
for t in jq curl python3; do
	command -v $t >/dev/null || { echo "SKIP: $t not installed (scripts/bootstrap)"; exit 77; }
done
. "$(dirname "$0")/../cli/lib.bash"
SERVE_PID="" LISTEN_PID=""
cleanup() {
	[ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null
	[ -n "$LISTEN_PID" ] && kill "$LISTEN_PID" 2>/dev/null && wait "$LISTEN_PID" 2>/dev/null
	[ -n "${KEEP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT

# eid BODY22: an EID in the test EUM's range 89049032 with its check digits
# (SGP.29: ISO 7064 MOD 97-10)
eid() { python3 -c "p='89049032$1'; print(p + '%02d' % (98 - int(p + '00') % 97))"; }

K=465b5ce8b199b49faa5f0a2ee238a6bc OPC=cd63cb71954a9f4e48a5994e37a02baf
ICC=()
for i in 1 2 3 4 5 6 7 8; do
	ic=$(luhn "890001234567890100$i")
	ICC+=("$ic")
	"$SF" profile build --iccid "$ic" --imsi "00101000000000$i" --alg milenage --k $K --opc $OPC \
		-o "$tmp/p$i.der" >/dev/null || { echo "FAIL: profile build $ic"; exit 1; }
done
PTYPE="simfleet USIM profile"
EID1=$(eid 0000000000000000111111) EID2=$(eid 0000000000000000222222)
CC=73519

# A listener for the operator's handleDownloadProgressInfo.
cat >"$tmp/listen.py" <<'EOF'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get('Content-Length', 0))
        with open(sys.argv[1], 'ab') as f:
            f.write(self.rfile.read(n) + b'\n')
        self.send_response(204); self.end_headers()
    def log_message(self, *a): pass
s = http.server.HTTPServer(('127.0.0.1', 0), H)
open(sys.argv[2], 'w').write(str(s.server_port))
s.serve_forever()
EOF
python3 "$tmp/listen.py" "$tmp/notices" "$tmp/nport" &
LISTEN_PID=$!
for _ in $(seq 50); do [ -s "$tmp/nport" ] && break; sleep 0.1; done
NPORT=$(cat "$tmp/nport")

D="$tmp/d" LOG="$tmp/serve.log"
cat >"$tmp/smdp.json" <<EOF
{"data": "$D", "max_attempts": 3, "max_cc_failures": 2, "session_ttl": 60,
 "max_body": 65536, "rate_limit": {"per_second": 1000, "burst": 1000},
 "operators": [{"name": "default", "notification_url": "http://127.0.0.1:$NPORT/notify"},
               {"name": "other"}]}
EOF
start() {
	local before
	before=$(cat "$2" 2>/dev/null | wc -l)
	"$SF" smdp serve --config "$1" --listen 127.0.0.1:0 2>>"$2" &
	SERVE_PID=$!
	PORT=""
	for _ in $(seq 100); do
		PORT=$(tail -n +$((before + 1)) "$2" |
			sed -n 's|^smdp serve: listening on https://127\.0\.0\.1:\([0-9]*\) .*|\1|p')
		[ -n "$PORT" ] && break
		kill -0 "$SERVE_PID" 2>/dev/null || break
		sleep 0.1
	done
	[ -n "$PORT" ] || { echo "FAIL: server not ready: $(cat "$2")"; exit 1; }
	URL="https://127.0.0.1:$PORT"
}
stop() {
	kill -TERM "$SERVE_PID"
	wait "$SERVE_PID"
	local rc=$?
	SERVE_PID=""
	return $rc
}
start "$tmp/smdp.json" "$LOG"
ok
grep -q "TEST PKI" "$LOG" && ok || bad "no test PKI notice: $(cat "$LOG")"
CRED="$D/operators/default.json" OCRED="$D/operators/other.json"
expect_eq "credentials mode" "$(stat -c %a "$CRED")" 600
expect_eq "credentials url" "$(jq -r .url "$CRED")" "$URL"
expect_eq "credentials operator" "$(jq -r .operator "$OCRED")" other
TOKEN=$(jq -r .token "$CRED")
CURL=(curl -sS --max-time 20 --cacert "$D/pki/ci.pem")
OP=("$SF" operator order --credentials "$CRED" --cacert "$D/pki/ci.pem")
OPX=("$SF" operator cancel --credentials "$CRED" --cacert "$D/pki/ci.pem")
state() { "$SF" smdp list --data "$D" | jq -r ".[] | select(.iccid == \"$1\") | .$2"; }

# Health.
expect_eq "health" "$("${CURL[@]}" "$URL/health" | jq -r .status)" ok

# Import while serving: six for default, two for other; duplicates and
# garbage are refused.
out=$("$SF" smdp import --config "$tmp/smdp.json" "$tmp"/p{1,2,3,4,5,6}.der)
expect_eq "import" "$(jq -s 'length' <<<"$out")" 6
expect_eq "import iccid/type" "$(jq -rs '.[0].iccid + "/" + .[0].profile_type' <<<"$out")" "${ICC[0]}/$PTYPE"
"$SF" smdp import --config "$tmp/smdp.json" --operator other "$tmp"/p{7,8}.der >/dev/null
expect_eq "import other" $? 0
"$SF" smdp import --config "$tmp/smdp.json" "$tmp/p1.der" >/dev/null 2>"$tmp/err"
expect_eq "duplicate import" $? 1
grep -q "already in the inventory" "$tmp/err" && ok || bad "duplicate message: $(cat "$tmp/err")"
head -c 100 /dev/urandom >"$tmp/junk.der"
"$SF" smdp import --config "$tmp/smdp.json" "$tmp/junk.der" >/dev/null 2>"$tmp/err"
expect_eq "junk import" $? 1
grep -q "not a SAIP profile package" "$tmp/err" && ok || bad "junk message: $(cat "$tmp/err")"
"$SF" smdp import --config "$tmp/smdp.json" --operator nobody "$tmp/p1.der" >/dev/null 2>&1
expect_eq "unknown operator import" $? 2
expect_eq "state available" "$(state "${ICC[0]}" state)" available

# ---- ES2+ ----
# Order by ICCID for EID1 with a confirmation code, released at once.
out=$("${OP[@]}" --iccid "${ICC[0]}" --eid "$EID1" --release --cc $CC)
expect_eq "order exit" $? 0
MID1=$(field "$out" matching_id)
expect_eq "order state" "$(field "$out" state)" released
expect_eq "activation code" "$(field "$out" activation_code)" "1\$127.0.0.1:$PORT\$$MID1"
expect_eq "db state" "$(state "${ICC[0]}" state)" released
expect_eq "db eid" "$(state "${ICC[0]}" eid)" "$EID1"
expect_eq "db cc" "$(state "${ICC[0]}" cc_required)" true
# Order by profile type, no EID: allocated; then confirm with a chosen
# matchingId in a second order; the same matchingId again is refused.
out=$("${OP[@]}" --profile-type "$PTYPE")
expect_eq "order by type" "$(field "$out" state)" allocated
T1=$(field "$out" iccid)
expect_eq "type picks the first available" "$T1" "${ICC[1]}"
expect_eq "allocated in db" "$(state "$T1" state)" allocated
out=$("${OP[@]}" --iccid "${ICC[2]}" --confirm --matching-id MY-ORDER-1)
expect_eq "confirm only" "$(field "$out" state)" confirmed
expect_eq "chosen matching id" "$(field "$out" matching_id)" MY-ORDER-1
"${OP[@]}" --iccid "${ICC[3]}" --confirm --matching-id MY-ORDER-1 >/dev/null 2>"$tmp/err"
expect_eq "matchingId in use" $? 1
grep -q "8.2.6/3.3" "$tmp/err" && ok || bad "matchingId in use: $(cat "$tmp/err")"
expect_eq "refused confirm leaves the order" "$(state "${ICC[3]}" state)" allocated
"$SF" operator release --credentials "$CRED" --cacert "$D/pki/ci.pem" --iccid "${ICC[2]}" >/dev/null
expect_eq "releaseProfile" "$(state "${ICC[2]}" state)" released
"$SF" operator release --credentials "$CRED" --cacert "$D/pki/ci.pem" --iccid "${ICC[2]}" >/dev/null 2>&1
expect_eq "release twice" $? 1
# A profile already ordered cannot be ordered again.
"${OP[@]}" --iccid "${ICC[0]}" >/dev/null 2>"$tmp/err"
expect_eq "order twice" $? 1
grep -q "8.2.1/3.5" "$tmp/err" && ok || bad "order twice: $(cat "$tmp/err")"
# Cancel: back to available, or unavailable.
out=$("${OPX[@]}" --iccid "${ICC[3]}")
expect_eq "cancel" "$(field "$out" state)" available
expect_eq "cancel in db" "$(state "${ICC[3]}" state)" available
"${OP[@]}" --iccid "${ICC[5]}" >/dev/null
"${OPX[@]}" --iccid "${ICC[5]}" --final unavailable >/dev/null
expect_eq "cancel unavailable" "$(state "${ICC[5]}" state)" unavailable
"${OPX[@]}" --iccid "${ICC[5]}" >/dev/null 2>&1
expect_eq "cancel without order" $? 1
# Operators see only their own profiles.
"$SF" operator order --credentials "$OCRED" --cacert "$D/pki/ci.pem" --iccid "${ICC[4]}" >/dev/null 2>"$tmp/err"
expect_eq "other operator's profile" $? 1
grep -q "8.2.1/3.9" "$tmp/err" && ok || bad "isolation: $(cat "$tmp/err")"
out=$("$SF" operator order --credentials "$OCRED" --cacert "$D/pki/ci.pem" --profile-type "$PTYPE")
expect_eq "other orders its own" "$(field "$out" iccid)" "${ICC[6]}"
# Exhaust the type: default has ICC[3] and ICC[4] left, then nothing.
"${OP[@]}" --profile-type "$PTYPE" >/dev/null && "${OP[@]}" --profile-type "$PTYPE" >/dev/null
"${OP[@]}" --profile-type "$PTYPE" >/dev/null 2>"$tmp/err"
expect_eq "type exhausted" $? 1
grep -q "8.2.5/3.7" "$tmp/err" && ok || bad "exhausted: $(cat "$tmp/err")"
"${OP[@]}" --profile-type "no such type" >/dev/null 2>&1
expect_eq "unknown type" $? 1
# Tokens and TLS.
jq '.token = "0123456789abcdef0123456789abcdef"' "$CRED" >"$tmp/wrong.json"
chmod 600 "$tmp/wrong.json"
"$SF" operator order --credentials "$tmp/wrong.json" --cacert "$D/pki/ci.pem" --iccid "${ICC[3]}" >/dev/null 2>"$tmp/err"
expect_eq "wrong token" $? 1
grep -q "HTTP 401" "$tmp/err" && ok || bad "wrong token: $(cat "$tmp/err")"
code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' -X POST "$URL/gsma/rsp2/es2plus/downloadOrder" \
	-H 'X-Admin-Protocol: gsma/rsp/v2.2.0' -H 'Content-Type: application/json' -d '{"iccid":"1"}')
expect_eq "ES2+ without token" "$code" 401
chmod 644 "$tmp/wrong.json"
"$SF" operator order --credentials "$tmp/wrong.json" --iccid 1 >/dev/null 2>"$tmp/err"
expect_eq "credentials not private" $? 2
"$SF" operator order --credentials "$CRED" --iccid "${ICC[3]}" >/dev/null 2>"$tmp/err"
expect_eq "TLS not trusted without --cacert" $? 1
"$SF" operator order --credentials "$CRED" --cacert "$D/pki/ci.pem" >/dev/null 2>&1
expect_eq "order needs iccid or type" $? 2

# ---- ES9+ refusals (curl) ----
es9() { # es9 FUNCTION BODY [curl args...]: sets CODE and BODY
	local fn=$1 body=$2
	shift 2
	CODE=$("${CURL[@]}" -o "$tmp/body" -w '%{http_code}' -X POST "$URL/gsma/rsp2/es9plus/$fn" \
		-H 'Content-Type: application/json' "$@" --data-binary "$body")
	BODY=$(cat "$tmp/body")
}
AP=(-H 'X-Admin-Protocol: gsma/rsp/v2.2.0')
sc() { jq -r '.header.functionExecutionStatus | .status + " " + (.statusCodeData.subjectCode // "") + "/" + (.statusCodeData.reasonCode // "")' <<<"$BODY"; }
es9 authenticateClient '{"transactionId":"00112233","authenticateServerResponse":"AAAA"}'
expect_eq "no X-Admin-Protocol" "$CODE $(sc)" "400 Failed 1.2.1/2.1"
es9 authenticateClient '{"transactionId":' "${AP[@]}"
expect_eq "bad JSON" "$CODE $(sc)" "400 Failed 1.2.1/2.1"
es9 authenticateClient '{"transactionId":"00112233","authenticateServerResponse":"AAAA"}' "${AP[@]}"
expect_eq "unknown transactionId" "$CODE $(sc)" "200 Failed 8.10.1/3.9"
es9 getBoundProfilePackage '{"transactionId":"zz","prepareDownloadResponse":"AAAA"}' "${AP[@]}"
expect_eq "transactionId not hex" "$CODE $(sc)" "400 Failed 1.2.1/2.1"
es9 cancelSession '{"transactionId":"0011","cancelSessionResponse":"AAAA"}' "${AP[@]}"
expect_eq "cancelSession unknown transactionId" "$(sc)" "Failed 8.10.1/3.9"
es9 handleNotification '{"pendingNotification":"not base64!"}' "${AP[@]}"
expect_eq "notification not base64" "$CODE" 400
es9 initiateAuthentication '{"euiccChallenge":"AAAA","euiccInfo1":"AAAA","smdpAddress":"x"}' "${AP[@]}"
expect_eq "short challenge" "$CODE $(sc)" "400 Failed 1.2.1/2.1"
es9 noSuchFunction '{}' "${AP[@]}"
expect_eq "unknown function" "$CODE" 404
code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' "$URL/gsma/rsp2/es9plus/initiateAuthentication" "${AP[@]}")
expect_eq "GET refused" "$code" 405
head -c 70000 /dev/zero | tr '\0' ' ' >"$tmp/big"
# Expect: 100-continue: the SM-DP+ refuses on Content-Length before the body
# is sent (otherwise curl may see the connection closed mid-upload).
es9 initiateAuthentication @"$tmp/big" "${AP[@]}" -H "Expect: 100-continue"
expect_eq "oversized body" "$CODE" 413
expect_eq "still healthy" "$("${CURL[@]}" "$URL/health" | jq -r .status)" ok

# ---- ES9+ downloads by the in-process eUICC ----
KEYS="$tmp/keys"
mkdir -p "$KEYS"
dl() { "$ES9" --url "$URL" --cacert "$D/pki/ci.pem" --pki "$D/pki" --keys "$KEYS" "$@" 2>>"$tmp/es9.log"; }
# Wrong SM-DP+ address.
out=$(dl --eid "$EID1" --matching-id "$MID1" --cc $CC --address smdp.example.org)
expect_eq "wrong address" "$(jq -r '.subjectCode + "/" + .reasonCode' <<<"$out")" "8.8.1/3.8"
# Unknown matchingId.
out=$(dl --eid "$EID1" --matching-id NO-SUCH-ORDER --cc $CC)
expect_eq "wrong matchingId" "$(jq -r '.step + " " + .subjectCode + "/" + .reasonCode' <<<"$out")" "authenticateClient 8.2.6/3.8"
# The order is for EID1: EID2 is refused and nothing is counted.
out=$(dl --eid "$EID2" --matching-id "$MID1" --cc $CC)
expect_eq "other EID" "$(jq -r '.subjectCode + "/" + .reasonCode' <<<"$out")" "8.1.1/3.8"
expect_eq "other EID: no attempt counted" "$(state "${ICC[0]}" attempts)" 0
# Wrong confirmation code: refused at getBoundProfilePackage, order kept.
out=$(dl --eid "$EID1" --matching-id "$MID1" --cc 00000)
expect_eq "wrong CC" "$(jq -r '.step + " " + .subjectCode + "/" + .reasonCode' <<<"$out")" "getBoundProfilePackage 8.2.7/3.8"
expect_eq "wrong CC keeps the order" "$(state "${ICC[0]}" state)" released
# No code at all where one is required.
out=$(dl --eid "$EID1" --matching-id "$MID1")
expect_eq "missing CC: the eUICC refuses" "$(jq -r '.step + " " + .subjectCode + "/" + .reasonCode' <<<"$out")" "getBoundProfilePackage 8.1/3.8"
# The whole download: installed, PIR accepted (204), operator notified.
out=$(dl --eid "$EID1" --matching-id "$MID1" --cc $CC)
expect_eq "download" "$(jq -r '.result + " " + .iccid' <<<"$out")" "installed ${ICC[0]}"
expect_eq "installed in db" "$(state "${ICC[0]}" state)" installed
out=$(dl --eid "$EID1" --matching-id "$MID1" --cc $CC)
expect_eq "installed order not downloadable again" "$(jq -r '.subjectCode + "/" + .reasonCode' <<<"$out")" "8.2.6/3.8"
for _ in $(seq 50); do grep -q '"notificationPointId":4' "$tmp/notices" 2>/dev/null && break; sleep 0.1; done
n4=$(grep '"notificationPointId":4' "$tmp/notices" | head -1)
expect_eq "handleDownloadProgressInfo install" "$(jq -r '.iccid + " " + .eid + " " + .notificationPointStatus.status' <<<"$n4")" "${ICC[0]} $EID1 Executed-Success"
grep -q '"notificationPointId":3' "$tmp/notices" && ok || bad "no BPP download notice: $(cat "$tmp/notices")"
grep -q '"notificationPointId":2' "$tmp/notices" && ok || bad "no confirmation failure notice"

# Released order without EID (ICC[2], MY-ORDER-1): binds to the first EID.
# A restart in the middle of a download: the session is gone, the order is
# retryable.
out=$(dl --eid "$EID2" --matching-id MY-ORDER-1 --stop-after authenticateClient)
expect_eq "stopped mid-download" "$(field "$out" result)" stopped
expect_eq "bound to EID2" "$(state "${ICC[2]}" eid)" "$EID2"
stop
expect_eq "graceful stop" $? 0
grep -q "smdp serve: stopped" "$LOG" && ok || bad "no stop line"
# group commit: every answer that depended on a write waited for a sync
waited=$(sed -n 's/^smdp serve: stopped (\([0-9]*\) answers waited for \([0-9]*\) syncs.*/\1 \2/p' "$LOG")
[ -n "$waited" ] && [ "${waited% *}" -ge 1 ] && [ "${waited#* }" -ge 1 ] &&
	ok || bad "stop line without a sync count: $(grep 'smdp serve: stopped' "$LOG")"
start "$tmp/smdp.json" "$LOG"
expect_eq "restart keeps the order" "$(state "${ICC[2]}" state)" released
# cancelSession postponed (1): the order stays; then the download succeeds.
out=$(dl --eid "$EID2" --matching-id MY-ORDER-1 --cancel 1)
expect_eq "cancelSession" "$(field "$out" result)" cancelled
expect_eq "postponed keeps the order" "$(state "${ICC[2]}" state)" released
out=$(dl --eid "$EID2" --matching-id MY-ORDER-1)
expect_eq "download after restart and cancel" "$(field "$out" result)" installed
expect_eq "attempts counted" "$(state "${ICC[2]}" attempts)" 3
# The BPP lost after getBoundProfilePackage: downloaded, and a retry installs.
"${OPX[@]}" --iccid "${ICC[4]}" >/dev/null
out=$("${OP[@]}" --iccid "${ICC[4]}" --release)
MID6=$(field "$out" matching_id)
out=$(dl --eid "$EID1" --matching-id "$MID6" --stop-after getBoundProfilePackage)
expect_eq "BPP lost" "$(field "$out" result)" stopped
expect_eq "downloaded" "$(state "${ICC[4]}" state)" downloaded
out=$(dl --eid "$EID1" --matching-id "$MID6")
expect_eq "retry of a downloaded order" "$(field "$out" result)" installed
expect_eq "retried order installed" "$(state "${ICC[4]}" state)" installed
# Too many attempts (max_attempts 3): the order fails.
"${OPX[@]}" --iccid "${ICC[3]}" >/dev/null
out=$("${OP[@]}" --iccid "${ICC[3]}" --release)
expect_eq "order for attempts" "$(field "$out" state)" released
MID3=$(field "$out" matching_id)
for i in 1 2 3; do dl --eid "$EID1" --matching-id "$MID3" --stop-after authenticateClient >/dev/null; done
out=$(dl --eid "$EID1" --matching-id "$MID3")
expect_eq "too many attempts" "$(jq -r '.subjectCode + "/" + .reasonCode' <<<"$out")" "8.8.5/6.4"
expect_eq "order failed" "$(state "${ICC[3]}" state)" error
out=$("${OPX[@]}" --iccid "${ICC[3]}")
expect_eq "failed order cancelled: available" "$(state "${ICC[3]}" state)" available
# cancelSession endUserRejection (0) ends the order.
out=$("${OP[@]}" --iccid "${ICC[3]}" --release)
MID4=$(field "$out" matching_id)
dl --eid "$EID1" --matching-id "$MID4" --cancel 0 >/dev/null
expect_eq "rejected by the user" "$(state "${ICC[3]}" state)" error

# Credentials instead of packages: the SM-DP+ personalises its template.
printf 'imsi,iccid,alg,k,opc\n001010000000031,%s,milenage,%s,%s\n001010000000032,%s,xor,%s,\n' \
	"$(luhn 8900012345678903001)" $K $OPC "$(luhn 8900012345678903002)" $K >"$tmp/subs.csv"
out=$("$SF" smdp import --config "$tmp/smdp.json" --subscribers "$tmp/subs.csv" --profile-type iot-eu --spn Acme)
expect_eq "subscribers import" "$(jq -rs 'map(.profile_type) | join(",")' <<<"$out")" "iot-eu,iot-eu"
printf 'imsi,iccid,alg,k,opc\n001010000000033,%s,milenage,00,%s\n' "$(luhn 8900012345678903003)" $OPC >"$tmp/bad.csv"
"$SF" smdp import --config "$tmp/smdp.json" --subscribers "$tmp/bad.csv" >/dev/null 2>"$tmp/err"
expect_eq "bad subscriber row" $? 2
grep -q "line 2, column k" "$tmp/err" && ok || bad "bad row message: $(cat "$tmp/err")"
out=$("${OP[@]}" --profile-type iot-eu --eid "$EID2" --release)
MID7=$(field "$out" matching_id)
out=$(dl --eid "$EID2" --matching-id "$MID7")
expect_eq "personalised profile downloaded" "$(jq -r '.result + " " + .iccid' <<<"$out")" "installed $(luhn 8900012345678903001)"
# The audit log: every action, no secret.
"$SF" smdp audit --data "$D" >"$tmp/audit"
expect_eq "audit: downloadOrder by operator" "$(jq -r '[.[] | select(.action == "downloadOrder" and .actor == "operator:default")] | length > 3' "$tmp/audit")" true
expect_eq "audit: refused token" "$(jq -r '[.[] | select(.result == "unauthorized")] | length > 0' "$tmp/audit")" true
expect_eq "audit: install" "$(jq -r '[.[] | select(.action == "handleNotification" and .result == "ok")] | length' "$tmp/audit")" 4
expect_eq "audit: CC failure" "$(jq -r '[.[] | select(.result == "ESMDP_CC")] | length > 0' "$tmp/audit")" true
for secret in "$TOKEN" "$CC" "$K" "$OPC"; do
	if grep -q -- "$secret" "$LOG" "$tmp/audit" "$D/smdp.db"; then bad "secret $secret in the log, audit or database"; else ok; fi
done

# Graceful stop.
stop
expect_eq "SIGTERM exit" $? 0

# A second SM-DP+: expired orders and the rate limit.
D2="$tmp/d2"
cat >"$tmp/short.json" <<EOF
{"data": "$D2", "order_ttl": 1, "session_ttl": 2, "rate_limit": {"per_second": 1, "burst": 20}}
EOF
start "$tmp/short.json" "$tmp/short.log"
"$SF" smdp import --config "$tmp/short.json" "$tmp/p1.der" >/dev/null
out=$("$SF" operator order --credentials "$D2/operators/default.json" --cacert "$D2/pki/ci.pem" --iccid "${ICC[0]}" --release)
MID5=$(field "$out" matching_id)
sleep 2
out=$("$ES9" --url "$URL" --cacert "$D2/pki/ci.pem" --pki "$D2/pki" --eid "$EID1" --matching-id "$MID5" 2>>"$tmp/es9.log")
expect_eq "expired order" "$(jq -r '.subjectCode + "/" + .reasonCode' <<<"$out")" "8.8.5/4.10"
# An ES9+ session expires (session_ttl 2; time is counted in whole seconds).
out=$("$ES9" --url "$URL" --cacert "$D2/pki/ci.pem" --pki "$D2/pki" --eid "$EID1" --matching-id "$MID5" --pause 4 2>>"$tmp/es9.log")
expect_eq "expired session" "$(jq -r '.step + " " + .subjectCode + "/" + .reasonCode' <<<"$out")" "authenticateClient 8.10.1/3.9"
codes=$(for i in $(seq 30); do "${CURL[@]}" --cacert "$D2/pki/ci.pem" -o /dev/null -w '%{http_code}\n' "$URL/health"; done | sort | uniq -c | tr -s ' ')
grep -q " 429" <<<"$codes" && ok || bad "rate limit: $codes"
stop
expect_eq "second stop" $? 0

finish
