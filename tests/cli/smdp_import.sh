#!/bin/bash
# simfleet smdp import --subscribers at fleet scale: a file of more rows than
# one batch (500) is read a line at a time, checked whole, then added in
# batches; one JSON line per subscriber imported, each profile listed and
# audited.  Nothing is imported from a file with an ICCID twice, an ICCID
# already in the inventory, a line too long, a NUL byte or a pipe (the file
# is read twice).  With standard output full, the rows committed are said
# to be imported.  A batch that
# fails in the database (a trigger planted by the test refuses one ICCID, as
# another import taking it between the check and the insert would) goes
# whole; the batches before it stay, and the message says how many.
# Usage: smdp_import.sh PATH/TO/simfleet
set -u
SF=${1:?usage: smdp_import.sh SIMFLEET}
. "$(dirname "$0")/lib.bash"
command -v jq >/dev/null || { echo "SKIP: jq not installed (scripts/bootstrap)"; exit 0; }

D=$tmp/data
# rows FIRST N: a subscribers CSV of N rows, ICCIDs 8949000001FIRST+i
rows() {
	echo "imsi,iccid,alg,k,opc"
	sub_rows 1 "$1" "$2"
}
count() { "$SF" smdp list --data "$D" | jq length; }

# ---- 1,203 rows: three batches, all imported ----
rows 0 1203 >"$tmp/a.csv"
out=$("$SF" smdp import --data "$D" --profile-type meter --subscribers "$tmp/a.csv" 2>"$tmp/err")
expect_eq "import status" $? 0
expect_eq "JSON lines" "$(jq -s length <<<"$out")" 1203
expect_eq "last line" "$(tail -n1 <<<"$out" | jq -r '.iccid + " " + .profile_type + " " + .state')" \
	"$(luhn 8949000001000001202) meter available"
expect_eq "listed" "$(count)" 1203
expect_eq "audited" "$("$SF" smdp audit --data "$D" | jq '[.[] | select(.action == "import" and .result == "ok")] | length')" 1203

# ---- refusals of the whole file ----
{ rows 2000 3; rows 2001 1 | tail -n1; } >"$tmp/twice.csv"
"$SF" smdp import --data "$D" --subscribers "$tmp/twice.csv" >"$tmp/out" 2>"$tmp/err"
expect_eq "ICCID twice: status" $? 2
grep -q "ICCID $(luhn 8949000001000002001) on line 3 and on line 5; nothing was imported" "$tmp/err" && ok ||
	bad "ICCID twice: $(cat "$tmp/err")"
expect_eq "ICCID twice: no output" "$(wc -c <"$tmp/out")" 0
{ rows 3000 2; rows 1202 1 | tail -n1; } >"$tmp/again.csv"
"$SF" smdp import --data "$D" --subscribers "$tmp/again.csv" >/dev/null 2>"$tmp/err"
expect_eq "already there: status" $? 1
grep -q "line 4: ICCID $(luhn 8949000001000001202) is already in the inventory (operator default); nothing was imported" "$tmp/err" && ok ||
	bad "already there: $(cat "$tmp/err")"
{ rows 4000 2; printf '26201%s,%s,milenage,%s,%s\n' "$(printf '0%.0s' $(seq 1100))" \
	"$(luhn 8949000001000004002)" "$(rnd 16)" "$(rnd 16)"; } >"$tmp/long.csv"
"$SF" smdp import --data "$D" --subscribers "$tmp/long.csv" >/dev/null 2>"$tmp/err"
expect_eq "long line: status" $? 2
grep -q "line 4: longer than 1024 characters; nothing was imported" "$tmp/err" && ok ||
	bad "long line: $(cat "$tmp/err")"
{ rows 5000 1; printf '2620100\0000,x\n'; } >"$tmp/nul.csv"
"$SF" smdp import --data "$D" --subscribers "$tmp/nul.csv" >/dev/null 2>"$tmp/err"
expect_eq "NUL byte: status" $? 2
grep -q "line 3: a NUL byte: not a CSV text file" "$tmp/err" && ok || bad "NUL byte: $(cat "$tmp/err")"
"$SF" smdp import --data "$D" --subscribers <(cat "$tmp/a.csv") >/dev/null 2>"$tmp/err"
expect_eq "a pipe: status" $? 2
grep -q "not a regular file (it is read twice)" "$tmp/err" && ok || bad "a pipe: $(cat "$tmp/err")"
expect_eq "nothing imported by the refusals" "$(count)" 1203

# ---- standard output full: what was committed is said, not denied ----
if [ -w /dev/full ]; then
	rows 20000 1203 >"$tmp/c.csv"
	"$SF" smdp import --data "$D" --subscribers "$tmp/c.csv" >/dev/full 2>"$tmp/err"
	expect_eq "stdout full: status" $? 1
	grep -q "the 500 subscribers up to line 501 were imported; their JSON lines could not all be written" "$tmp/err" &&
		ok || bad "stdout full: $(cat "$tmp/err")"
	grep -q "nothing was imported" "$tmp/err" && bad "stdout full: denies the import: $(cat "$tmp/err")" || ok
	expect_eq "stdout full: listed" "$(count)" 1703
	sf_more=500
else
	sf_more=0
fi

# ---- a batch that fails in the database goes whole ----
if command -v sqlite3 >/dev/null; then
	rows 10000 1203 >"$tmp/b.csv"
	refused=$(luhn 8949000001000011099) # row 1100: line 1101, in the third batch (line 1002 on)
	sqlite3 "$D/smdp.db" "CREATE TRIGGER refuse BEFORE INSERT ON profile WHEN NEW.iccid = '$refused'
		BEGIN SELECT RAISE(ABORT, 'refused by the test'); END" || bad "trigger"
	out=$("$SF" smdp import --data "$D" --subscribers "$tmp/b.csv" 2>"$tmp/err")
	expect_eq "failed batch: status" $? 1
	grep -q "line 1101: ICCID $refused: .*refused by the test" "$tmp/err" && ok ||
		bad "failed batch: $(cat "$tmp/err")"
	grep -q "the 1000 subscribers up to line 1001 were imported (their JSON lines above), none after" "$tmp/err" &&
		ok || bad "what stays: $(cat "$tmp/err")"
	expect_eq "failed batch: JSON lines" "$(jq -s length <<<"$out")" 1000
	expect_eq "failed batch: listed" "$(count)" $((2203 + sf_more))
	expect_eq "failed batch: the last imported" "$(tail -n1 <<<"$out" | jq -r .iccid)" "$(luhn 8949000001000010999)"
	expect_eq "failed batch: audited" \
		"$("$SF" smdp audit --data "$D" | jq -r --arg i "$refused" '[.[] | select(.iccid == $i)] | map(.result) | join(",")')" \
		"ESMDP_DB"
else
	echo "SKIP: sqlite3 not installed (scripts/bootstrap): the failed batch not checked" >&2
fi
finish
