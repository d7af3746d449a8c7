#!/bin/bash
# simfleet auc init/import/vectors/resync/suspend/resume/rekey end to end:
# all-or-nothing imports, vectors checked with `simfleet aka check` (the
# USIM side of the AKA engine), resync from a real AUTS, suspension, K not in
# the database file, wrong master key, rekey, and crash consistency of
# vector issue (the process aborted right after printing).
# Usage: auc.sh PATH/TO/simfleet
set -u
SF=${1:?usage: auc.sh SIMFLEET}
. "$(dirname "$0")/lib.bash"
# expect_rc LABEL WANT CMD...: exit status WANT, stderr one line
expect_rc() {
	local what=$1 want=$2; shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	if [ $rc = "$want" ]; then ok; else bad "$what: rc $rc want $want ($(cat "$tmp/err"))"; fi
}
hexdump_file() { od -An -tx1 -v "$1" 2>/dev/null | tr -d ' \n'; }

D="$tmp/auc.db" M="$tmp/master.key"
out=$("$SF" auc init --db "$D" --master-key "$M")
expect_eq "init" "$(field "$out" schema_version)" 3
[ "$(stat -c %a "$M")" = 600 ] && ok || bad "master key mode $(stat -c %a "$M")"
expect_rc "init refuses an existing db" 2 "$SF" auc init --db "$D" --master-key "$tmp/k2"
grep -q "already exists" "$tmp/err" && ok || bad "init message: $(cat "$tmp/err")"
[ ! -e "$tmp/k2" ] && ok || bad "init left a key file behind"
A=(--db "$D" --master-key "$M")

K1=465b5ce8b199b49faa5f0a2ee238a6bc OPC1=cd63cb71954a9f4e48a5994e37a02baf
K2=0396eb317b6d1c36f19c1c84cd6ffd16 OPC2=53c15671c60a4b731c55b4a441c0bde2
I1=001010000000001 I2=001010000000002 I3=001010000000003
cat >"$tmp/bad.csv" <<CSV
imsi,iccid,alg,k,opc
$I1,89000123456789012341,milenage,$K1,$OPC1
$I2,89000123456789012341,milenage,$K2,zz
CSV
expect_rc "bad csv row" 2 "$SF" auc import "${A[@]}" "$tmp/bad.csv"
grep -q "line 3, column opc" "$tmp/err" && ok || bad "bad row message: $(cat "$tmp/err")"
expect_rc "first row not imported" 1 "$SF" auc vectors "${A[@]}" --imsi $I1
grep -q "no subscriber" "$tmp/err" && ok || bad "unknown message: $(cat "$tmp/err")"

cat >"$tmp/ok.csv" <<CSV
imsi,iccid,alg,k,opc
$I1,89000123456789012341,milenage,$K1,$OPC1
$I2,,milenage,$K2,$OPC2
CSV
out=$("$SF" auc import "${A[@]}" "$tmp/ok.csv")
expect_eq "import" "$(field "$out" imported)" 2
# JSON import; a duplicate with an existing IMSI changes nothing.
cat >"$tmp/dup.json" <<JSON
[{"imsi":"$I3","alg":"xor","k":"000102030405060708090a0b0c0d0e0f"},
 {"imsi":"$I1","alg":"milenage","k":"$K1","opc":"$OPC1"}]
JSON
expect_rc "duplicate json" 2 "$SF" auc import "${A[@]}" "$tmp/dup.json"
grep -q "already provisioned" "$tmp/err" && ok || bad "dup message: $(cat "$tmp/err")"
expect_rc "json all or nothing" 1 "$SF" auc vectors "${A[@]}" --imsi $I3
echo "[{\"imsi\":\"$I3\",\"alg\":\"xor\",\"k\":\"000102030405060708090a0b0c0d0e0f\",\"res_len\":8}]" >"$tmp/x.json"
out=$("$SF" auc import "${A[@]}" "$tmp/x.json")
expect_eq "json import" "$(field "$out" imported)" 1

# K and OPc are not in the database files, nor is the master key.
for f in "$D" "$D-wal"; do
	h=$(hexdump_file "$f")
	for s in $K1 $OPC1 $K2 $(tr -d '\n' <"$M"); do
		case "$h" in *"$s"*) bad "secret found in $(basename "$f")" ;; *) ok ;; esac
	done
done

# Vectors: accepted by the USIM side of the engine.
v=$("$SF" auc vectors "${A[@]}" --imsi $I1 --n 3)
expect_eq "3 vectors" "$(jq length <<<"$v")" 3
expect_eq "first SQN" "$(jq -r '.[0].sqn' <<<"$v")" 000000000020
expect_eq "third SQN" "$(jq -r '.[2].sqn' <<<"$v")" 000000000060
r=$("$SF" aka usim --alg milenage --k $K1 --opc $OPC1 --rand "$(jq -r '.[1].rand' <<<"$v")" \
	--autn "$(jq -r '.[1].autn' <<<"$v")" 2>&1)
