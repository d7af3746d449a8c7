#!/bin/bash
# `simfleet device download --retries N`: a device whose SM-DP+ is down at
# first power-up keeps trying and downloads once the SM-DP+ is back; a
# refusal is not retried; a download without --retries fails at once.  The
# SM-DP+ is stopped and started again on the same loopback port (a free one
# chosen here); only the processes started here are stopped, by PID.
# Usage: device_retry.sh PATH/TO/simfleet
set -u
SF=${1:?usage: device_retry.sh SIMFLEET}
for t in jq python3; do
	command -v $t >/dev/null || { echo "SKIP: $t not installed (scripts/bootstrap)"; exit 77; }
done
. "$(dirname "$0")/../cli/lib.bash"
SERVE_PID="" DL_PID=""
cleanup() {
	[ -n "$DL_PID" ] && kill "$DL_PID" 2>/dev/null && wait "$DL_PID" 2>/dev/null
	[ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
D="$tmp/smdp" LOG="$tmp/smdp.log"
start() { smdp_start "$LOG" --data "$D" --listen "127.0.0.1:$PORT"; }
stop() { kill -TERM "$SERVE_PID" && wait "$SERVE_PID"; SERVE_PID=""; }

start
CRED="$D/operators/default.json" CA="$D/pki/ci.pem"
ICC=$(luhn 890001234567800009)
printf 'imsi,iccid,alg,k,opc\n001010000000909,%s,milenage,%s,%s\n' "$ICC" "$(rnd 16)" "$(rnd 16)" \
	>"$tmp/subs.csv"
"$SF" smdp import --data "$D" --subscribers "$tmp/subs.csv" >/dev/null || bad "smdp import"
out=$("$SF" euicc init --state "$tmp/dev" --pki "$D/pki") || bad "euicc init"
EID=$(field "$out" eid)
out=$("$SF" operator order --credentials "$CRED" --cacert "$CA" --iccid "$ICC" --eid "$EID" \
	--release) || bad "order"
AC=$(field "$out" activation_code)
stop

# The SM-DP+ is down.  Without --retries: one attempt, a failure.
"$SF" device download --state "$tmp/dev" --activation-code "$AC" --cacert "$CA" \
	>"$tmp/out" 2>"$tmp/err"
expect_eq "down, no retries: exit" $? 1
expect_eq "down, no retries: attempts" "$(field "$(cat "$tmp/out")" attempts)" 1
grep -q retrying "$tmp/err" && bad "retried without --retries" || ok
"$SF" device download --state "$tmp/dev" --activation-code "$AC" --retry-wait 1 >/dev/null 2>&1
expect_eq "--retry-wait alone" $? 2

# With --retries: still trying when the SM-DP+ comes back, then installed.
"$SF" device download --state "$tmp/dev" --activation-code "$AC" --cacert "$CA" \
	--retries 5 --retry-wait 1 >"$tmp/out" 2>"$tmp/err" &
DL_PID=$!
for _ in $(seq 100); do grep -q "retrying in" "$tmp/err" && break; sleep 0.1; done
grep -q "attempt 1 failed: .*retrying in [0-9]* s (5 of 5 left)" "$tmp/err" && ok ||
	bad "first retry line: $(cat "$tmp/err")"
start
wait "$DL_PID"
expect_eq "back up: exit" $? 0
DL_PID=""
out=$(cat "$tmp/out")
expect_eq "back up: result" "$(field "$out" result)" ok
expect_eq "back up: iccid" "$(field "$out" iccid)" "$ICC"
n=$(field "$out" attempts)
[ "$n" -ge 2 ] && [ "$n" -le 6 ] && ok || bad "attempts: $n"
expect_eq "installed at the SM-DP+" \
	"$("$SF" smdp list --data "$D" | jq -r --arg i "$ICC" '.[] | select(.iccid == $i) | .state')" \
	installed

# A refusal is final: a wrong matchingId is not retried.
"$SF" device download --state "$tmp/dev" --activation-code "1\$127.0.0.1:$PORT\$NO-SUCH-ORDER" \
	--cacert "$CA" --retries 3 --retry-wait 1 >"$tmp/out" 2>"$tmp/err"
expect_eq "refused: exit" $? 1
expect_eq "refused: attempts" "$(field "$(cat "$tmp/out")" attempts)" 1
expect_eq "refused: subject" "$(jq -r .smdp_status.subjectCode <"$tmp/out")" 8.2.6
grep -q retrying "$tmp/err" && bad "a refusal was retried: $(cat "$tmp/err")" || ok
stop
finish
