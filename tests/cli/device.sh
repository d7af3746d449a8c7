#!/bin/bash
# simfleet device (the device agent) through the command: info, profiles,
# enable/disable/delete and notifications over --state (in-process) and
# --socket (`simfleet euicc serve --socket`), usage errors, and the first
# steps of a download against a scripted ES9+ endpoint over verified TLS
# (tests/integration/fake_es9p.py: request format, TLS trust, the SM-DP+'s
# refusal codes, a malformed answer, the eUICC's refusal).
# Usage: device.sh PATH/TO/simfleet
set -u
SF=${1:?usage: device.sh SIMFLEET}
. "$(dirname "$0")/lib.bash"
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 77; }
FAKE=$(cd "$(dirname "$0")/../integration" && pwd)/fake_es9p.py
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

# usage_error FLAGTEXT ARGS...: exit 2, a stderr line mentioning FLAGTEXT
usage_error() {
	local what=$1; shift
	"$SF" "$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	if [ $rc = 2 ] && grep -q -- "$what" "$tmp/err" && [ ! -s "$tmp/out" ]; then ok
	else bad "expected exit 2 mentioning '$what' for: $* (rc $rc: $(cat "$tmp/err"))"; fi
}
# run_rc WANT LABEL ARGS...: runs simfleet, checks the exit status, leaves
# stdout in $out
run_rc() {
	local want=$1 label=$2; shift 2
	out=$("$SF" "$@" 2>"$tmp/err")
	local rc=$?
	expect_eq "$label (exit; $(head -c 300 "$tmp/err"))" $rc "$want"
}

K=465b5ce8b199b49faa5f0a2ee238a6bc OPC=cd63cb71954a9f4e48a5994e37a02baf
A=89000123456789012341 B=8900012345678901230
S="$tmp/st"
eid=$("$SF" euicc init --state "$S" --test-mode | jq -r .eid)
for i in $A $B; do
	"$SF" profile build --iccid $i --imsi 001010123456789 --alg milenage --k $K --opc $OPC \
		-o "$tmp/$i.der" >/dev/null || bad "profile build $i"
	"$SF" euicc install-local --state "$S" "$tmp/$i.der" >/dev/null || bad "install $i"
done

# ---- usage ----
usage_error "exactly one of" device info
usage_error "exactly one of" device info --state "$S" --socket "$tmp/x"
usage_error "ICCID must be" device enable --state "$S" 1234
usage_error "exactly one ICCID" device enable --state "$S"
# No activation code and no default SM-DP+ address on the eUICC: exit 1,
# saying what to do, before any network traffic.
run_rc 1 "no AC, no default SM-DP+" device download --state "$S"
grep -q -- "--activation-code.*set-default-dp" "$tmp/err" && ok || bad "no default: $(cat "$tmp/err")"
expect_eq "no default: error" "$(field "$out" error)" EIPA_NO_DEFAULT_DP
usage_error "not an SM-DP+ address" device set-default-dp 'https://x.example/' --state "$S"
usage_error "exactly one ADDRESS" device set-default-dp --state "$S"
usage_error "exactly one ADDRESS" device set-default-dp a.example b.example --state "$S"
usage_error "activation code" device download --state "$S" --activation-code '2$x.example$M'
usage_error "confirmation code" device download --state "$S" --activation-code '1$x.example$M$$1'
usage_error "bad option" device profiles --state "$S" --process
usage_error "--block" device info --state "$S" --block 256
"$SF" device --help | grep -q -- "--pcsc" && ok || bad "device --help"
# PC/SC without pcscd (a socket path nobody serves): a clear failure.
PCSCLITE_CSOCK_NAME="$tmp/no-pcscd" "$SF" device info --pcsc >"$tmp/out" 2>"$tmp/err"
expect_eq "pcsc absent exit" $? 1
grep -Eq "pcscd|without PC/SC" "$tmp/err" && ok || bad "pcsc absent message: $(cat "$tmp/err")"

