#!/bin/bash
# simfleet smdp serve when the disk stops syncing (group commit, docs/smdp.md
# "States"): an ES2+ order is answered only after the WAL is synced; when
# fdatasync fails (the failsync.so shim, LD_PRELOAD, fails it with EIO while a
# trigger file exists) the waiting answer is refused with HTTP 503 and
# 8.8/4.2 (retry later), nothing claims success, and the server stops with a
# failure status.  Restarted on a working disk it opens the same database
# and serves; a request that only reads is answered while the disk fails.
# Usage: smdp_syncfail.sh PATH/TO/simfleet PATH/TO/failsync.so
set -u
SF=${1:?usage: smdp_syncfail.sh SIMFLEET FAILSYNC_SO}
SHIM=${2:?usage: smdp_syncfail.sh SIMFLEET FAILSYNC_SO}
for t in jq curl; do
	command -v $t >/dev/null || { echo "SKIP: $t not installed (scripts/bootstrap)"; exit 77; }
done
. "$(dirname "$0")/../cli/lib.bash"
SERVE_PID=""
cleanup() {
	[ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

K=465b5ce8b199b49faa5f0a2ee238a6bc OPC=cd63cb71954a9f4e48a5994e37a02baf
ICC=(89000123456789011004 89000123456789011012 89000123456789011020)
for i in 0 1 2; do
	"$SF" profile build --iccid "${ICC[$i]}" --imsi "00101000000010$i" --alg milenage \
		--k $K --opc $OPC -o "$tmp/p$i.der" >/dev/null || { echo "FAIL: profile build"; exit 1; }
done
D="$tmp/d" LOG="$tmp/serve.log" FAIL="$tmp/disk-fails"
echo "{\"data\": \"$D\"}" >"$tmp/smdp.json"

# start [PRELOAD]: smdp serve on port 0, optionally with the shim
start() {
	local before
	before=$(cat "$LOG" 2>/dev/null | wc -l)
	if [ -n "${1:-}" ]; then
		# ASan must come first unless told otherwise; the shim only wraps two calls
		LD_PRELOAD="$1${LD_PRELOAD:+:$LD_PRELOAD}" SF_FAILSYNC="$FAIL" ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
			"$SF" smdp serve --config "$tmp/smdp.json" --listen 127.0.0.1:0 2>>"$LOG" &
	else
		"$SF" smdp serve --config "$tmp/smdp.json" --listen 127.0.0.1:0 2>>"$LOG" &
	fi
	SERVE_PID=$!
	PORT=""
	for _ in $(seq 100); do
		PORT=$(tail -n +$((before + 1)) "$LOG" |
			sed -n 's|^smdp serve: listening on https://127\.0\.0\.1:\([0-9]*\) .*|\1|p')
		[ -n "$PORT" ] && break
		kill -0 "$SERVE_PID" 2>/dev/null || break
		sleep 0.1
	done
	[ -n "$PORT" ] || { echo "FAIL: server not ready: $(cat "$LOG")"; exit 1; }
	URL="https://127.0.0.1:$PORT"
}
state() { "$SF" smdp list --data "$D" | jq -r ".[] | select(.iccid == \"$1\") | .$2"; }

start "$SHIM"
CRED="$D/operators/default.json"
OP=("$SF" operator order --credentials "$CRED" --cacert "$D/pki/ci.pem")
"$SF" smdp import --config "$tmp/smdp.json" "$tmp"/p{0,1,2}.der >/dev/null
expect_eq "import" $? 0

# A working disk: the order is answered after its sync.
out=$("${OP[@]}" --iccid "${ICC[0]}" --release)
expect_eq "order on a working disk" "$(field "$out" state)" released

# The disk fails: a read is still answered, a write is refused.
touch "$FAIL"
expect_eq "health while failing" "$(curl -sS --max-time 20 --cacert "$D/pki/ci.pem" "$URL/health" |
	jq -r .status)" ok
# (with curl, to see the answer as sent: 503, its own headers once,
# Connection: close, the SGP.22 status)
curl -sS --max-time 20 --cacert "$D/pki/ci.pem" -D "$tmp/hdr" -o "$tmp/body" \
	-H "Authorization: Bearer $(jq -r .token "$CRED")" -H "X-Admin-Protocol: gsma/rsp/v2.2.0" \
	-H "Content-Type: application/json" \
	--data "{\"header\": {\"functionRequesterIdentifier\": \"default\", \"functionCallIdentifier\": \"1\"}, \"iccid\": \"${ICC[1]}\"}" \
	"$URL/gsma/rsp2/es2plus/downloadOrder"
expect_eq "refused: HTTP status" "$(head -1 "$tmp/hdr" | cut -d' ' -f2)" 503
expect_eq "refused: X-Admin-Protocol once" "$(grep -ci '^X-Admin-Protocol:' "$tmp/hdr")" 1
expect_eq "refused: Content-Type once" "$(grep -ci '^Content-Type:' "$tmp/hdr")" 1
grep -qi '^Connection: close' "$tmp/hdr" && ok || bad "refused: no Connection: close: $(cat "$tmp/hdr")"
expect_eq "refused: status" "$(jq -r '.header.functionExecutionStatus.status' "$tmp/body")" Failed
expect_eq "refused: code" "$(jq -r '.header.functionExecutionStatus.statusCodeData |
	.subjectCode + "/" + .reasonCode' "$tmp/body")" 8.8/4.2
grep -q durable "$tmp/body" && ok || bad "refusal message: $(cat "$tmp/body")"
expect_eq "refused: no iccid in the answer" "$(jq -r '.iccid // "none"' "$tmp/body")" none
# ... and the server stops, saying why, with a failure status.
for _ in $(seq 100); do kill -0 "$SERVE_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$SERVE_PID" 2>/dev/null && { bad "the server did not stop"; kill -KILL "$SERVE_PID"; }
wait "$SERVE_PID"
expect_eq "server exit status" $? 1
SERVE_PID=""
grep -q "cannot be synced to disk: stopping" "$LOG" && ok || bad "stop reason: $(cat "$LOG")"
grep -q "syncing the WAL" "$LOG" && ok || bad "sync error: $(cat "$LOG")"

# A working disk again: the same database opens and serves.  Whether the
# refused change reached the disk is unknown by construction; the row is in
# a lifecycle state either way, and the rest is intact.
rm -f "$FAIL"
start
expect_eq "first order kept" "$(state "${ICC[0]}" state)" released
st=$(state "${ICC[1]}" state)
case $st in available | allocated | released) ok ;; *) bad "refused order's row: '$st'" ;; esac
out=$("${OP[@]}" --iccid "${ICC[2]}" --release)
expect_eq "order after restart" "$(field "$out" state)" released
kill -TERM "$SERVE_PID" && wait "$SERVE_PID"
expect_eq "graceful stop" $? 0
SERVE_PID=""
finish
