#!/bin/bash
# The connection between the device agent and the SM-DP+ cut in the middle
# of each ES9+ call (issue 5): a TLS proxy (cut_proxy.py, showing the
# SM-DP+'s own DPtls certificate, so the agent's verification holds) drops
# the connection either before the request reaches the SM-DP+ or after the
# SM-DP+ handled it but before its answer reaches the agent (every attempt,
# libcurl's own resend on a fresh connection included, until the test lifts
# the cut).  For every
# call and both moments: the download fails cleanly or completes, the eUICC
# holds no half-installed profile, and a retry ends with the profile
# installed once, on both sides, with no notification left behind.
# Servers bind port 0; only the processes started here are stopped, by PID.
# Usage: es9_cut.sh PATH/TO/simfleet
set -u
SF=${1:?usage: es9_cut.sh SIMFLEET}
for t in jq python3; do
	command -v $t >/dev/null || { echo "SKIP: $t not installed (scripts/bootstrap)"; exit 77; }
done
. "$(dirname "$0")/../cli/lib.bash"
PROXY=$(dirname "$0")/cut_proxy.py
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

P="$tmp/pki"
"$SF" pki init --dir "$P" >/dev/null || { echo "FAIL: pki init"; exit 1; }
CA="$P/ci.pem"

# The proxy first: its port is the SM-DP+'s address.
: >"$tmp/spec"
python3 "$PROXY" "$P/dptls.pem" "$P/dptls.key" "$CA" "$tmp/upport" "$tmp/pport" "$tmp/spec" \
	"$tmp/proxy.log" 2>"$tmp/proxy.err" &
PIDS+=($!)
for _ in $(seq 50); do [ -s "$tmp/pport" ] && break; sleep 0.1; done
PPORT=$(cat "$tmp/pport")
[ -n "$PPORT" ] || { echo "FAIL: proxy did not start: $(cat "$tmp/proxy.err")"; exit 1; }

D="$tmp/smdp"
cat >"$tmp/smdp.json" <<EOF
{"data": "$D", "address": "127.0.0.1:$PPORT", "max_attempts": 5,
 "pki": {"ci": "$P/ci.pem", "dpauth_cert": "$P/dpauth.pem", "dpauth_key": "$P/dpauth.key",
         "dppb_cert": "$P/dppb.pem", "dppb_key": "$P/dppb.key",
         "dptls_cert": "$P/dptls.pem", "dptls_key": "$P/dptls.key"}}
EOF
"$SF" smdp serve --config "$tmp/smdp.json" --listen 127.0.0.1:0 2>"$tmp/smdp.log" &
SPID=$!
PIDS+=($SPID)
PORT=""
for _ in $(seq 100); do
	PORT=$(sed -n 's|^smdp serve: listening on https://127\.0\.0\.1:\([0-9]*\) .*|\1|p' "$tmp/smdp.log")
	[ -n "$PORT" ] && break
	kill -0 $SPID 2>/dev/null || break
	sleep 0.1
done
[ -n "$PORT" ] || { echo "FAIL: smdp serve not ready: $(cat "$tmp/smdp.log")"; exit 1; }
echo "$PORT" >"$tmp/upport"
CRED="$D/operators/default.json"

K=465b5ce8b199b49faa5f0a2ee238a6bc OPC=cd63cb71954a9f4e48a5994e37a02baf
state_of() { "$SF" smdp list --config "$tmp/smdp.json" | jq -r --arg i "$1" '.[] | select(.iccid == $i) | .state'; }

n=0
for fn in initiateAuthentication authenticateClient getBoundProfilePackage handleNotification; do
	for when in before after; do
		n=$((n + 1))
		iccid=$(luhn "890001234567000$(printf '%03d' $n)")
		"$SF" profile build --iccid "$iccid" --imsi "00101000000$(printf '%04d' $n)" --alg milenage \
			--k $K --opc $OPC -o "$tmp/p$n.der" >/dev/null || bad "profile build $n"
		"$SF" smdp import --config "$tmp/smdp.json" "$tmp/p$n.der" >/dev/null || bad "import $n"
		S="$tmp/euicc$n"
		eid=$("$SF" euicc init --state "$S" --pki "$P" | jq -r .eid)
		ac=$("$SF" operator order --smdp "https://127.0.0.1:$PORT" --credentials "$CRED" \
			--iccid "$iccid" --eid "$eid" --release --cacert "$CA" | jq -r .activation_code)
		case $ac in "1\$127.0.0.1:$PPORT\$"*) ;; *) bad "$fn/$when: activation code $ac" ;; esac

		echo "$fn $when" >"$tmp/spec"
		"$SF" device download --state "$S" --activation-code "$ac" --cacert "$CA" \
			>"$tmp/out" 2>"$tmp/err"
		rc=$?
		: >"$tmp/spec"
		grep -q "^$fn cut-$when\$" "$tmp/proxy.log" && ok || bad "$fn/$when: the proxy did not cut"
		count=$("$SF" device profiles --state "$S" | jq '.profiles | length')
		if [ $fn = handleNotification ]; then
			# installed before the cut: the result says the PIR is still pending
			expect_eq "$fn/$when: installed" "$count" 1
			expect_eq "$fn/$when: PIR not delivered" "$(jq -r .install_result.delivered "$tmp/out")" false
			out=$("$SF" device notifications --state "$S" --process --cacert "$CA" 2>"$tmp/err") ||
				bad "$fn/$when: notifications --process: $(cat "$tmp/err")"
		else
			[ $rc -ne 0 ] && ok || bad "$fn/$when: the download reported success: $(cat "$tmp/out")"
			expect_eq "$fn/$when: nothing installed" "$count" 0
			# the retry, through the same proxy (no cut now)
			out=$("$SF" device download --state "$S" --activation-code "$ac" --cacert "$CA" \
				2>"$tmp/err") || bad "$fn/$when: retry: $(cat "$tmp/err")"
			expect_eq "$fn/$when: retry" "$(jq -r .result <<<"$out")" ok
		fi
		expect_eq "$fn/$when: one profile" \
			"$("$SF" device profiles --state "$S" | jq '.profiles | length')" 1
		expect_eq "$fn/$when: no notification left" \
			"$("$SF" device notifications --state "$S" | jq '.notifications | length')" 0
		expect_eq "$fn/$when: SM-DP+ state" "$(state_of "$iccid")" installed
	done
done
kill -0 $SPID 2>/dev/null && ok || bad "the SM-DP+ died"
finish
