#!/bin/bash
# simfleet smdp import --template: an operator's own SAIP package (the GSMA
# TS.48 v7 profiles where ../shared/gsma is present, and a package of
# `profile build`) personalised per row of a subscribers CSV into an SM-DP+
# data directory; `smdp list` shows the profiles; the stored packages carry
# the rows' ICCID, IMSI and keys and keep the template's profile type; one
# installed into a software eUICC answers AUTHENTICATE with the row's key and
# not with the template's.  Refusals: --template without --subscribers, a
# missing file, a truncated template, a template without EF.SPN for --spn:
# nothing imported.
# Usage: smdp_template.sh PATH/TO/simfleet
set -u
SF=${1:?usage: smdp_template.sh SIMFLEET}
. "$(dirname "$0")/lib.bash"
command -v jq >/dev/null || { echo "SKIP: jq not installed (scripts/bootstrap)"; exit 0; }

K=465b5ce8b199b49faa5f0a2ee238a6bc OPC=cd63cb71954a9f4e48a5994e37a02baf
KT=000102030405060708090a0b0c0d0e0f # the templates' key (XOR test algorithm)
TK=$(printf 'a%.0s' $(seq 64))      # a TUAK-256 key and TOPc
TOPC=$(printf '5%.0s' $(seq 64))