expect_eq "USIM accepts" "$(field "$r" result)" ok
expect_eq "RES = XRES" "$(field "$r" res)" "$(jq -r '.[1].xres' <<<"$v")"
v5=$("$SF" auc vectors "${A[@]}" --imsi $I1 --type 5g --plmn 001-01)
expect_eq "5g keys" "$(jq -r '.[0] | (.xres_star|length), (.hxres_star|length), (.kausf|length)' <<<"$v5" | tr '\n' ' ')" "32 32 64 "
ve=$("$SF" auc vectors "${A[@]}" --imsi $I1 --type eps --plmn 001-01)
expect_eq "eps kasme" "$(jq -r '.[0].kasme|length' <<<"$ve")" 64
vg=$("$SF" auc vectors "${A[@]}" --imsi $I3 --type gsm --n 2)
expect_eq "gsm triplets" "$(jq -r '.[1].sres|length' <<<"$vg")" 8
expect_rc "eps needs plmn" 2 "$SF" auc vectors "${A[@]}" --imsi $I1 --type eps

# Resync: a USIM that has seen SEQ 1000 answers with AUTS; SEQ_HE moves.
v=$("$SF" auc vectors "${A[@]}" --imsi $I2)
RAND=$(jq -r '.[0].rand' <<<"$v")
auts=$("$SF" aka usim --alg milenage --k $K2 --opc $OPC2 --rand "$RAND" \
	--autn "$(jq -r '.[0].autn' <<<"$v")" --sqn-ms 000000007d00 2>/dev/null | jq -r .auts)
if [ -n "$auts" ] && [ "$auts" != null ]; then
	out=$("$SF" auc resync "${A[@]}" --imsi $I2 --rand "$RAND" --auts "$auts")
	expect_eq "resync seq_he" "$(field "$out" seq_he)" 1000
	v=$("$SF" auc vectors "${A[@]}" --imsi $I2)
	expect_eq "after resync" "$(jq -r '.[0].sqn' <<<"$v")" 000000007d20
	expect_rc "bad AUTS" 1 "$SF" auc resync "${A[@]}" --imsi $I2 --rand "$RAND" --auts "${auts:0:26}00"
	grep -q "MAC-S" "$tmp/err" && ok || bad "bad AUTS message: $(cat "$tmp/err")"
else
	bad "simfleet aka usim did not give an AUTS"
fi

# Suspend / resume.
"$SF" auc suspend "${A[@]}" --imsi $I1 >/dev/null
expect_rc "suspended refused" 1 "$SF" auc vectors "${A[@]}" --imsi $I1
grep -q "suspended" "$tmp/err" && ok || bad "suspended message: $(cat "$tmp/err")"
out=$("$SF" auc resume "${A[@]}" --imsi $I1)
expect_eq "resume" "$(field "$out" status)" active
expect_rc "suspend unknown" 1 "$SF" auc suspend "${A[@]}" --imsi 001019999999999

# Wrong master key; rekey round trip.
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tmp/wrong.key"; chmod 600 "$tmp/wrong.key"
expect_rc "wrong master key" 1 "$SF" auc vectors --db "$D" --master-key "$tmp/wrong.key" --imsi $I1
grep -q "does not open" "$tmp/err" && ok || bad "wrong key message: $(cat "$tmp/err")"
chmod 644 "$tmp/wrong.key"
expect_rc "key file mode" 2 "$SF" auc vectors --db "$D" --master-key "$tmp/wrong.key" --imsi $I1
out=$("$SF" auc rekey "${A[@]}" --new-key "$tmp/new.key")
expect_eq "rekey" "$(field "$out" rekeyed)" 3
expect_rc "old key refused" 1 "$SF" auc vectors "${A[@]}" --imsi $I1
v=$("$SF" auc vectors --db "$D" --master-key "$tmp/new.key" --imsi $I1)
r=$("$SF" aka usim --alg milenage --k $K1 --opc $OPC1 --rand "$(jq -r '.[0].rand' <<<"$v")" \
	--autn "$(jq -r '.[0].autn' <<<"$v")" 2>&1)
expect_eq "after rekey" "$(field "$r" result)" ok
A=(--db "$D" --master-key "$tmp/new.key")
v=$("$SF" auc vectors --db "$D" --master-key - --imsi $I2 <"$tmp/new.key")
expect_eq "master key on stdin" "$(jq length <<<"$v")" 1

# Crash consistency: the process aborts right after printing its vectors;
# the SQN it printed must never be issued again.
for i in 1 2 3; do
	v=$(SF_AUC_TEST_CRASH_AFTER_PRINT=1 "$SF" auc vectors "${A[@]}" --imsi $I1 --n 2 2>/dev/null)
	last=$(jq -r '.[1].sqn' <<<"$v")
	v2=$("$SF" auc vectors "${A[@]}" --imsi $I1)
	next=$(jq -r '.[0].sqn' <<<"$v2")
	[ $((16#$next)) -gt $((16#$last)) ] && ok || bad "SQN $next reissued after crash (last $last)"
done
finish
