#!/bin/bash
# Issue 6: SendAuthInfo requests/s with a durable SQN, simfleet's AuC against
# osmo-hlr 1.5 (SQN kept in its SQLite DB), in the same run, one after the
# other, both on loopback with their databases on disk in one temporary
# directory, 1,000 subscribers provisioned into each (the same CSV: `auc
# import` and `auc export --to osmo-hlr`).
#   1. `auc serve --gsup`: GSUP SendAuthInfo (5 vectors each, osmo-hlr's
#      default) with bench/sai_client (libosmo-gsup-client, one connection,
#      WINDOW requests in flight, 64 by default);
#   2. osmo-hlr: the same client, the same window, the same IMSIs;
#   3. `auc serve` HTTPS JSON (one 3G vector per POST /v1/vectors) with
#      bench/https_client (libcurl multi, keep-alive, CONC in flight, 64).
# Phases 1 and 2 alternate ROUNDS times (3 by default), SECONDS_EACH each
# (2 by default), so that a change in the load other jobs put on the machine
# hits both servers alike; each figure is the total answered over the total
# time of its rounds (every round on stderr).  Phase 3 runs once, SECONDS_EACH
# * ROUNDS.  Prints two JSON lines: auc.sai_requests
# (GSUP, same protocol and client as osmo-hlr: the issue's figure) and
# auc.https_requests, each with osmo-hlr's figure and the ratio.  Skips (exit
# 0, a line on stderr) where osmo-hlr, jq or a client is missing, or
# osmo-hlr's fixed ports (4222/4258/4259) stay taken for WAIT_PORTS seconds
# (60 by default: another osmo-hlr test may hold them briefly).  Only the
# processes started here are stopped, by their PID.
# Usage: auc_vs_hlr.sh BUILD_DIR
#        (env: SECONDS_EACH, ROUNDS, CONC, WINDOW, WAIT_PORTS)
set -u
BUILD=${1:?usage: auc_vs_hlr.sh BUILD_DIR}
SF=$BUILD/simfleet
SAI=$BUILD/bench/sai_client
HTTPS=$BUILD/bench/https_client
DUR=${SECONDS_EACH:-2} ROUNDS=${ROUNDS:-3} CONC=${CONC:-64} WINDOW=${WINDOW:-64}
WAIT_PORTS=${WAIT_PORTS:-60}
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
	for ((w = 0; ; w++)); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
		((w < WAIT_PORTS)) || skip "127.0.0.1:$port is in use (another osmo-hlr?)"
		sleep 1
	done
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
"$(dirname "$0")/../scripts/subscribers" "$N" "$FIRST" 8900012340000000000 >"$tmp/subs.csv"
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
	--gsup 127.0.0.1:0 2>"$tmp/serve.log" &
pids+=($!)
PORT=""
for _ in $(seq 100); do
	PORT=$(sed -n 's|^auc serve: listening on https://127\.0\.0\.1:\([0-9]*\)$|\1|p' "$tmp/serve.log")
	[ -n "$PORT" ] && break
	kill -0 "${pids[0]}" 2>/dev/null || break
	sleep 0.1
done
GPORT=$(sed -n 's|^auc serve: GSUP listening on 127\.0\.0\.1:\([0-9]*\)$|\1|p' "$tmp/serve.log")
[ -n "$PORT" ] && [ -n "$GPORT" ] || die "auc serve did not start: $(cat "$tmp/serve.log")"

# ---- osmo-hlr, its DB on disk ----
. "$(dirname "$0")/../tests/integration/osmo-hlr-env.bash"
start_osmo_hlr "$tmp" || die "osmo-hlr did not come up: $(cat "$tmp/hlr.log")"
out=$("$SF" auc export --to osmo-hlr --ctrl 127.0.0.1:4259 --input "$tmp/subs.csv" 2>"$tmp/err") ||
	die "auc export: $(cat "$tmp/err")"
[ "$(jq -r .exported <<<"$out")" = $N ] || die "auc export: $out"

# ---- load, one after the other ----
gs=() hs=()
for ((r = 1; r <= ROUNDS; r++)); do
	g=$("$SAI" 127.0.0.1 "$GPORT" $FIRST $N "$WINDOW" "$DUR") ||
		die "sai_client (auc serve --gsup) failed"
	[ "$(jq .errors <<<"$g")" = 0 ] || die "auc serve --gsup answered errors: $g"
	h=$("$SAI" 127.0.0.1 4222 $FIRST $N "$WINDOW" "$DUR") || die "sai_client (osmo-hlr) failed"
	echo "round $r: auc gsup: $g; osmo-hlr: $h" >&2
	gs+=("$g") hs+=("$h")
done
a=$("$HTTPS" "https://localhost:$PORT" "$tmp/tokens" "$tmp/pki/ci.pem" $FIRST $N "$CONC" \
	"$((DUR * ROUNDS))") || die "https_client failed"
echo "auc https: $a" >&2
# total answered / total seconds over the rounds
rate() { jq -s '(map(.answered) | add) / (map(.seconds) | add) * 10 | round / 10'; }
G=$(printf '%s\n' "${gs[@]}" | rate) P=$(printf '%s\n' "${hs[@]}" | rate) V=$(jq .rps <<<"$a")
jq -cn --argjson v "$G" --argjson p "$P" --argjson w "$WINDOW" \
	'{name: "auc.sai_requests", unit: "requests/s", value: $v,
	  protocol: "GSUP SendAuthInfo, 5 vectors, bench/sai_client window \($w)",
	  peer: "osmo-hlr 1.5 GSUP SendAuthInfo", peer_value: $p,
	  ratio: (if $p > 0 then ($v / $p * 100 | round / 100) else null end), target_ratio: 10}'
jq -cn --argjson v "$V" --argjson p "$P" --argjson c "$CONC" \
	'{name: "auc.https_requests", unit: "requests/s", value: $v,
	  protocol: "HTTPS JSON POST /v1/vectors, 1 vector, bench/https_client \($c) in flight",
	  peer: "osmo-hlr 1.5 GSUP SendAuthInfo", peer_value: $p,
	  ratio: (if $p > 0 then ($v / $p * 100 | round / 100) else null end)}'
