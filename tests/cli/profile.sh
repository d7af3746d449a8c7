#!/bin/bash
# The simfleet profile command, end to end: build -> show round trips for each
# algorithm, secrets from files and stdin, bad input -> exit 2 with the flag
# named on one stderr line, corrupt packages -> exit 1 naming the element, and
# the GSMA TS.48 v7 test profiles (from ../shared/gsma, skipped when absent).
# Usage: profile.sh PATH/TO/simfleet
set -u
SF=${1:?usage: profile.sh SIMFLEET}
. "$(dirname "$0")/lib.bash"

# expect_usage LABEL FLAG CMD...: exit 2, one stderr line naming FLAG
expect_usage() {
	local label=$1 flag=$2
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	expect_eq "$label exit" "$rc" 2
	expect_eq "$label stderr lines" "$(wc -l <"$tmp/err")" 1
	if grep -q -- "$flag" "$tmp/err"; then ok; else bad "$label: '$flag' not named: $(cat "$tmp/err")"; fi
}

ICCID=8944500102198304826
IMSI=001010123456789
K=465b5ce8b199b49faa5f0a2ee238a6bc
OPC=cd63cb71954a9f4e48a5994e37a02baf
K32=fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0efeeedecebeae9e8e7e6e5e4e3e2e1e0
TOPC=305425427e18c503c8a4b294ea72c95d0c36c6c6b29d0c65de5974d5977f8524

# ---- build + show: milenage --------------------------------------------------------
out=$("$SF" profile build --iccid $ICCID --imsi $IMSI --alg milenage --k $K --opc $OPC \
	--spn simfleet --pin1 1234 -o "$tmp/m.der")
expect_eq "build exit" $? 0
expect_eq "build summary" "$(jq -r '.algorithm + " " + (.size|tostring|length|tostring)' <<<"$out")" "milenage 3"
expect_eq "mode 0600" "$(stat -c %a "$tmp/m.der")" 600
show=$("$SF" profile show "$tmp/m.der")
expect_eq "show exit" $? 0
expect_eq "types" "$(jq -c '[.elements[].type]' <<<"$show")" \
	'["header","mf","pukCodes","pinCodes","usim","akaParameter","end"]'
expect_eq "iccid" "$(jq -r '.elements[0].iccid' <<<"$show")" $ICCID
expect_eq "services" "$(jq -c '.elements[0]."eUICC-Mandatory-services"' <<<"$show")" '["usim","milenage"]'
expect_eq "algorithm" "$(jq -r '.elements[5].algorithm' <<<"$show")" milenage
expect_eq "key" "$(jq -r '.elements[5].key' <<<"$show")" $K
expect_eq "opc" "$(jq -r '.elements[5].opc' <<<"$show")" $OPC
expect_eq "sqnDelta default" "$(jq -r '.elements[5].sqnDelta' <<<"$show")" 000010000000
expect_eq "ef-imsi" "$(jq -r '.elements[4].files[] | select(.name=="ef-imsi") | .content' <<<"$show")" 080910101032547698
expect_eq "ef-imsi fid" "$(jq -r '.elements[4].files[] | select(.name=="ef-imsi") | .fid' <<<"$show")" 6f07
expect_eq "ef-spn" "$(jq -r '.elements[4].files[] | select(.name=="ef-spn") | .content' <<<"$show")" \
	0073696d666c656574ffffffffffffffff
expect_eq "ef-iccid" "$(jq -r '.elements[1].files[] | select(.name=="ef-iccid") | .content' <<<"$show")" \
	984405102091384028f6
expect_eq "pin1" "$(jq -r '.elements[3].pins[0] | .keyReference + " " + .pinValue + " " + (.pinAttributes|tostring)' <<<"$show")" \
	"pinAppl1 31323334ffffffff 7"

# ---- secrets from a file and stdin give the same package -------------------------------
echo $K >"$tmp/k"
echo $OPC | "$SF" profile build --iccid $ICCID --imsi $IMSI --alg milenage --k @"$tmp/k" --opc - \
	--spn simfleet --pin1 1234 -o "$tmp/m2.der" >/dev/null
expect_eq "secrets from file/stdin" "$(cmp -s "$tmp/m.der" "$tmp/m2.der" && echo same)" same

# ---- tuak and xor --------------------------------------------------------------------
"$SF" profile build --iccid 89014103211118510720 --imsi 26201123456789 --alg tuak --k $K32 \
	--topc $TOPC --adm1 3132333435363738 -o "$tmp/t.der" >/dev/null
