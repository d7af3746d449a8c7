#!/bin/bash
# Issue 5: the SM-DP+ under load.  N complete profile downloads (2,000 by
# default) on loopback against `simfleet smdp serve` (port 0, data on disk
# in one temporary directory, SQLite WAL synchronous=FULL as in production),
# each by a different eUICC, driven by bench/smdp_load (WORKERS threads,
# one kept-alive TLS connection each; the eUICC side in process).
# Not timed: the N subscribers imported (`smdp import --subscribers`, the
# SM-DP+ personalises its USIM template), N eUICC certificates issued under
# the server's test EUM, N ES2+ orders placed and released.  Timed: the ES9+
# downloads only (initiateAuthentication, authenticateClient,
# getBoundProfilePackage, handleNotification with the eUICC's real PIR).
# Measured: downloads/s (wall clock) and the server's CPU time (utime +
# stime from /proc/PID/stat) per download; the peer is the crypto floor of
# a complete SM-DP+ download from bench_rsp (P-256, as the test PKI), run
# here: floor_download_us, the floor of the binding plus the verification
# of the PIR that ends each download here; the median of three runs.
# Prints one JSON line; skips (exit 0, a line on stderr) when jq, the
# simfleet binary, smdp_load or bench_rsp is missing.  Only the processes
# started here are stopped, by their PID.
# Usage: smdp_downloads.sh BUILD_DIR   (env: DOWNLOADS, WORKERS)
set -u
BUILD=${1:?usage: smdp_downloads.sh BUILD_DIR}
SF=$BUILD/simfleet
LOAD=$BUILD/bench/smdp_load
RSP=$BUILD/bench/bench_rsp
N=${DOWNLOADS:-2000} W=${WORKERS:-3}
skip() {
	echo "bench/smdp_downloads.sh: skipped: $*" >&2
	exit 0
}
die() {
	echo "bench/smdp_downloads.sh: $*" >&2
	exit 1
}
command -v jq >/dev/null || skip "jq not installed"
[ -x "$SF" ] || skip "$SF not built"
[ -x "$LOAD" ] || skip "$LOAD not built (libcurl or jansson development files missing)"
[ -x "$RSP" ] || skip "$RSP not built"
[ -r /proc/self/stat ] || skip "no /proc (the server's CPU time is read there)"

# On disk (not tmpfs): the database as a server keeps it.
tmp=$(mktemp -d "${TMPDIR:-/var/tmp}/sf-smdp-bench.XXXXXX") || die "mktemp"
SERVE_PID=""
cleanup() {
	if [ -n "$SERVE_PID" ]; then
		kill -TERM "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

# ---- N subscribers: random K/OPc, Luhn-valid ICCIDs ----
"$(dirname "$0")/../scripts/subscribers" "$N" 001010000000000 8900012340000000000 >"$tmp/subs.csv"
[ "$(wc -l <"$tmp/subs.csv")" = $((N + 1)) ] || die "subscriber CSV"

# ---- the SM-DP+: defaults (test PKI), no rate limit to speak of ----
D=$tmp/data
cat >"$tmp/smdp.json" <<EOF
{"data": "$D", "rate_limit": {"per_second": 1000000, "burst": 1000000}}
EOF
"$SF" smdp serve --config "$tmp/smdp.json" --listen 127.0.0.1:0 2>"$tmp/serve.log" &
SERVE_PID=$!
PORT=""
for _ in $(seq 100); do
	PORT=$(sed -n 's|^smdp serve: listening on https://127\.0\.0\.1:\([0-9]*\) .*|\1|p' "$tmp/serve.log")
	[ -n "$PORT" ] && break
	kill -0 "$SERVE_PID" 2>/dev/null || break
	sleep 0.1
done
[ -n "$PORT" ] || die "smdp serve did not start: $(cat "$tmp/serve.log")"

"$SF" smdp import --config "$tmp/smdp.json" --profile-type bench --subscribers "$tmp/subs.csv" \
	>/dev/null 2>"$tmp/err" || die "smdp import: $(cat "$tmp/err")"

# ---- the timed downloads ----
mkdir -p "$tmp/keys"
out=$("$LOAD" --url "https://127.0.0.1:$PORT" --pki "$D/pki" \
	--credentials "$D/operators/default.json" --keys "$tmp/keys" --server-pid "$SERVE_PID" \
	--downloads "$N" --workers "$W" --profile-type bench 2>"$tmp/load.err")
lrc=$?
load1=$(cut -d' ' -f1 /proc/loadavg)
kill -TERM "$SERVE_PID" && wait "$SERVE_PID"
SERVE_PID=""
[ $lrc = 0 ] || die "smdp_load failed: $(tail -5 "$tmp/load.err")"
sed 's/^/smdp: /' "$tmp/load.err" >&2

# ---- the peer: the crypto floor of one download, same curve ----
# Three runs of about 3 s, the median taken: on shared cores one run of
# the floor moves by up to half its value, and the ratio with it.
floors=""
for _ in 1 2 3; do
	f=$("$RSP" p256 2>/dev/null | jq -r 'select(.curve == "P-256") | .floor_download_us')
	[ -n "$f" ] && [ "$f" != null ] || die "bench_rsp p256 gave no floor_download_us"
	floors="$floors $f"
done
floor=$(printf '%s\n' $floors | sort -n | sed -n 2p)
runs=$(printf '%s\n' $floors | jq -cs .)

jq -cn --argjson o "$out" --argjson f "$floor" --argjson runs "$runs" --argjson load "$load1" '
	{name: "smdp.downloads", unit: "downloads/s", value: $o.downloads_per_s,
	 server_cpu_us_per_download: $o.server_cpu_us_per_download,
	 server_sys_us_per_download: $o.server_sys_us_per_download,
	 peer: "crypto floor (bench_rsp, median of 3)", peer_value: $f, peer_runs: $runs,
	 ratio: ($o.server_cpu_us_per_download / $f * 100 | round / 100), target_ratio: 1.5,
	 downloads: $o.downloads, workers: $o.workers, wall_s: $o.wall_s,
	 client_cpu_us_per_download: $o.client_cpu_us_per_download,
	 new_connections: $o.new_connections, loadavg_1m: $load}'
