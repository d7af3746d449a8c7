#!/bin/bash
# Issue 6: SendAuthInfo-equivalent requests/s with a durable SQN, simfleet's
# AuC (`auc serve`, HTTPS JSON, one 3G vector per POST /v1/vectors) against
# osmo-hlr 1.5 (GSUP SendAuthInfo, SQN kept in its SQLite DB), in the same
# run, both on loopback with their databases on disk in one temporary
# directory, 1,000 subscribers provisioned into each (the same CSV:
# `auc import` and `auc export --to osmo-hlr`).  Load: bench/https_client
# (libcurl multi, keep-alive, CONC requests in flight, 64 by default) and bench/sai_client
# (one GSUP connection, WINDOW requests in flight, also 64), SECONDS each.  Prints one
# JSON line; skips (exit 0, a line on stderr) where osmo-hlr, jq or a client
# is missing, or osmo-hlr's fixed ports (4222/4258/4259) are taken.  Only the
# processes started here are stopped, by their PID.
# Usage: auc_vs_hlr.sh BUILD_DIR   (env: SECONDS_EACH, CONC, WINDOW)
set -u
BUILD=${1:?usage: auc_vs_hlr.sh BUILD_DIR}
SF=$BUILD/simfleet
SAI=$BUILD/bench/sai_client
HTTPS=$BUILD/bench/https_client
DUR=${SECONDS_EACH:-3} CONC=${CONC:-64} WINDOW=${WINDOW:-64}
N=1000 FIRST=001010000000000
skip() {
	echo "bench/auc_vs_hlr.sh: skipped: $*" >&2
	exit 0
}
die() {
	echo "bench/auc_vs_hlr.sh: $*" >&2
	exit 1
}
command -v osmo-hlr >/dev/null || skip "osmo-hlr not installed (scripts/bootstrap)"
command -v jq >/dev/null || skip "jq not installed"
[ -x "$SF" ] || skip "$SF not built"
[ -x "$SAI" ] || skip "sai_client not built (libosmo-gsup-client-dev missing)"
[ -x "$HTTPS" ] || skip "https_client not built (libcurl-dev missing)"
for port in 4222 4258 4259; do
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
		skip "127.0.0.1:$port is in use (another osmo-hlr?)"
	fi
done

# On disk (not tmpfs) for both databases.
tmp=$(mktemp -d "${TMPDIR:-/var/tmp}/sf-auc-vs-hlr.XXXXXX") || die "mktemp"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

# ---- 1,000 subscribers: random K/OPc, Luhn-valid ICCIDs ----
od -An -v -N$((N * 32)) -tx1 /dev/urandom | tr -d ' \n' |
	awk -v n=$N -v first=$FIRST '
	function luhn(s,   i, d, sum, dbl) {
		sum = 0; dbl = 1
		for (i = length(s); i >= 1; i--) {
			d = substr(s, i, 1) + 0
			if (dbl) { d *= 2; if (d > 9) d -= 9 }
			sum += d; dbl = 1 - dbl
		}
		return s ((10 - sum % 10) % 10)
	}
	{ hex = $0 }
	END {
		print "imsi,iccid,alg,k,opc"
		for (i = 0; i < n; i++) {
			imsi = sprintf("%s%06d", substr(first, 1, 9), substr(first, 10) + i)
			iccid = luhn(sprintf("890001234%010d", i))
			printf "%s,%s,milenage,%s,%s\n", imsi, iccid, substr(hex, i * 64 + 1, 32), substr(hex, i * 64 + 33, 32)
		}
	}' >"$tmp/subs.csv"
[ "$(wc -l <"$tmp/subs.csv")" = $((N + 1)) ] || die "subscriber CSV"

# ---- simfleet's AuC ----
"$SF" pki init --dir "$tmp/pki" >/dev/null || die "pki init"
"$SF" auc init --db "$tmp/auc.db" --master-key "$tmp/master.key" >/dev/null || die "auc init"
"$SF" auc import --db "$tmp/auc.db" --master-key "$tmp/master.key" "$tmp/subs.csv" >/dev/null ||
	die "auc import"
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tmp/tokens"
chmod 600 "$tmp/tokens"
"$SF" auc serve --db "$tmp/auc.db" --master-key "$tmp/master.key" --listen 127.0.0.1:0 \
	--cert "$tmp/pki/dptls.pem" --key "$tmp/pki/dptls.key" --tokens "$tmp/tokens" \
	2>"$tmp/serve.log" &
pids+=($!)
PORT=""
for _ in $(seq 100); do
	PORT=$(sed -n 's|^auc serve: listening on https://127\.0\.0\.1:\([0-9]*\)$|\1|p' "$tmp/serve.log")
	[ -n "$PORT" ] && break
	kill -0 "${pids[0]}" 2>/dev/null || break
	sleep 0.1
done
[ -n "$PORT" ] || die "auc serve did not start: $(cat "$tmp/serve.log")"

# ---- osmo-hlr, its DB on disk ----
. "$(dirname "$0")/../tests/integration/osmo-hlr-env.bash"
start_osmo_hlr "$tmp" || die "osmo-hlr did not come up: $(cat "$tmp/hlr.log")"
out=$("$SF" auc export --to osmo-hlr --ctrl 127.0.0.1:4259 --input "$tmp/subs.csv" 2>"$tmp/err") ||
	die "auc export: $(cat "$tmp/err")"
[ "$(jq -r .exported <<<"$out")" = $N ] || die "auc export: $out"

# ---- load, one after the other ----
a=$("$HTTPS" "https://localhost:$PORT" "$tmp/tokens" "$tmp/pki/ci.pem" $FIRST $N "$CONC" "$DUR") ||
	die "https_client failed"
h=$("$SAI" 127.0.0.1 4222 $FIRST $N "$WINDOW" "$DUR") || die "sai_client failed"
echo "auc: $a; osmo-hlr: $h" >&2
V=$(jq .rps <<<"$a") P=$(jq .rps <<<"$h")
jq -cn --argjson v "$V" --argjson p "$P" \
	'{name: "auc.sai_requests", unit: "requests/s", value: $v,
	  peer: "osmo-hlr 1.5 GSUP SendAuthInfo", peer_value: $p,
	  ratio: (if $p > 0 then ($v / $p * 100 | round / 100) else null end), target_ratio: 10}'
