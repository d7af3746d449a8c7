#!/bin/bash
# The simfleet aka command, end to end: outputs against published vectors,
# USIM/AuC round trips, secrets from files and stdin, bad input -> exit 2 with
# the flag named on one stderr line, --help everywhere.
# Usage: aka.sh PATH/TO/simfleet
set -u
SF=${1:?usage: aka.sh SIMFLEET}
. "$(dirname "$0")/lib.bash"


# ---- gen: TS 35.207 set 1 with OP ------------------------------------------------
M1=(--alg milenage --k 465b5ce8b199b49faa5f0a2ee238a6bc --op cdc202d5123e20f62b6d676ac72cb318)
out=$("$SF" aka gen "${M1[@]}" --sqn ff9bb4d0b607 --amf b9b9 --rand 23553cbe9637a89d218ae64dae47bf35)
expect_eq "gen exit" $? 0
expect_eq opc "$(field "$out" opc)" cd63cb71954a9f4e48a5994e37a02baf
expect_eq mac_a "$(field "$out" mac_a)" 4a9ffac354dfafb3
expect_eq mac_s "$(field "$out" mac_s)" 01cfaf9ec4e871e9
expect_eq res "$(field "$out" res)" a54211d5e3ba50bf
expect_eq ck "$(field "$out" ck)" b40ba9a3c58b2a05bbf0d987b21bf8cb
expect_eq ik "$(field "$out" ik)" f769bcd751044604127672711c6d3441
expect_eq ak "$(field "$out" ak)" aa689c648370
expect_eq ak_star "$(field "$out" ak_star)" 451e8beca43b
expect_eq autn "$(field "$out" autn)" 55f328b43577b9b94a9ffac354dfafb3
expect_eq sres "$(field "$out" sres)" 46f8416a
expect_eq kc "$(field "$out" kc)" eae4be823af9a08b
expect_eq "no 5G without --snn" "$(field "$out" res_star)" "<none>"

# The same with OPc from a file and K from stdin.
echo cd63cb71954a9f4e48a5994e37a02baf >"$tmp/opc"
out2=$(echo 465b5ce8b199b49faa5f0a2ee238a6bc | "$SF" aka gen --alg milenage --k - --opc @"$tmp/opc" \
	--sqn ff9bb4d0b607 --amf b9b9 --rand 23553cbe9637a89d218ae64dae47bf35)
expect_eq "secrets from file and stdin" "$out2" "$out"

# 5G values from the vector of kdf_5g.tsv rows 6-8 (Milenage with OPc -> XRES* -> HXRES*).
out=$("$SF" aka gen --alg milenage --k 00112233445566778899aabbccddeeff --opc 62e75b8d6fa5bf46ec87a9276f9df54d \
	--sqn 000000000001 --amf 8000 --rand 00112233445566778899aabbccddeeff --snn 5G:mnc001.mcc001.3gppnetwork.org)
expect_eq res_star "$(field "$out" res_star)" 31b6d938a5290ccc65bc829f9820a8d9
expect_eq hxres_star "$(field "$out" hxres_star)" 3308fb7cf06a35f1cd086b904ce82ecf
[ "$(field "$out" kausf)" != "<none>" ] && ok || bad "kausf missing"
[ "$(field "$out" ck_prime)" != "<none>" ] && ok || bad "ck_prime missing"

