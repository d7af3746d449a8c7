#!/bin/bash
# Shared by tests/integration/pcsc.sh and bench/pcsc.sh: a private pcscd with
# the vsmartcard vpcd driver in its own mount namespace (pcscd 1.9.9 has its
# socket path compiled in; clients follow PCSCLITE_CSOCK_NAME), on the first
# free vpcd port pair from 35963.  Source it after defining skip(); it
# brings tests/cli/lib.bash (ok, bad, expect_eq, wait_line, $tmp...), sets
# the cleanup trap, and defines die(), expect_match,
# start_pcscd LOG, wait_log FILE REGEX [N], stop_pid PID, listening PORT.
for t in pcscd pcsc_scan scriptor unshare jq; do
	command -v $t >/dev/null || skip "$t not installed"
done
VPCD_LIB=
for d in /usr/lib/pcsc/drivers/serial /usr/lib/*/pcsc/drivers/serial /usr/local/lib/pcsc/drivers/serial; do
	[ -e "$d/libifdvpcd.so" ] && VPCD_LIB=$d/libifdvpcd.so && break
done
[ -n "$VPCD_LIB" ] || skip "the vpcd driver (libifdvpcd.so, package vsmartcard-vpcd) is not installed"
# Root gets a plain mount namespace; others a user namespace mapped to root.
if [ "$(id -u)" -eq 0 ]; then
	NS=(unshare --mount --propagation private)
else
	NS=(unshare --map-root-user --mount --propagation private)
fi
"${NS[@]}" true 2>/dev/null || skip "cannot create a private mount namespace (${NS[*]})"

# counters, $tmp, ok/bad/expect_eq, wait_line and the rest (its trap is
# replaced by cleanup below)
. "$(dirname "${BASH_SOURCE[0]}")/../cli/lib.bash"
PCSCD_PID= SERVE_PID= SC_PID=
stop_pid() { # stop_pid PID: TERM, wait (our child)
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}
cleanup() {
	[ -n "$SC_PID" ] && kill "$SC_PID" 2>/dev/null
	stop_pid "$SERVE_PID"
	stop_pid "$PCSCD_PID"
	rm -rf "$tmp"
}
trap cleanup EXIT
# SF_KEEP_TMP=1 keeps the temporary directory (pcscd, serve, scriptor logs) for debugging.
[ -n "${SF_KEEP_TMP:-}" ] && trap "echo kept $tmp; stop_pid \"\$SERVE_PID\"; stop_pid \"\$PCSCD_PID\"" EXIT

expect_match() { if [[ $2 =~ $3 ]]; then ok; else bad "$1: '$2' does not match /$3/"; fi; }
die() {
	bad "$*"
	for f in "$tmp"/*.log; do echo "--- $f" >&2; tail -n 30 "$f" >&2; done
	echo "pcsc.sh: $pass passed, $fail failed"
	exit 1
}

# listening PORT: is something listening on TCP PORT (any address)?
listening() {
	local hex
	hex=$(printf '%04X' "$1")
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk -v p=":$hex" '$2 ~ p"$" && $4 == "0A" {f=1} END {exit !f}'
}
# port_used PORT: does any TCP socket (listening, connected, TIME_WAIT...)
# have PORT as its local port?  An outgoing connection of another test can
# hold a port in the vpcd range as its ephemeral source port.
port_used() {
	local hex
	hex=$(printf '%04X' "$1")
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk -v p=":$hex" '$2 ~ p"$" {f=1} END {exit !f}'
}
# pick_ports FROM: vpcd takes two ports (two slots); the first free pair from
# FROM becomes PORT, and the reader configuration is written for it.
pick_ports() {
	PORT=
	for p in $(seq "$1" 2 36199); do
		if ! port_used $p && ! port_used $((p + 1)); then PORT=$p; break; fi
	done
	[ -n "$PORT" ] || die "no free port pair for vpcd in $1..36200"
	cat >"$tmp/conf/vpcd" <<EOF
FRIENDLYNAME "Virtual PCD"
DEVICENAME   /dev/null:$(printf '0x%04X' $PORT)
LIBPATH      $VPCD_LIB
CHANNELID    $(printf '0x%04X' $PORT)
EOF
}
mkdir -p "$tmp/conf" "$tmp/run"
pick_ports 35963
export PCSCLITE_CSOCK_NAME=$tmp/run/pcscd/pcscd.comm
READER="Virtual PCD 00 00"

# start_pcscd LOG: private pcscd in the background, waits until vpcd listens
# on both of its ports (a slot that cannot bind makes pcscd drop the reader).
start_pcscd() {
	# exec: unshare execs sh, sh execs pcscd, so $! is pcscd's PID.
	"${NS[@]}" sh -c 'mount --bind "$1" /run && exec pcscd --foreground --config "$2" --apdu --debug' \
		sh "$tmp/run" "$tmp/conf" >"$1" 2>&1 &
	PCSCD_PID=$!
	for _ in $(seq 100); do
		listening $PORT && listening $((PORT + 1)) && [ -S "$PCSCLITE_CSOCK_NAME" ] && return 0
		kill -0 "$PCSCD_PID" 2>/dev/null || return 1
		grep -q "Could not initialize connection" "$1" 2>/dev/null && break
		sleep 0.1
	done
	stop_pid "$PCSCD_PID"
	PCSCD_PID=
	return 1
}
# start_pcscd_fresh LOG: start_pcscd, moving to the next free port pair when
# one of the ports was taken in the meantime (up to 5 tries).  Only for the
# first start: a running serve keeps the port it was given.
start_pcscd_fresh() {
	for _ in 1 2 3 4 5; do
		start_pcscd "$1" && return 0
		pick_ports $((PORT + 2))
	done
	return 1
}
# wait_log FILE REGEX [N]: until FILE has N (default 1) lines matching (10 s).
wait_log() {
	for _ in $(seq 100); do
		[ "$(grep -c -E "$2" "$1" 2>/dev/null)" -ge "${3:-1}" ] && return 0
		sleep 0.1
	done
	return 1
}

