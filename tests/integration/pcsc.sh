#!/bin/bash
# The software eUICC as a PC/SC card, driven by tools nobody here wrote:
# a private pcscd with the vsmartcard vpcd driver, 'simfleet euicc serve
# --vpcd', then pcsc_scan (reader, ATR) and scriptor (pcsc-tools) sending what
# an LPA and a terminal send: SELECT ISD-R on the basic and on a logical
# channel, ES10c GetEID, ES10b GetProfilesInfo, SELECT ADF.USIM, AUTHENTICATE
# with a vector from 'simfleet aka gen', GET RESPONSE after each 61xx; then
# pcscd restarted under the running card (serve reconnects).
#
# Isolation: pcscd 1.9.9 (Debian 12) has its socket and pid file compiled in
# (/run/pcscd); only clients honour PCSCLITE_CSOCK_NAME.  So pcscd runs in a
# private mount namespace (unshare) with a temporary directory bound over /run,
# and reads a private reader.conf.d (--config) whose vpcd entry uses a free
# port pair; clients are pointed at the socket with PCSCLITE_CSOCK_NAME.  A
# system pcscd, if any, is not touched.  vpcd listens on all interfaces.
#
# Exit 77 (skip) when pcscd, the vpcd driver, pcsc-tools or a usable mount
# namespace are missing.  Usage: pcsc.sh PATH/TO/simfleet
set -u
SF=${1:?usage: pcsc.sh SIMFLEET}
skip() {
	echo "SKIP: $* (install: apt-get install pcscd vsmartcard-vpcd pcsc-tools)"
	exit 77
}
. "$(dirname "$0")/pcsc-env.sh"

# ---- a fresh test-mode eUICC with an enabled Milenage profile ---------------------------------
ATR="3B 9F 96 80 1F C7 80 31 E0 73 FE 21 1B 63 3A 20 4E 83 00 90 00 93" # src/card/channel.c
ISDR=A0000005591010FFFFFFFF8900000100
ICCID=8944500102198304826
K=465b5ce8b199b49faa5f0a2ee238a6bc
OPC=cd63cb71954a9f4e48a5994e37a02baf
EID=$("$SF" euicc init --state "$tmp/st" --test-mode | jq -r .eid)
"$SF" profile build --iccid $ICCID --imsi 001010123456789 --alg milenage --k $K --opc $OPC \
	-o "$tmp/p.der" >/dev/null
"$SF" euicc install-local --state "$tmp/st" --enable "$tmp/p.der" >/dev/null || die "install-local failed"

start_pcscd_fresh "$tmp/pcscd.log" || die "private pcscd did not start (port $PORT)"
"$SF" euicc serve --state "$tmp/st" --vpcd 127.0.0.1:$PORT 2>"$tmp/serve.log" &
SERVE_PID=$!
wait_log "$tmp/serve.log" "serving EID" || die "serve did not connect to vpcd"
expect_eq "ready line" "$(grep serving "$tmp/serve.log")" \
	"simfleet: serving EID $EID on vpcd 127.0.0.1:$PORT"

# ---- pcsc_scan: the reader and our ATR -----------------------------------------------------
expect_match "pcsc_scan -r" "$(timeout 10 pcsc_scan -r 2>&1)" "0: $READER"
# wait_card: until pcscd has seen the card (it polls presence), sets scan.
wait_card() {
	for _ in $(seq 100); do
		scan=$(timeout 10 pcsc_scan -c 2>&1)
		[[ $scan == *"ATR: "* ]] && return 0
		sleep 0.1
	done
	return 1
}
wait_card
expect_match "pcsc_scan card inserted" "$scan" "Reader 0: $READER"$'\n'".*Card inserted"
expect_match "pcsc_scan ATR" "$scan" "ATR: $ATR"

# ---- scriptor as a terminal: one session, GET RESPONSE after 61xx -----------------------------
coproc SCRIPTOR { exec scriptor -u -r "$READER" 2>"$tmp/scriptor.log"; }
SC_PID=$SCRIPTOR_PID
# apdu HEX: sends one C-APDU through scriptor, sets RSP (data||SW, hex, no spaces).
apdu() {
	local line acc="" started=0
	echo "$1" >&"${SCRIPTOR[1]}"
	while IFS= read -r -t 20 line <&"${SCRIPTOR[0]}"; do
		case $line in "< "*) started=1 line=${line#< } ;; esac
		[ $started = 1 ] || continue
		if [[ $line == *" : "* ]]; then
			acc+=" ${line%% : *}"
			RSP=${acc// /}
			return 0
		fi
		acc+=" $line"
	done
	RSP="<no answer: $(tail -n 3 "$tmp/scriptor.log" | tr '\n' ' ')>"
	return 1
}
# xfer HEX: as a T=0 terminal (TS 102 221 §7.3.1.1.4): 61xx -> GET RESPONSE on
# the command's channel, 6Cxx -> the command again with Le = xx.  Sets RSP to
# all data || the final SW, and SW1ST to the first status word.
xfer() {
	local cmd=$1 data="" ch
	ch=$(printf '%02X' $((0x${cmd:0:2} & 3)))
	apdu "$cmd" || return 1
	SW1ST=${RSP: -4}
	for _ in $(seq 64); do
		case ${RSP: -4} in
		61??) data+=${RSP:0:-4}; apdu "${ch}C00000${RSP: -2}" || return 1 ;;
		6C??) cmd=${cmd:0:-2}${RSP: -2}; apdu "$cmd" || return 1 ;;
		*) break ;;
		esac
	done
	RSP=$data$RSP
}

