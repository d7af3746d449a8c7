#!/bin/bash
# The operators' notifications (handleDownloadProgressInfo) outlive the
# SM-DP+: while the operator's endpoint answers 503, a download's
# notifications wait in the outbox; a stop does not wait for their retries;
# after a restart (also after SIGKILL) they are delivered, once each, and
# not again at the next start.  The endpoint is a listener started here (it
# answers 503 while a flag file exists); only the processes started here
# are stopped, by PID.
# Usage: smdp_outbox.sh PATH/TO/simfleet
set -u
SF=${1:?usage: smdp_outbox.sh SIMFLEET}
for t in jq python3; do
	command -v $t >/dev/null || { echo "SKIP: $t not installed (scripts/bootstrap)"; exit 77; }
done
. "$(dirname "$0")/../cli/lib.bash"
SERVE_PID="" LISTEN_PID=""
cleanup() {
	[ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null
	[ -n "$LISTEN_PID" ] && kill "$LISTEN_PID" 2>/dev/null && wait "$LISTEN_PID" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

cat >"$tmp/listen.py" <<'EOF'
import http.server, os, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        if os.path.exists(sys.argv[3]):
            self.send_response(503); self.end_headers(); return
        with open(sys.argv[1], 'ab') as f:
            f.write(body + b'\n')
        self.send_response(204); self.end_headers()
    def log_message(self, *a): pass
s = http.server.HTTPServer(('127.0.0.1', 0), H)
open(sys.argv[2], 'w').write(str(s.server_port))
s.serve_forever()
EOF
DOWN=$tmp/down
touch "$DOWN"
: >"$tmp/notices"
python3 "$tmp/listen.py" "$tmp/notices" "$tmp/nport" "$DOWN" &
LISTEN_PID=$!
for _ in $(seq 50); do [ -s "$tmp/nport" ] && break; sleep 0.1; done
NPORT=$(cat "$tmp/nport")

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
D="$tmp/smdp" LOG="$tmp/smdp.log"
cat >"$tmp/smdp.json" <<EOF
{"data": "$D", "notification_retry": 1,
 "operators": [{"name": "default", "notification_url": "http://127.0.0.1:$NPORT/notify"}]}
EOF
start() { smdp_start "$LOG" --config "$tmp/smdp.json" --listen "127.0.0.1:$PORT"; }
# points ICCID: the notificationPointIds received for ICCID, sorted
points() { jq -r --arg i "$1" 'select(.iccid == $i) | .notificationPointId' <"$tmp/notices" | sort | tr '\n' ' '; }
# download ICCID STATE: a new eUICC, an order for it, the whole download
download() {
	local out eid ac
	out=$("$SF" euicc init --state "$2" --pki "$D/pki") || bad "euicc init"
	eid=$(field "$out" eid)
	out=$("$SF" operator order --credentials "$D/operators/default.json" --cacert "$D/pki/ci.pem" \
		--iccid "$1" --eid "$eid" --release) || bad "order"
	ac=$(field "$out" activation_code)
	out=$("$SF" device download --state "$2" --activation-code "$ac" --cacert "$D/pki/ci.pem" 2>/dev/null)
	expect_eq "download $1" "$(field "$out" result)" ok
}

start
I1=$(luhn 890001234567800033) I2=$(luhn 890001234567800041)
printf 'imsi,iccid,alg,k,opc\n001010000000931,%s,milenage,%s,%s\n001010000000932,%s,milenage,%s,%s\n' \
	"$I1" "$(rnd 16)" "$(rnd 16)" "$I2" "$(rnd 16)" "$(rnd 16)" >"$tmp/subs.csv"
"$SF" smdp import --config "$tmp/smdp.json" --subscribers "$tmp/subs.csv" >/dev/null || bad "import"

# ---- the endpoint answers 503: the notifications wait; the stop does not ----
download "$I1" "$tmp/dev1"
for _ in $(seq 100); do grep -q "handleDownloadProgressInfo to .*: try 1: HTTP 503" "$LOG" && break; sleep 0.1; done
grep -q "try 1: HTTP 503" "$LOG" && ok || bad "no failed try: $(cat "$LOG")"
t0=$(date +%s%N)
kill -TERM "$SERVE_PID" && wait "$SERVE_PID"
expect_eq "stopped cleanly" $? 0
SERVE_PID=""
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -lt 5000 ] && ok || bad "the stop waited for the retries: $ms ms"
grep -q "not delivered before the stop; in the outbox for the next start" "$LOG" && ok || bad "not kept: $(cat "$LOG")"
expect_eq "nothing delivered yet" "$(points "$I1")" ""

# ---- the endpoint answers again: a restart delivers them ----
rm -f "$DOWN"
start
for _ in $(seq 100); do [ "$(points "$I1")" = "1 3 4 " ] && break; sleep 0.1; done
grep -q "(from the outbox, attempt [0-9]*): try 1: HTTP 204" "$LOG" && ok ||
	bad "not from the outbox: $(cat "$LOG")"
expect_eq "delivered after the restart" "$(points "$I1")" "1 3 4 "
expect_eq "the install one" "$(jq -r --arg i "$I1" 'select(.iccid == $i and .notificationPointId == 4) | .notificationPointStatus.status' <"$tmp/notices")" \
	Executed-Success

# ---- SIGKILL with notifications waiting: delivered after the restart (the
# ones the killed server had in hand once their lease of 10 s is over) ----
touch "$DOWN"
download "$I2" "$tmp/dev2"
for _ in $(seq 100); do [ "$(grep -c "try 1: HTTP 503" "$LOG")" -ge 1 ] && break; sleep 0.1; done
kill -KILL "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null
SERVE_PID=""
expect_eq "nothing delivered before the kill" "$(points "$I2")" ""
rm -f "$DOWN"
start
for _ in $(seq 300); do [ "$(points "$I2")" = "1 3 4 " ] && break; sleep 0.1; done
expect_eq "delivered after SIGKILL" "$(points "$I2")" "1 3 4 "

# ---- delivered ones are gone from the outbox: the next start sends nothing ----
kill -TERM "$SERVE_PID" && wait "$SERVE_PID"
SERVE_PID=""
n=$(wc -l <"$tmp/notices")
start
sleep 1
grep -q "from the outbox" "$LOG" && bad "delivered again: $(cat "$LOG")" || ok
expect_eq "no notification twice" "$(wc -l <"$tmp/notices")" "$n"
kill -TERM "$SERVE_PID" && wait "$SERVE_PID"
SERVE_PID=""
finish