# ---- over --state (in-process) ----
check_card() { # LABEL TRANSPORT-ARGS...
	local l=$1; shift
	run_rc 0 "$l info" device info "$@"
	expect_eq "$l eid" "$(field "$out" eid)" "$eid"
	expect_eq "$l svn" "$(field "$out" svn)" 2.5.0
	expect_eq "$l ci lists" "$(jq -c '[(.ci_pkid_verification|type), (.ci_pkid_signing|type)]' <<<"$out")" \
		'["array","array"]'
	[ "$(jq '.free_nvm > 0' <<<"$out")" = true ] && ok || bad "$l free_nvm: $out"
	run_rc 0 "$l profiles" device profiles "$@"
	expect_eq "$l profiles" "$(jq -c '[.profiles[] | [.iccid, .state]] | sort' <<<"$out")" \
		"[[\"$B\",\"disabled\"],[\"$A\",\"disabled\"]]"
	run_rc 0 "$l enable A" device enable "$@" $A
	expect_eq "$l enable A" "$(field "$out" result)" ok
	run_rc 1 "$l enable A again" device enable "$@" $A
	expect_eq "$l enable A again" "$(field "$out" result)" profileNotInDisabledState
	run_rc 0 "$l enable B" device enable "$@" $B
	run_rc 0 "$l profiles 2" device profiles "$@"
	expect_eq "$l switched" "$(jq -c "[.profiles[] | select(.iccid == \"$B\") | .state]" <<<"$out")" \
		'["enabled"]'
	run_rc 1 "$l delete enabled" device delete "$@" $B
	expect_eq "$l delete enabled" "$(field "$out" result)" profileNotInDisabledState
	run_rc 0 "$l disable B" device disable "$@" $B
	run_rc 1 "$l disable B again" device disable "$@" $B
	expect_eq "$l disable again" "$(field "$out" code)" 2
	run_rc 0 "$l delete B" device delete "$@" $B
	run_rc 1 "$l delete B again" device delete "$@" $B
	expect_eq "$l delete again" "$(field "$out" result)" iccidOrAidNotFound
	run_rc 0 "$l notifications" device notifications "$@"
	expect_eq "$l notification events" \
		"$(jq -c '[.notifications[].event] | unique' <<<"$out")" \
		'["delete","disable","enable","install"]'
}
check_card state --state "$S"
"$SF" euicc install-local --state "$S" "$tmp/$B.der" >/dev/null || bad "reinstall B"
# --process: this eUICC cannot yet give signed notifications, so nothing is
# delivered or removed, and the command says so and fails.
run_rc 1 "process unsigned" device notifications --state "$S" --process
n_before=$(jq '.notifications | length' <<<"$out")
expect_eq "nothing delivered" "$(jq '[.notifications[] | select(.delivered)] | length' <<<"$out")" 0
run_rc 0 "list after process" device notifications --state "$S"
expect_eq "nothing removed" "$(jq '.notifications | length' <<<"$out")" "$n_before"

# ---- over --socket (simfleet euicc serve) ----
SOCK="$tmp/card.sock"
start_serve() {
	"$SF" euicc serve --state "$S" --socket "$SOCK" 2>"$tmp/serve.log" &
	SERVE_PID=$!
	pids+=("$SERVE_PID")
	for _ in $(seq 100); do
		grep -q "serving EID" "$tmp/serve.log" && return 0
		kill -0 "$SERVE_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
stop_serve() { kill -TERM "$SERVE_PID"; wait "$SERVE_PID"; }
start_serve || bad "serve did not start: $(cat "$tmp/serve.log")"
check_card socket --socket "$SOCK"
run_rc 1 "state while served" device info --state "$S"
grep -q "use --socket" "$tmp/err" && ok || bad "locked message: $(cat "$tmp/err")"
run_rc 0 "small STORE DATA blocks" device profiles --socket "$SOCK" --block 7
expect_eq "small blocks" "$(jq -r '.profiles[0].iccid' <<<"$out")" $A

# ---- download: ES9+ against a scripted endpoint ----
if command -v python3 >/dev/null && command -v openssl >/dev/null; then
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
		-keyout "$tmp/tls.key" -out "$tmp/tls.pem" 2>/dev/null || bad "test certificate"
	start_fake() { # MODE
		rm -f "$tmp/port" "$tmp/es9.log"
		python3 "$FAKE" "$tmp/tls.pem" "$tmp/tls.key" "$tmp/port" "$tmp/es9.log" "$1" \
			2>"$tmp/fake.err" &
		FAKE_PID=$!
		pids+=("$FAKE_PID")
		for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
		PORT=$(cat "$tmp/port")
	}
	stop_fake() { kill "$FAKE_PID"; wait "$FAKE_PID" 2>/dev/null; }

	start_fake ok
	AC="LPA:1\$127.0.0.1:$PORT\$MATCH-1"
	# TLS is verified: without the trust anchor the agent refuses the server.
	run_rc 1 "untrusted" device download --socket "$SOCK" --activation-code "$AC"
	expect_eq "untrusted error" "$(field "$out" error)" EIPA_TLS
	expect_eq "untrusted step" "$(field "$out" step)" initiateAuthentication
	[ ! -s "$tmp/es9.log" ] && ok || bad "a request reached an untrusted server"
	# With it: initiateAuthentication goes through, the eUICC refuses the
	# (unsigned) server data in AuthenticateServer, the download fails cleanly.
	run_rc 1 "eUICC refuses" device download --socket "$SOCK" --activation-code "$AC" \
		--cacert "$tmp/tls.pem"
	expect_eq "refused step" "$(field "$out" step)" authenticateServer
	expect_eq "transactionId" "$(field "$out" transaction_id)" 0123456789abcdef0123456789abcdef
	expect_eq "smdp" "$(field "$out" smdp)" "127.0.0.1:$PORT"
	grep -q "ES9+ initiateAuthentication" "$tmp/err" && ok || bad "progress lines: $(cat "$tmp/err")"
	r=$(head -n1 "$tmp/es9.log")
	expect_eq "path" "$(jq -r .path <<<"$r")" /gsma/rsp2/es9plus/initiateAuthentication
	expect_eq "X-Admin-Protocol" "$(jq -r .x_admin_protocol <<<"$r")" gsma/rsp/v2.2.0
	expect_eq "Content-Type" "$(jq -r .content_type <<<"$r")" "application/json;charset=UTF-8"
	expect_eq "User-Agent" "$(jq -r .user_agent <<<"$r")" gsma-rsp-lpad
	expect_eq "smdpAddress" "$(jq -r .body.smdpAddress <<<"$r")" "127.0.0.1:$PORT"
	expect_eq "euiccChallenge" "$(jq -r .body.euiccChallenge <<<"$r" | base64 -d | wc -c)" 16
	expect_eq "euiccInfo1" "$(jq -r .body.euiccInfo1 <<<"$r" | base64 -d | od -An -N2 -tx1 | tr -d ' ')" bf20
	# the same in-process
	stop_serve
	run_rc 1 "eUICC refuses (state)" device download --state "$S" --activation-code "$AC" \
		--cacert "$tmp/tls.pem"
	expect_eq "refused step (state)" "$(field "$out" step)" authenticateServer
	stop_fake

	# The SM-DP+ refuses: its subjectCode/reasonCode reach the JSON.
	start_fake refuse
	run_rc 1 "smdp refuses" device download --state "$S" --cacert "$tmp/tls.pem" \
		--activation-code "1\$127.0.0.1:$PORT\$WRONG"
	expect_eq "refuse error" "$(field "$out" error)" EIPA_ES9P
	expect_eq "refuse status" "$(jq -c '.smdp_status | [.status, .subjectCode, .reasonCode]' <<<"$out")" \
		'["Failed","8.2.6","3.8"]'
	grep -q "matchingId refused" "$tmp/err" && ok || bad "refusal message: $(cat "$tmp/err")"
	stop_fake

	# Not ES9+ JSON.
	start_fake garbage
	run_rc 1 "garbage" device download --state "$S" --cacert "$tmp/tls.pem" \
		--activation-code "1\$127.0.0.1:$PORT\$M"
	expect_eq "garbage error" "$(field "$out" error)" EIPA_HTTP
	stop_fake
	# Nobody listening.
	run_rc 1 "unreachable" device download --state "$S" --cacert "$tmp/tls.pem" \
		--activation-code "1\$127.0.0.1:$PORT\$M"
	expect_eq "unreachable error" "$(field "$out" error)" EIPA_HTTP
	# Nothing was installed by any of these.
	expect_eq "no profile added" "$("$SF" device profiles --state "$S" | jq -c '[.profiles[].iccid]')" "[\"$A\"]"
else
	echo "python3 or openssl missing: download checks skipped"
	stop_serve
fi
finish
