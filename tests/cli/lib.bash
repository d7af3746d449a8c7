# Shared by the command tests in tests/cli/*.sh: counters, a scratch
# directory removed on exit, and the assertions.  Source it after set -u.
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
# expect_eq LABEL GOT WANT
expect_eq() { if [ "$2" = "$3" ]; then ok; else bad "$1: got '$2' want '$3'"; fi; }
# field JSON KEY: the value of KEY, "<none>" when absent
field() { jq -r ".$2 // \"<none>\"" <<<"$1"; }
# finish: the closing line CTest reads, and the exit status
finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" = 0 ]
}
# rnd N: N random octets in hex
rnd() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }
# usim_ahead STATE K OPC SEQ: the enabled USIM of the eUICC in STATE accepts a
# Milenage vector with SEQ in each of its 32 IND slots (TS 33.102 Annex C), so
# an AuC or HLR behind it must resynchronise.  Prints the tally of the
# answers (" 32 db08" when all were accepted).  Needs $SF.
usim_ahead() {
	local apdus=(00a4040407a0000000871002) r v ind
	for ind in $(seq 0 31); do
		r=$(rnd 16)
		v=$("$SF" aka gen --alg milenage --k "$2" --opc "$3" \
			--sqn "$(printf '%012x' $((($4 << 5) | ind)))" --amf 8000 --rand "$r")
		apdus+=("008800812210${r}10$(field "$v" autn)00")
	done
	"$SF" euicc apdu --state "$1" "${apdus[@]}" | tail -n +2 | cut -c1-4 | sort | uniq -c | tr -s ' '
}
# luhn DIGITS: DIGITS followed by their Luhn check digit (ICCIDs)
luhn() {
	local s=$1 sum=0 i d k n=${#1}
	for ((i = n - 1, k = 0; i >= 0; i--, k++)); do
		d=${s:i:1}
		if ((k % 2 == 0)); then d=$((d * 2)); ((d > 9)) && d=$((d - 9)); fi
		sum=$((sum + d))
	done
	echo "$s$(((10 - sum % 10) % 10))"
}
# sub_rows S FIRST N: N rows of a subscribers CSV (no header; scripts/subscribers):
# IMSIs 2620 S then FIRST.. in 10 digits, ICCIDs 894900000 S then FIRST.. in
# 9 digits and their Luhn digit (S: one digit, a file's own series)
sub_rows() {
	"$(dirname "${BASH_SOURCE[0]}")/../../scripts/subscribers" --no-header "$3" \
		"$(printf '2620%s%010d' "$1" "$2")" "$(printf '894900000%s%09d' "$1" "$2")"
}
# new_device S IMSI ICCID: subscriber S with a random K and OPc (K[S],
# OPC[S]) and a software eUICC in ST[S] ($tmp/euicc-S) with its Milenage
# profile ($tmp/S.der: ICCID, IMSI[S]=IMSI) installed and enabled.  Needs $SF
# and the associative arrays IMSI, K, OPC, ST.
new_device() {
	IMSI[$1]=$2
	K[$1]=$(rnd 16) OPC[$1]=$(rnd 16)
	ST[$1]=$tmp/euicc-$1
	"$SF" euicc init --state "${ST[$1]}" --test-mode >/dev/null || bad "init $1"
	"$SF" profile build --iccid "$3" --imsi "$2" --alg milenage --k "${K[$1]}" \
		--opc "${OPC[$1]}" -o "$tmp/$1.der" >/dev/null || bad "profile build $1"
	"$SF" euicc install-local --state "${ST[$1]}" --enable "$tmp/$1.der" >/dev/null ||
		bad "install $1"
}
# attach_check LABEL SUB WANT EXIT ARGS...: `simfleet attach --state ${ST[SUB]}
# ARGS` (the network side in ARGS); its JSON in LAST, its stderr in
# $tmp/err.  Checks the result WANT, the exit status EXIT, the IMSI
# ${IMSI[SUB]}, and that no subscriber's K or OPc (the arrays K, OPC)
# reached stdout or stderr.  Needs $SF and the associative arrays ST, IMSI,
# K, OPC.
attach_check() {
	local label=$1 sub=$2 want=$3 status=$4 out rc s
	shift 4
	out=$("$SF" attach --state "${ST[$sub]}" "$@" 2>"$tmp/err")
	rc=$?
	LAST=$out
	expect_eq "$label result" "$(field "$out" result)" "$want"
	expect_eq "$label exit" $rc "$status"
	expect_eq "$label imsi" "$(field "$out" imsi)" "${IMSI[$sub]}"
	for s in "${!K[@]}"; do
		if grep -qi -e "${K[$s]}" -e "${OPC[$s]}" <<<"$out$(cat "$tmp/err")"; then
			bad "$label: a key of $s reached the output"
		fi
	done
}
# stale_sqn_case STEPS RESYNC_STEP: subscriber B's USIM has accepted SEQ 1000
# in every IND slot from elsewhere (TS 33.102 C.3.2), far ahead of the
# network's counter: the first vector is refused with AUTS, the network
# resynchronises from it (the attach's steps: STEPS, a JSON array), and
# the next attach needs no RESYNC_STEP.  Uses the script's attach_expect.
stale_sqn_case() {
	local r
	r=$(usim_ahead "${ST[B]}" "${K[B]}" "${OPC[B]}" 1000)
	expect_eq "B pre-authenticated in 32 slots" "$r" " 32 db08"
	attach_expect "B stale SQN" B ok
	expect_eq "B steps" "$(jq -c '[.steps[] | .step + ":" + (.result // "")]' <<<"$LAST")" "$1"
	attach_expect "B after resync" B ok
	expect_eq "B no second resync" \
		"$(jq --arg s "$2" '[.steps[] | select(.step == $s)] | length' <<<"$LAST")" 0
}
# wait_line FILE SED-EXPR PID: the first match of SED-EXPR in FILE, waiting up
# to 10 s for it while process PID lives ("" when it does not come)
wait_line() {
	local v=""
	for _ in $(seq 100); do
		v=$(sed -n "$2" "$1" | head -1)
		[ -n "$v" ] && break
		kill -0 "$3" 2>/dev/null || break
		sleep 0.1
	done
	echo "$v"
}
# smdp_start LOG ARGS...: `simfleet smdp serve ARGS` in the background, its
# stderr in LOG (emptied first); waits for its "listening" line.  Sets
# SERVE_PID; ends the test when the server does not come up.  Needs $SF.
smdp_start() {
	local log=$1
	shift
	: >"$log"
	"$SF" smdp serve "$@" 2>>"$log" &
	SERVE_PID=$!
	[ -n "$(wait_line "$log" '/listening on https:/p' "$SERVE_PID")" ] && return 0
	echo "FAIL: smdp serve not ready: $(cat "$log")"
	exit 1
}