# RAND drawn when not given: two runs differ.
r1=$(field "$("$SF" aka gen "${M1[@]}" --sqn 000000000020 --amf 8000)" rand)
r2=$(field "$("$SF" aka gen "${M1[@]}" --sqn 000000000020 --amf 8000)" rand)
[ ${#r1} = 32 ] && [ "$r1" != "$r2" ] && ok || bad "random RAND: '$r1' '$r2'"

# ---- TUAK: TS 35.233 set 2 (256-bit K, 128-bit MAC, 64-bit RES) ------------------------
T2=(--alg tuak --k fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0efeeedecebeae9e8e7e6e5e4e3e2e1e0
	--top 808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f --mac-len 128 --res-len 64)
out=$("$SF" aka gen "${T2[@]}" --sqn 0123456789ab --amf abcd --rand 0123456789abcdef0123456789abcdef)
expect_eq topc "$(field "$out" topc)" 305425427e18c503c8a4b294ea72c95d0c36c6c6b29d0c65de5974d5977f8524
expect_eq tuak_mac_a "$(field "$out" mac_a)" c0b8c2d4148ec7aa5f1d78a97e4d1d58
expect_eq tuak_mac_s "$(field "$out" mac_s)" ef81af7290f7842c6ceafa537fa0745b
expect_eq tuak_res "$(field "$out" res)" e9d749dc4eea0035
autn=$(field "$out" autn)
expect_eq "tuak autn length" ${#autn} 48
u=$("$SF" aka usim "${T2[@]}" --rand 0123456789abcdef0123456789abcdef --autn "$autn" --sqn-ms 012345678900)
expect_eq "tuak usim" "$(field "$u" result)" ok
expect_eq "tuak usim res" "$(field "$u" res)" e9d749dc4eea0035

# ---- XOR (TS.48 key) ------------------------------------------------------------------
out=$("$SF" aka gen --alg xor --k 000102030405060708090a0b0c0d0e0f --sqn 000000000000 --amf 0000 \
	--rand b5039c57e4a75051551d1a390a71ce48)
expect_eq xor_autn "$(field "$out" autn)" 54e0a256565d0000b5029e54e0a25656
expect_eq xor_sres "$(field "$out" sres)" 0ec81877
expect_eq xor_kc "$(field "$out" kc)" 98e880384887f9fe

# ---- USIM: accept, replay -> sync failure -> resync -----------------------------------
RAND=c0ffee00c0ffee00c0ffee00c0ffee00
out=$("$SF" aka gen "${M1[@]}" --sqn 000000000061 --amf 8000 --rand $RAND)   # SEQ 3, IND 1
autn=$(field "$out" autn)
u=$("$SF" aka usim "${M1[@]}" --rand $RAND --autn "$autn" --sqn-ms 000000000041)  # SEQ 2 seen
expect_eq "usim ok" "$(field "$u" result)" ok
expect_eq "usim res" "$(field "$u" res)" "$(field "$out" res)"
expect_eq "usim ck" "$(field "$u" ck)" "$(field "$out" ck)"
expect_eq "usim kc" "$(field "$u" kc)" "$(field "$out" kc)"
u=$("$SF" aka usim "${M1[@]}" --rand $RAND --autn "$autn" --sqn-ms 000000000080)  # SEQ 4 seen
expect_eq "usim sync failure" "$(field "$u" result)" sync_failure
auts=$(field "$u" auts)
r=$("$SF" aka resync "${M1[@]}" --rand $RAND --auts "$auts")
expect_eq "resync sqn_ms" "$(field "$r" sqn_ms)" 000000000080
r=$("$SF" aka resync "${M1[@]}" --rand $RAND --auts "${auts:0:27}0")
expect_eq "resync bad AUTS" "$(field "$r" result)" mac_s_failure
# Δ: a jump of more than Δ is refused, exactly Δ accepted (IND 5 bits).
out=$("$SF" aka gen "${M1[@]}" --sqn 000000000820 --amf 8000 --rand $RAND)   # SEQ 65
u=$("$SF" aka usim "${M1[@]}" --rand $RAND --autn "$(field "$out" autn)" --delta 64)
expect_eq "delta exceeded" "$(field "$u" result)" sync_failure
u=$("$SF" aka usim "${M1[@]}" --rand $RAND --autn "$(field "$out" autn)" --delta 65)
expect_eq "delta reached" "$(field "$u" result)" ok
# A flipped bit of MAC-A.
u=$("$SF" aka usim "${M1[@]}" --rand $RAND --autn "${autn:0:31}0")
[ "${autn:31:1}" != 0 ] || u=$("$SF" aka usim "${M1[@]}" --rand $RAND --autn "${autn:0:31}1")
expect_eq "mac failure" "$(field "$u" result)" mac_failure

# ---- kdf ---------------------------------------------------------------------------------
SNN=5G:mnc001.mcc001.3gppnetwork.org
k=$("$SF" aka kdf snn --mcc 001 --mnc 01)
expect_eq snn "$(field "$k" snn)" $SNN
k=$("$SF" aka kdf kausf --ck 0102030405060708090a0b0c0d0e0f00 --ik 02030405060708090a0b0c0d0e0f0001 \
	--snn $SNN --sqn-xor-ak 0304050607f7)
expect_eq kausf "$(field "$k" kausf)" 20de4eb2b75c8dac301ad52773e2e37bd7b4b0c2fdb1c3751b98dd0df846aed5
k=$("$SF" aka kdf kseaf --kausf 20de4eb2b75c8dac301ad52773e2e37bd7b4b0c2fdb1c3751b98dd0df846aed5 --snn $SNN)
expect_eq kseaf "$(field "$k" kseaf)" d2bbc63b0c141247341c0fca3dc3bffdc6bfc1813489342de8487e7e4dc3728b
k=$("$SF" aka kdf kamf --kseaf d2bbc63b0c141247341c0fca3dc3bffdc6bfc1813489342de8487e7e4dc3728b --supi 001010123456789)
expect_eq kamf "$(field "$k" kamf)" 7e9f97707cef48318df182a7f9e7ba838a6fb36ab83a7d1baf2610b97a5b9dcf
k=$("$SF" aka kdf kgnb --kamf 7e9f97707cef48318df182a7f9e7ba838a6fb36ab83a7d1baf2610b97a5b9dcf --count 0)
expect_eq kgnb "$(field "$k" kgnb)" 617c2f3db714a5a10597591a25feb21a159ea7796109292b0b2ca579d9002b0c
k=$("$SF" aka kdf ck-ik-prime --ck 5349fbe098649f948f5d2e973a81c00f --ik 9744871ad32bf9bbd1dd5ce54e3e2e5a \
	--anid WLAN --sqn-xor-ak bb52e91c747a)
expect_eq ck_prime "$(field "$k" ck_prime)" 0093962d0dd84aa5684b045c9edffa04
expect_eq ik_prime "$(field "$k" ik_prime)" ccfc230ca74fcc96c0a5d61164f5a76c
k=$("$SF" aka kdf hxres-star --rand 00112233445566778899aabbccddeeff --res-star 31b6d938a5290ccc65bc829f9820a8d9)
expect_eq hxres "$(field "$k" hxres_star)" 3308fb7cf06a35f1cd086b904ce82ecf
k=$("$SF" aka kdf plmn-id --mcc 001 --mnc 01)
expect_eq plmn "$(field "$k" plmn_id)" 00f110

# ---- bad input: exit 2, one line on stderr naming the flag -------------------------------
# expect_usage FLAG ARGS...
expect_usage() {
	local flag=$1; shift
	"$SF" "$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	local lines; lines=$(wc -l <"$tmp/err")
	if [ $rc = 2 ] && [ "$lines" = 1 ] && grep -q -- "$flag" "$tmp/err" && [ ! -s "$tmp/out" ]; then
		ok
	else
		bad "expected exit 2 naming $flag for: $* (rc $rc, stderr: $(cat "$tmp/err"))"
	fi
}
expect_usage --k aka gen --alg milenage --k 1234 --opc cd63cb71954a9f4e48a5994e37a02baf --sqn 000000000000 --amf 0000
expect_usage --k aka gen --alg milenage --k zz5b5ce8b199b49faa5f0a2ee238a6bc --opc cd63cb71954a9f4e48a5994e37a02baf --sqn 000000000000 --amf 0000
expect_usage --alg aka gen --alg comp128 --k 465b5ce8b199b49faa5f0a2ee238a6bc --sqn 000000000000 --amf 0000
expect_usage --sqn aka gen "${M1[@]}" --sqn 00000000000 --amf 0000
expect_usage --amf aka gen "${M1[@]}" --sqn 000000000000 --amf 00000
expect_usage --rand aka gen "${M1[@]}" --sqn 000000000000 --amf 0000 --rand 00
expect_usage --mac-len aka gen "${M1[@]}" --sqn 000000000000 --amf 0000 --mac-len 128
expect_usage --res-len aka gen "${T2[@]/--res-len/--ck-len}" --sqn 000000000000 --amf 0000 --res-len 48
expect_usage --iterations aka gen "${T2[@]}" --sqn 000000000000 --amf 0000 --iterations 0
expect_usage --op aka gen --alg xor --k 000102030405060708090a0b0c0d0e0f --op cdc202d5123e20f62b6d676ac72cb318 --sqn 000000000000 --amf 0000
expect_usage --top aka gen --alg milenage --k 465b5ce8b199b49faa5f0a2ee238a6bc --top 00 --sqn 000000000000 --amf 0000
expect_usage --opc aka gen --alg milenage --k 465b5ce8b199b49faa5f0a2ee238a6bc --sqn 000000000000 --amf 0000
expect_usage --k aka gen --alg milenage --k @"$tmp/does-not-exist" --opc cd63cb71954a9f4e48a5994e37a02baf --sqn 000000000000 --amf 0000
expect_usage --autn aka usim "${M1[@]}" --rand $RAND --autn 00
expect_usage --ind-bits aka usim "${M1[@]}" --rand $RAND --autn "$autn" --ind-bits 9
expect_usage --delta aka usim "${M1[@]}" --rand $RAND --autn "$autn" --delta 0
expect_usage --age-limit aka usim "${M1[@]}" --rand $RAND --autn "$autn" --age-limit x
expect_usage --auts aka resync "${M1[@]}" --rand $RAND --auts 1234
expect_usage --mcc aka kdf snn --mcc 1 --mnc 01
expect_usage --supi aka kdf kamf --kseaf 00000000000000000000000000000000000000000000000000000000000000aa --supi 12ab
expect_usage unknown aka frobnicate
expect_usage unknown aka kdf frobnicate

# Secrets never appear in an error message.
"$SF" aka gen --alg milenage --k 465b5ce8b199b49faa5f0a2ee238a6bc --opc 1234 --sqn 000000000000 --amf 0000 2>"$tmp/err"
grep -q 465b5ce8 "$tmp/err" && bad "K leaked to stderr" || ok

# --help on every command exits 0 and prints usage to stdout.
for c in "" "aka" "aka gen" "aka usim" "aka resync" "aka kdf" "version"; do
	# shellcheck disable=SC2086
	if "$SF" $c --help >"$tmp/out" 2>/dev/null && grep -q Usage "$tmp/out"; then ok; else bad "--help for '$c'"; fi
done
v=$("$SF" version)
case "$(field "$v" aes)" in vaes-avx512 | aes-ni | portable) ok ;; *) bad "version: $v" ;; esac

finish
