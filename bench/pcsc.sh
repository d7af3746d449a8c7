#!/bin/bash
# PC/SC benchmark of the software eUICC: starts a private pcscd with vpcd
# (tests/integration/pcsc-env.sh), 'simfleet euicc serve --vpcd', and runs
# pcsc_client.  Prints its JSON lines.  Usage: pcsc.sh BUILD_DIR
set -u
BUILD=${1:?usage: pcsc.sh BUILD_DIR}
SF=$BUILD/simfleet
CLIENT=$BUILD/bench/pcsc_client
skip() {
	echo "bench/pcsc.sh: skipped: $*" >&2
	exit 0
}
[ -x "$CLIENT" ] || skip "pcsc_client not built (libpcsclite-dev missing)"
. "$(dirname "$0")/../tests/integration/pcsc-env.sh"
READER="Virtual PCD 00 00"
"$SF" euicc init --state "$tmp/st" --test-mode >/dev/null
"$SF" profile build --iccid 89000123456789012341 --imsi 001010123456789 --alg milenage \
	--k 465b5ce8b199b49faa5f0a2ee238a6bc --opc cd63cb71954a9f4e48a5994e37a02baf \
	-o "$tmp/p.der" >/dev/null
"$SF" euicc install-local --state "$tmp/st" --enable "$tmp/p.der" >/dev/null || die "install-local"
start_pcscd_fresh "$tmp/pcscd.log" || die "private pcscd did not start"
"$SF" euicc serve --state "$tmp/st" --vpcd 127.0.0.1:$PORT 2>"$tmp/serve.log" &
SERVE_PID=$!
wait_log "$tmp/serve.log" "serving EID" || die "serve did not connect to vpcd"
for _ in $(seq 100); do
	timeout 10 pcsc_scan -c 2>&1 | grep -q "ATR: " && break
	sleep 0.1
done
"$CLIENT" "$READER" || die "pcsc_client failed"
