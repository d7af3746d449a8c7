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
