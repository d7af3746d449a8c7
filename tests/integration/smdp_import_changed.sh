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

# changed LABEL FROM DATA WANT_MESSAGE WANT_STAYS_LINE WANT_N: a.csv imported into
# DATA while the shim turns it into FROM as the second pass begins
changed() {
	local out
	cp "$tmp/a.csv" "$tmp/in.csv"
	out=$(SF_REWRITE_FILE="$tmp/in.csv" SF_REWRITE_FROM="$2" \
		LD_PRELOAD="$SHIM${LD_PRELOAD:+:$LD_PRELOAD}" \
		ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
		"$SF" smdp import --data "$3" --subscribers "$tmp/in.csv" 2>"$tmp/err")
	expect_eq "$1: status" $? 1
	grep -q "$4" "$tmp/err" && ok || bad "$1: $(cat "$tmp/err")"
	grep -q "the $6 subscribers up to line $5 were imported (their JSON lines above), none after" \
		"$tmp/err" && ok || bad "$1, what stays: $(cat "$tmp/err")"
	expect_eq "$1: JSON lines" "$(jq -s length <<<"$out")" "$6"
	expect_eq "$1: listed" "$(count "$3")" "$6"
}
changed "other rows" "$tmp/other.csv" "$tmp/d1" \
	"line 1002: not a row checked before: the file changed during the import" 1001 1000
changed "fewer rows" "$tmp/short.csv" "$tmp/d2" \
	"700 rows now, 1203 when checked: the file changed during the import" 501 500

# without the shim the same file imports whole (the test's own control)
out=$("$SF" smdp import --data "$tmp/d3" --subscribers "$tmp/a.csv" 2>"$tmp/err")
expect_eq "unchanged: status" $? 0
expect_eq "unchanged: listed" "$(count "$tmp/d3")" 1203
finish
