#!/bin/bash
# simfleet euicc serve --socket, end to end with an independent client
# (sockclient.c): ATR, APDUs as a T=0 terminal sends them, logical channels,
# AUTHENTICATE against 'simfleet aka gen', a new client = cold reset, framing
# errors drop only that client, stale/live/foreign socket paths, SIGTERM.
# Usage: socket.sh PATH/TO/simfleet PATH/TO/sf_sockclient
set -u
SF=${1:?usage: socket.sh SIMFLEET SOCKCLIENT}
SC=${2:?usage: socket.sh SIMFLEET SOCKCLIENT}
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 77; }
pass=0 fail=0
tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
expect_eq() { if [ "$2" = "$3" ]; then ok; else bad "$1: got '$2' want '$3'"; fi; }
expect_match() { if [[ $2 =~ $3 ]]; then ok; else bad "$1: '$2' does not match /$3/"; fi; }

# start_serve LOG ARGS...: starts serve in the background, sets SERVE_PID,
# waits (10 s max) for its ready line.
start_serve() {
	local log=$1
	shift
	"$SF" euicc serve "$@" 2>"$log" &
	SERVE_PID=$!
	pids+=("$SERVE_PID")
	for _ in $(seq 100); do
		grep -q "serving EID" "$log" && return 0
		kill -0 "$SERVE_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
# stop_serve SIG: sends SIG, waits, sets STOP_RC to the exit status (not in a
# subshell: only this shell can wait for its child).
stop_serve() {
	kill -"$1" "$SERVE_PID"
	wait "$SERVE_PID"
	STOP_RC=$?
}

# The ATR of src/card/channel.c (golden: offers T=0, as LPAs require).
ATR=3B9F96801FC78031E073FE211B633A204E8300900093
ISDR=A0000005591010FFFFFFFF8900000100
ICCID=8944500102198304826
K=465b5ce8b199b49faa5f0a2ee238a6bc
OPC=cd63cb71954a9f4e48a5994e37a02baf

EID=$("$SF" euicc init --state "$tmp/st" --test-mode | jq -r .eid)
"$SF" profile build --iccid $ICCID --imsi 001010123456789 --alg milenage --k $K --opc $OPC \
	-o "$tmp/p.der" >/dev/null
"$SF" euicc install-local --state "$tmp/st" --enable "$tmp/p.der" >/dev/null
expect_eq "setup" "$("$SF" euicc profiles --state "$tmp/st" | jq -r '.profiles[0].state')" enabled

S=$tmp/card.sock
# ---- usage errors ----------------------------------------------------------------------
"$SF" euicc serve --state "$tmp/st" 2>"$tmp/err"
expect_eq "neither --vpcd nor --socket" $? 2
"$SF" euicc serve --state "$tmp/st" --socket "$S" --vpcd 127.0.0.1 2>"$tmp/err"
expect_eq "both --vpcd and --socket" $? 2
"$SF" euicc serve --state "$tmp/st" --vpcd 127.0.0.1:99999 2>"$tmp/err"
expect_eq "bad port exit" $? 2
expect_match "bad port named" "$(cat "$tmp/err")" "--vpcd '127.0.0.1:99999'"
"$SF" euicc serve --state "$tmp/nope" --socket "$S" 2>"$tmp/err"
expect_eq "not a state dir" $? 2
echo keep >"$tmp/file"
"$SF" euicc serve --state "$tmp/st" --socket "$tmp/file" 2>"$tmp/err"
expect_eq "path is a regular file: exit" $? 2
expect_eq "regular file untouched" "$(cat "$tmp/file")" keep
"$SF" euicc serve --state "$tmp/st" --socket "$tmp/$(printf 'x%.0s' $(seq 120))" 2>"$tmp/err"
expect_eq "path too long" $? 2

# ---- serve, socket mode, lock ------------------------------------------------------------
if ! start_serve "$tmp/serve.log" --state "$tmp/st" --socket "$S"; then
	bad "serve did not start: $(cat "$tmp/serve.log")"
	echo "socket.sh: $pass passed, $fail failed"
	exit 1
fi
expect_eq "ready line" "$(cat "$tmp/serve.log")" "simfleet: serving EID $EID on socket $S"
expect_eq "socket mode" "$(stat -c %a "$S")" 600
"$SF" euicc profiles --state "$tmp/st" >/dev/null 2>"$tmp/err"
expect_eq "state locked while served" $? 1
"$SF" euicc init --state "$tmp/st2" --test-mode >/dev/null
"$SF" euicc serve --state "$tmp/st2" --socket "$S" 2>"$tmp/err"
expect_eq "live socket refused" $? 1
expect_match "live socket message" "$(cat "$tmp/err")" "another process is serving"
[ -S "$S" ] && ok || bad "live socket removed by the refused serve"

# ---- ATR and APDUs ------------------------------------------------------------------------
expect_eq "ATR" "$("$SC" "$S" atr)" $ATR
out=$("$SC" "$S" on atr reset atr)
expect_eq "control bytes" "$out" "$ATR"$'\n'"$ATR"
expect_match "SELECT ISD-R: T=0 61xx" "$("$SC" "$S" 00A4040010$ISDR)" '^61[0-9A-F]{2}$'
out=$("$SC" -t "$S" 00A4040010$ISDR 80E2910006BF3E035C015A)
expect_match "SELECT ISD-R FCI" "$(sed -n 1p <<<"$out")" "^6F.*8410$ISDR.*9000$"
expect_eq "GetEID" "$(sed -n 2p <<<"$out")" "BF3E125A10${EID}9000"
# MANAGE CHANNEL open, the ISD-R on that channel, lpac's GET RESPONSE CLA (8x).
out=$("$SC" "$S" 0070000001 01A4040010$ISDR 81E2910006BF3E035C015A 81C0000015 \
	81E2910003BF2D00 0070800100)
expect_eq "MANAGE CHANNEL open" "$(sed -n 1p <<<"$out")" 019000
expect_match "SELECT on channel 1" "$(sed -n 2p <<<"$out")" '^61[0-9A-F]{2}$'
expect_eq "GetEID on channel 1" "$(sed -n 3p <<<"$out")" 6115
expect_eq "GET RESPONSE CLA 81" "$(sed -n 4p <<<"$out")" "BF3E125A10${EID}9000"
expect_match "GetProfilesInfo" "$(sed -n 5p <<<"$out")" '^61[0-9A-F]{2}$'
expect_eq "MANAGE CHANNEL close" "$(sed -n 6p <<<"$out")" 9000
# ProfileInfoList: ICCID in swapped BCD, profileState enabled (1).
out=$("$SC" -t "$S" 0070000001 01A4040010$ISDR 81E2910003BF2D00)
expect_match "ProfileInfo ICCID + enabled" "$(sed -n 3p <<<"$out")" \
	'^BF2D.*5A0A984405102091384028F6.*9F700101.*9000$'

# A new client is a cold reset: channel 1 of the previous client is closed.
expect_match "new client: channel 1 closed" "$("$SC" "$S" 81E2910006BF3E035C015A)" '^68(81|82)$'

# AUTHENTICATE (TS 31.102 §7.1.2, 3G context) with a vector of 'aka gen'.
V=$("$SF" aka gen --alg milenage --k $K --opc $OPC --sqn 000000000021 --amf 8000 \
	--rand 23553cbe9637a89d218ae64dae47bf35)
R=$(jq -r .rand <<<"$V" | tr a-f A-F)
A=$(jq -r .autn <<<"$V" | tr a-f A-F)
RES=$(jq -r .res <<<"$V" | tr a-f A-F)
CK=$(jq -r .ck <<<"$V" | tr a-f A-F)
IK=$(jq -r .ik <<<"$V" | tr a-f A-F)
out=$("$SC" -t "$S" 00A4040407A0000000871002 0088008122"10${R}10${A}" 0088008122"10${R}10${A}")
expect_match "SELECT ADF.USIM" "$(sed -n 1p <<<"$out")" '9000$'
expect_match "AUTHENTICATE RES CK IK" "$(sed -n 2p <<<"$out")" "^DB08${RES}10${CK}10${IK}.*9000$"
expect_match "replayed AUTN: sync failure (AUTS)" "$(sed -n 3p <<<"$out")" '^DC0E[0-9A-F]{28}9000$'

# ---- framing errors drop the client, not the service ------------------------------------
expect_eq "length 0" "$("$SC" "$S" raw:0000 eof)" closed
expect_eq "length 2" "$("$SC" "$S" raw:00020000 eof)" closed
expect_eq "unknown control octet" "$("$SC" "$S" raw:000199 eof)" closed
expect_eq "truncated frame" "$("$SC" "$S" raw:000A00A4 eof)" open # still waiting for 8 octets
kill -0 "$SERVE_PID" 2>/dev/null && ok || bad "serve died on a framing error"
expect_eq "served after errors" "$("$SC" "$S" atr)" $ATR

# ---- SIGTERM: exit 0, socket removed, state free --------------------------------------------
stop_serve TERM
expect_eq "SIGTERM exit" "$STOP_RC" 0
[ ! -e "$S" ] && ok || bad "socket file left behind"
expect_eq "state usable after stop" "$("$SF" euicc profiles --state "$tmp/st" | jq -r '.profiles[0].iccid')" $ICCID

# ---- a stale socket (serve killed) is replaced ----------------------------------------------
start_serve "$tmp/serve2.log" --state "$tmp/st" --socket "$S" || bad "restart: $(cat "$tmp/serve2.log")"
kill -KILL "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null
[ -S "$S" ] && ok || bad "no stale socket after SIGKILL"
if start_serve "$tmp/serve3.log" --state "$tmp/st" --socket "$S"; then
	ok
	expect_eq "ATR after stale replace" "$("$SC" "$S" atr)" $ATR
	stop_serve INT
	expect_eq "SIGINT exit" "$STOP_RC" 0
else
	bad "stale socket not replaced: $(cat "$tmp/serve3.log")"
fi

echo "socket.sh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
