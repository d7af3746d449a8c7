#!/bin/bash
# smdp import --subscribers when the file changes between its two passes
# (the shim SF_REWRITE, LD_PRELOAD, rewrites it in place as the second pass
# begins): a row whose ICCID the first pass did not check is refused, so
# are fewer rows than checked; the batches committed before stay and are
# said to be, the open one is not committed.
# Usage: smdp_import_changed.sh PATH/TO/simfleet PATH/TO/sf_rewrite.so
set -u
SF=${1:?usage: smdp_import_changed.sh SIMFLEET REWRITE_SO}
SHIM=${2:?usage: smdp_import_changed.sh SIMFLEET REWRITE_SO}
. "$(dirname "$0")/../cli/lib.bash"
command -v jq >/dev/null || { echo "SKIP: jq not installed (scripts/bootstrap)"; exit 77; }

# rows FIRST N: N subscribers, ICCIDs 8949000002FIRST+i (sub_rows)
rows() { sub_rows 2 "$1" "$2"; }
hdr="imsi,iccid,alg,k,opc"
count() { "$SF" smdp list --data "$1" | jq length; }

{ echo $hdr; rows 0 1203; } >"$tmp/a.csv"
# the same first 1,000 rows, then rows never checked
{ echo $hdr; rows 0 1000; rows 5000 203; } >"$tmp/other.csv"
# only the first 700
{ echo $hdr; rows 0 700; } >"$tmp/short.csv"

cp "$tmp/a.csv" "$tmp/in.csv"
out=$(SF_REWRITE_FILE="$tmp/in.csv" SF_REWRITE_FROM="$tmp/other.csv" LD_PRELOAD="$SHIM${LD_PRELOAD:+:$LD_PRELOAD}" ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
	"$SF" smdp import --data "$tmp/d1" --subscribers "$tmp/in.csv" 2>"$tmp/err")
expect_eq "other rows: status" $? 1
grep -q "line 1002: not a row checked before: the file changed during the import" "$tmp/err" && ok ||
	bad "other rows: $(cat "$tmp/err")"
grep -q "the 1000 subscribers up to line 1001 were imported (their JSON lines above), none after" "$tmp/err" &&
	ok || bad "other rows, what stays: $(cat "$tmp/err")"
expect_eq "other rows: JSON lines" "$(jq -s length <<<"$out")" 1000
expect_eq "other rows: listed" "$(count "$tmp/d1")" 1000

cp "$tmp/a.csv" "$tmp/in.csv"
out=$(SF_REWRITE_FILE="$tmp/in.csv" SF_REWRITE_FROM="$tmp/short.csv" LD_PRELOAD="$SHIM${LD_PRELOAD:+:$LD_PRELOAD}" ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
	"$SF" smdp import --data "$tmp/d2" --subscribers "$tmp/in.csv" 2>"$tmp/err")
expect_eq "fewer rows: status" $? 1
grep -q "700 rows now, 1203 when checked: the file changed during the import" "$tmp/err" && ok ||
	bad "fewer rows: $(cat "$tmp/err")"
grep -q "the 500 subscribers up to line 501 were imported (their JSON lines above), none after" "$tmp/err" &&
	ok || bad "fewer rows, what stays: $(cat "$tmp/err")"
expect_eq "fewer rows: listed" "$(count "$tmp/d2")" 500

# without the shim the same file imports whole (the test's own control)
out=$("$SF" smdp import --data "$tmp/d3" --subscribers "$tmp/a.csv" 2>"$tmp/err")
expect_eq "unchanged: status" $? 0
expect_eq "unchanged: listed" "$(count "$tmp/d3")" 1203
finish