# list DATA: "iccid profile_type state" per profile, sorted
list() { "$SF" smdp list --data "$1" | jq -r '.[] | .iccid + " " + .profile_type + " " + .state' | sort; }
# stored DATA ICCID FILE: the package the SM-DP+ stored for ICCID (needs sqlite3)
stored() {
	sqlite3 "$1/smdp.db" "SELECT hex(der) FROM package WHERE iccid = '$2'" | xxd -r -p >"$3"
}
# summary SHOW: header ICCID, EF.IMSI, the USIM's algorithm, EF.SPN of `profile show`
summary() {
	jq -r '[.elements[0].iccid,
		(.elements[] | select(.type == "usim") | .files[] | select(.name == "ef-imsi") | .content),
		([.elements[] | select(.type == "akaParameter")][0].algorithm),
		(.elements[] | select(.type == "usim") | .files[] | select(.name == "ef-spn") | .content // "-")]
		| join(" ")' <<<"$1"
}
# auth STATE ALG K OPC: AUTHENTICATE on the eUICC's USIM with a vector of
# (ALG, K, OPC), SEQ 1 IND 0: the status word
auth() {
	local r=b5039c57e4a75051551d1a390a71ce48 v
	v=$("$SF" aka gen --alg "$2" --k "$3" ${4:+--opc "$4"} --sqn 000000000020 --amf 8000 --rand $r)
	r=$("$SF" euicc apdu --state "$1" 00a4040407a0000000871002 "008800812210${r}10$(field "$v" autn)00" | tail -n1)
	echo "${r: -4}"
}

# ---- a template of `profile build` -------------------------------------------------------
"$SF" profile build --iccid 89000123456789012341 --imsi 001010123456789 --alg xor --k $KT \
	--spn Template -o "$tmp/built.der" >/dev/null || bad "profile build"
printf 'imsi,iccid,alg,k,opc\n262010000000001,8949000000000000018,milenage,%s,%s\n262010000000002,8949000000000000026,tuak,%s,%s\n' \
	$K $OPC "$TK" "$TOPC" >"$tmp/subs.csv"
D=$tmp/d1
out=$("$SF" smdp import --data "$D" --template "$tmp/built.der" --subscribers "$tmp/subs.csv" --spn Acme)
expect_eq "import exit" $? 0
expect_eq "import lines" "$(jq -rs 'map(.iccid + " " + .profile_type + " " + .state) | join(",")' <<<"$out")" \
	"8949000000000000018 simfleet USIM profile available,8949000000000000026 simfleet USIM profile available"
expect_eq "list" "$(list "$D")" "8949000000000000018 simfleet USIM profile available
8949000000000000026 simfleet USIM profile available"
if command -v sqlite3 >/dev/null && command -v xxd >/dev/null; then
	stored "$D" 8949000000000000018 "$tmp/s1.der"
	show=$("$SF" profile show "$tmp/s1.der")
	expect_eq "stored 1" "$(summary "$show")" \
		"8949000000000000018 082926100000000010 milenage 0041636d65ffffffffffffffffffffffff"
	stored "$D" 8949000000000000026 "$tmp/s2.der"
	aka=$("$SF" profile show "$tmp/s2.der" | jq -r '.elements[] | select(.type == "akaParameter") | .algorithm + " " + .key + " " + .opc')
	expect_eq "stored 2 aka" "$aka" "tuak $TK $TOPC"
	# into a software eUICC: the row's key authenticates, the template's does not
	"$SF" euicc init --state "$tmp/e1" --test-mode >/dev/null
	out=$("$SF" euicc install-local --state "$tmp/e1" --enable "$tmp/s1.der" 2>&1)
	expect_eq "install personalised" "$(field "$out" iccid)" 8949000000000000018
	expect_eq "AUTHENTICATE row key" "$(auth "$tmp/e1" milenage $K $OPC)" 9000
	expect_eq "AUTHENTICATE template key" "$(auth "$tmp/e1" xor $KT)" 9862
else
	echo "SKIP: sqlite3 or xxd not installed: stored packages not checked" >&2
fi

# --profile-type still names the type
printf 'imsi,iccid,alg,k,opc\n262010000000003,8949000000000000034,xor,%s,\n' $K >"$tmp/subs3.csv"
out=$("$SF" smdp import --data "$D" --template "$tmp/built.der" --subscribers "$tmp/subs3.csv" --profile-type iot-eu)
expect_eq "profile type given" "$(field "$out" profile_type)" iot-eu

# ---- refusals: nothing imported -------------------------------------------------------
before=$(list "$D")
"$SF" smdp import --data "$D" --template "$tmp/built.der" "$tmp/built.der" >/dev/null 2>"$tmp/err"
expect_eq "template without subscribers" $? 2
grep -q -- "--template goes with --subscribers" "$tmp/err" && ok || bad "message: $(cat "$tmp/err")"
"$SF" smdp import --data "$D" --template "$tmp/nope.der" --subscribers "$tmp/subs3.csv" >/dev/null 2>"$tmp/err"
expect_eq "missing template" $? 2
head -c 400 "$tmp/built.der" >"$tmp/trunc.der"
printf 'imsi,iccid,alg,k,opc\n262010000000004,8949000000000000042,xor,%s,\n' $K >"$tmp/subs4.csv"
"$SF" smdp import --data "$D" --template "$tmp/trunc.der" --subscribers "$tmp/subs4.csv" >/dev/null 2>"$tmp/err"
expect_eq "truncated template" $? 2
grep -q -- "--template $tmp/trunc.der: cannot be personalised" "$tmp/err" && ok || bad "message: $(cat "$tmp/err")"
"$SF" profile build --iccid 89000123456789012341 --imsi 001010123456789 --alg xor --k $KT \
	-o "$tmp/nospn.der" >/dev/null
"$SF" smdp import --data "$D" --template "$tmp/nospn.der" --subscribers "$tmp/subs4.csv" --spn X >/dev/null 2>"$tmp/err"
expect_eq "no EF.SPN" $? 2
grep -q "usim: ef-spn is not created" "$tmp/err" && ok || bad "message: $(cat "$tmp/err")"
printf 'imsi,iccid,alg,k,opc\n262010000000004,8949000000000000042,milenage,%s,%s\n262010000000005,8949000000000000059,milenage,%s,%s\n' \
	$K $OPC "$TK" $OPC >"$tmp/bad.csv"
"$SF" smdp import --data "$D" --template "$tmp/built.der" --subscribers "$tmp/bad.csv" >/dev/null 2>"$tmp/err"
expect_eq "bad row" $? 2
grep -q "line 3, column k" "$tmp/err" && ok || bad "message: $(cat "$tmp/err")"
expect_eq "nothing imported" "$(list "$D")" "$before"
"$SF" smdp import --help | grep -q -- "--template PACKAGE.der" && ok || bad "--help"

# ---- the GSMA TS.48 v7 profiles as templates ---------------------------------------------
TS48=${SF_SHARED:-$(dirname "$0")/../../../shared}/gsma/ts48-v7
if [ -d "$TS48" ]; then
	i=0
	for pkg in "$TS48"/*.der; do
		i=$((i + 1))
		n=$(basename "$pkg" .der)
		ic=$(luhn 89490000000000100$i)
		printf 'imsi,iccid,alg,k,opc\n26201000000010%s,%s,milenage,%s,%s\n' $i "$ic" $K $OPC >"$tmp/ts$i.csv"
		out=$("$SF" smdp import --data "$tmp/d2" --template "$pkg" --subscribers "$tmp/ts$i.csv")
		expect_eq "$n import" "$(jq -r '.iccid + " " + .profile_type' <<<"$out")" "$ic GSMA Generic eUICC Test Profile"
		command -v sqlite3 >/dev/null && command -v xxd >/dev/null || continue
		stored "$tmp/d2" "$ic" "$tmp/t$i.der"
		show=$("$SF" profile show "$tmp/t$i.der")
		expect_eq "$n stored" "$(summary "$show" | cut -d' ' -f1-3)" \
			"$ic 0829261000000010${i}0 milenage"
		# the USIM's and the ISIM's algoParameter both carry the row's key
		expect_eq "$n keys" "$(jq -r '[.elements[] | select(.type == "akaParameter") | .algorithm + " " + .key] | unique | join(",")' <<<"$show")" \
			"milenage $K"
		"$SF" euicc init --state "$tmp/ts-e$i" --test-mode >/dev/null
		out=$("$SF" euicc install-local --state "$tmp/ts-e$i" --enable "$tmp/t$i.der" 2>&1)
		expect_eq "$n install" "$(field "$out" iccid)" "$ic"
		expect_eq "$n AUTHENTICATE row key" "$(auth "$tmp/ts-e$i" milenage $K $OPC)" 9000
		expect_eq "$n AUTHENTICATE template key" "$(auth "$tmp/ts-e$i" xor $KT)" 9862
	done
	expect_eq "TS.48 list" "$(list "$tmp/d2" | wc -l)" "$i"
else
	echo "SKIP: $TS48 not found (../shared/gsma is not part of this checkout): TS.48 templates not checked" >&2
fi

finish