xfer 00A4040010$ISDR
expect_match "SELECT ISD-R (basic): 61xx" "$SW1ST" '^61..$'
expect_match "SELECT ISD-R (basic): FCI" "$RSP" "^6F.*8410$ISDR.*9000$"
xfer 0070000001
expect_match "MANAGE CHANNEL open" "$RSP" '^0[1-3]9000$'
CH=${RSP:1:1}
xfer 0${CH}A4040010$ISDR
expect_match "SELECT ISD-R (channel $CH)" "$RSP" "^6F.*8410$ISDR.*9000$"
xfer 8${CH}E2910006BF3E035C015A
expect_eq "GetEID (channel $CH)" "$RSP" "BF3E125A10${EID}9000"
xfer 8${CH}E2910003BF2D00
expect_match "GetProfilesInfo: ICCID, enabled" "$RSP" '^BF2D.*5A0A984405102091384028F6.*9F700101.*9000$'
xfer 80E2910006BF3E035C015A
expect_eq "GetEID (basic)" "$RSP" "BF3E125A10${EID}9000"
xfer 0070800${CH}00
expect_eq "MANAGE CHANNEL close" "$RSP" 9000

V=$("$SF" aka gen --alg milenage --k $K --opc $OPC --sqn 000000000021 --amf 8000)
R=$(jq -r .rand <<<"$V" | tr a-f A-F)
A=$(jq -r .autn <<<"$V" | tr a-f A-F)
RES=$(jq -r .res <<<"$V" | tr a-f A-F)
CK=$(jq -r .ck <<<"$V" | tr a-f A-F)
IK=$(jq -r .ik <<<"$V" | tr a-f A-F)
xfer 00A4040407A0000000871002
expect_match "SELECT ADF.USIM" "$RSP" '9000$'
xfer 0088008122"10${R}10${A}"
expect_match "AUTHENTICATE: 61xx" "$SW1ST" '^61..$'
expect_match "AUTHENTICATE: RES CK IK" "$RSP" "^DB08${RES}10${CK}10${IK}.*9000$"
xfer 0088008122"10${R}10${A}"
expect_match "AUTHENTICATE replayed: AUTS" "$RSP" '^DC0E.{28}9000$'
echo exit >&"${SCRIPTOR[1]}"
wait "$SC_PID"
expect_eq "scriptor exit" $? 0
SC_PID=

# ---- pcscd goes away and comes back: serve reconnects ---------------------------------------
stop_pid "$PCSCD_PID"
PCSCD_PID=
wait_log "$tmp/serve.log" "connection ended" || bad "serve did not notice vpcd going away"
kill -0 "$SERVE_PID" 2>/dev/null && ok || bad "serve died with pcscd"
start_pcscd "$tmp/pcscd2.log" || die "second pcscd did not start"
wait_log "$tmp/serve.log" "again serving EID" || bad "serve did not reconnect"
wait_card || bad "pcscd does not see the card after the reconnect"
out=$(printf '00A4040010%s\n00C0000014\n80E2910006BF3E035C015A\n00C0000015\n' $ISDR |
	timeout 20 scriptor -r "$READER" 2>>"$tmp/scriptor.log")
expect_match "GetEID after reconnect" "${out//[ $'\n']/}" "<BF3E125A10${EID}9000:"

# ---- SIGTERM: clean exit, state unlocked -----------------------------------------------------
stop_pid_rc() { kill -TERM "$1"; wait "$1"; STOP_RC=$?; }
stop_pid_rc "$SERVE_PID"
SERVE_PID=
expect_eq "serve SIGTERM exit" "$STOP_RC" 0
expect_eq "state usable after serve" \
	"$("$SF" euicc profiles --state "$tmp/st" | jq -r '.profiles[0].iccid')" $ICCID

echo "pcsc.sh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