expect_eq "tuak build" $? 0
show=$("$SF" profile show "$tmp/t.der")
expect_eq "tuak alg" "$(jq -r '.elements[5].algorithm + " " + .elements[5].key' <<<"$show")" "tuak $K32"
expect_eq "tuak256 service" "$(jq -r '.elements[0]."eUICC-Mandatory-services" | index("tuak256") != null' <<<"$show")" true
expect_eq "adm1" "$(jq -r '.elements[3].pins[1] | .keyReference + " " + .pinValue' <<<"$show")" "adm1 3132333435363738"
expect_eq "pin1 disabled by default" "$(jq -r '.elements[3].pins[0].pinAttributes' <<<"$show")" 6
expect_eq "no spn" "$(jq -r '.elements[4].files[] | select(.name=="ef-spn") | .doNotCreate' <<<"$show")" true
"$SF" profile build --iccid $ICCID --imsi $IMSI --alg xor --k 000102030405060708090a0b0c0d0e0f -o "$tmp/x.der" >/dev/null
expect_eq "xor build" $? 0
expect_eq "xor alg" "$("$SF" profile show "$tmp/x.der" | jq -r '.elements[5].algorithm')" usim-test-algorithm

# ---- bad input: exit 2, the flag named -------------------------------------------------
B=(--imsi $IMSI --alg milenage --k $K --opc $OPC -o "$tmp/bad.der")
expect_usage "bad luhn" --iccid "$SF" profile build --iccid 8944500102198304827 "${B[@]}"
expect_usage "short iccid" --iccid "$SF" profile build --iccid 89445001021983 "${B[@]}"
expect_usage "bad imsi" --imsi "$SF" profile build --iccid $ICCID --imsi 12ab --alg milenage --k $K --opc $OPC -o "$tmp/bad.der"
expect_usage "bad alg" --alg "$SF" profile build --iccid $ICCID --imsi $IMSI --alg comp128 --k $K --opc $OPC -o "$tmp/bad.der"
expect_usage "short k" --k "$SF" profile build --iccid $ICCID --imsi $IMSI --alg milenage --k 0011 --opc $OPC -o "$tmp/bad.der"
expect_usage "missing opc" --opc "$SF" profile build --iccid $ICCID --imsi $IMSI --alg milenage --k $K -o "$tmp/bad.der"
expect_usage "topc for milenage" --topc "$SF" profile build --iccid $ICCID --imsi $IMSI --alg milenage --k $K --topc $TOPC -o "$tmp/bad.der"
expect_usage "bad spn" --spn "$SF" profile build "${B[@]}" --iccid $ICCID --spn 'a_b'
expect_usage "bad pin1" --pin1 "$SF" profile build "${B[@]}" --iccid $ICCID --pin1 12
expect_usage "bad adm1" --adm1 "$SF" profile build "${B[@]}" --iccid $ICCID --adm1 00112233445566778899
expect_usage "no output" -o "$SF" profile build --iccid $ICCID --imsi $IMSI --alg milenage --k $K --opc $OPC
[ -e "$tmp/bad.der" ] && bad "a failed build left a file" || ok

# ---- corrupt packages: exit 1, the element named ----------------------------------------
head -c 500 "$tmp/m.der" >"$tmp/trunc.der"
"$SF" profile show "$tmp/trunc.der" >/dev/null 2>"$tmp/err"
expect_eq "truncated exit" $? 1
grep -q "usim" "$tmp/err" && ok || bad "truncated: element not named: $(cat "$tmp/err")"
printf '\xbf\x28\x00' | cat "$tmp/m.der" - >"$tmp/trail.der"
"$SF" profile show "$tmp/trail.der" >/dev/null 2>"$tmp/err"
expect_eq "trailing exit" $? 1
expect_usage "show no file" FILE "$SF" profile show

# ---- help ------------------------------------------------------------------------------
"$SF" profile build --help | grep -q "TEST value" && ok || bad "build --help"
"$SF" profile show --help | grep -q "SECRETS" && ok || bad "show --help mentions secrets"

# ---- the GSMA TS.48 v7 test profiles ----------------------------------------------------
G=$(dirname "$0")/../../../shared/gsma/ts48-v7
if [ -d "$G" ]; then
	for f in "$G"/*.der; do
		n=$(basename "$f" .der)
		show=$("$SF" profile show "$f")
		expect_eq "$n exit" $? 0
		want=$(grep -c ' ProfileElement ::= ' "${f%.der}.txt")
		expect_eq "$n elements" "$(jq '.elements | length' <<<"$show")" "$want"
		expect_eq "$n iccid" "$(jq -r '.elements[0].iccid' <<<"$show")" 89000123456789012341
		expect_eq "$n aka" "$(jq -r '[.elements[] | select(.type=="akaParameter") | .algorithm + " " + .key] | unique | join(",")' <<<"$show")" \
			"usim-test-algorithm 000102030405060708090a0b0c0d0e0f"
	done
else
	echo "SKIP: $G not found (../shared/gsma absent): TS.48 profiles not checked" >&2
fi

finish
