#!/bin/bash
# The device agent's whole download flow (sf_ipa_download, SGP.22 §3.1.3)
# between a scripted eUICC (sf_ipa_flow) and a scripted ES9+ endpoint over
# verified TLS (fake_es9p.py): the order of the ES10 and ES9+ calls, what each
# carries (ctxParams1 with the matchingId, the eUICC's responses passed on
# unchanged, hashCc), the BPP sent item by item, the PIR delivered with
# handleNotification and removed; the confirmation code refused and the
# session cancelled on both sides; an installation error still reported to
# the SM-DP+.  Skipped (77) without python3 or openssl.
# Usage: ipa_flow.sh PATH/TO/sf_ipa_flow
set -u
FLOW=${1:?usage: ipa_flow.sh SF_IPA_FLOW}
FAKE=$(dirname "$0")/fake_es9p.py
for t in python3 openssl jq base64; do
	command -v $t >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
pass=0 fail=0
tmp=$(mktemp -d)
FAKE_PID=
cleanup() {
	[ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null && wait "$FAKE_PID" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
expect_eq() { if [ "$2" = "$3" ]; then ok; else bad "$1: got '$2' want '$3'"; fi; }

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
	-keyout "$tmp/tls.key" -out "$tmp/tls.pem" 2>/dev/null || { echo "SKIP: openssl req"; exit 77; }
start_fake() { # MODE
	rm -f "$tmp/port" "$tmp/es9.log"
	python3 "$FAKE" "$tmp/tls.pem" "$tmp/tls.key" "$tmp/port" "$tmp/es9.log" "$1" 2>"$tmp/fake.err" &
	FAKE_PID=$!
	for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
	PORT=$(cat "$tmp/port")
}
stop_fake() { kill "$FAKE_PID"; wait "$FAKE_PID" 2>/dev/null; FAKE_PID=; }
# es10 SEQ: the ES10 request tags in order, items collapsed to one "items"
es10_seq() { awk '$1 == "es10" { if ($2 == "item") { if (!it) print "items"; it = 1 } else { it = 0; print $2 } }' "$tmp/out" | tr '\n' ' '; }
es9_seq() { jq -r '.path | sub(".*/"; "")' "$tmp/es9.log" | tr '\n' ' '; }
b64hex() { base64 -d | od -An -v -tx1 | tr -d ' \n'; }

# ---- a complete download ----
start_fake full
"$FLOW" "$tmp/tls.pem" "LPA:1\$127.0.0.1:$PORT\$MATCH-42" >"$tmp/out" 2>"$tmp/err"
expect_eq "result" "$(grep '^result' "$tmp/out")" "result OK -"
expect_eq "ES10 sequence" "$(es10_seq)" "BF20 BF2E BF38 BF21 items BF2B BF30 "
expect_eq "ES9+ sequence" "$(es9_seq)" \
	"initiateAuthentication authenticateClient getBoundProfilePackage handleNotification "
expect_eq "BPP items" "$(grep -c '^es10 item' "$tmp/out")" 9
expect_eq "iccid" "$(grep '^iccid' "$tmp/out")" "iccid 8944500102198304826"
expect_eq "pir" "$(grep '^pir' "$tmp/out")" "pir 1 delivered 1 removed 1"
# one connection (and TLS session) for the whole download
expect_eq "connection reused" "$(jq -r .client_port "$tmp/es9.log" | sort -u | wc -l)" 1
# what went to the SM-DP+: the eUICC's answers unchanged, the tid as hex
ac=$(sed -n 2p "$tmp/es9.log")
expect_eq "authenticateClient tid" "$(jq -r .body.transactionId <<<"$ac")" 0123456789abcdef0123456789abcdef
expect_eq "authenticateServerResponse" "$(jq -r .body.authenticateServerResponse <<<"$ac" | b64hex)" \
	bf380aa00830038001015f3700
gb=$(sed -n 3p "$tmp/es9.log")
expect_eq "prepareDownloadResponse" "$(jq -r .body.prepareDownloadResponse <<<"$gb" | b64hex)" \
	bf210aa00830038001025f3700
hn=$(sed -n 4p "$tmp/es9.log")
expect_eq "pendingNotification is the PIR" "$(jq -r .body.pendingNotification <<<"$hn" | b64hex | cut -c1-4)" bf37
expect_eq "handleNotification has no tid" "$(jq -r '.body | keys | join(",")' <<<"$hn")" pendingNotification
# the AuthenticateServer request carries ctxParams1 [0] {matchingId [0],
# deviceInfo [1] {tac [0], deviceCapabilities [1] {eutranEpcSupportedRelease [5]}}}
expect_eq "ctxParams1" "$(grep '^ctxparams1' "$tmp/out")" \
	"ctxparams1 a0198008$(printf MATCH-42 | od -An -tx1 | tr -d ' \n')a10d800435290611a10585030f0000"
grep -q "progress: ES10b.LoadBoundProfilePackage: .* in 9 items" "$tmp/err" && ok || bad "progress: $(cat "$tmp/err")"
# a confirmation code that is not required is not sent
grep -q "with hashCc" "$tmp/err" && bad "hashCc sent without ccRequired" || ok
stop_fake

# ---- confirmation code required ----
start_fake cc
"$FLOW" "$tmp/tls.pem" "1\$127.0.0.1:$PORT\$MATCH-42" >"$tmp/out" 2>"$tmp/err"
expect_eq "cc missing" "$(grep '^result' "$tmp/out")" "result EIPA_CC_REQUIRED prepareDownload"
expect_eq "cc missing: ES10" "$(es10_seq)" "BF20 BF2E BF38 BF41 "
expect_eq "cc missing: ES9+" "$(es9_seq)" "initiateAuthentication authenticateClient cancelSession "
cs=$(tail -n1 "$tmp/es9.log")
expect_eq "cancelSession tid" "$(jq -r .body.transactionId <<<"$cs")" 0123456789abcdef0123456789abcdef
expect_eq "cancelSessionResponse" "$(jq -r .body.cancelSessionResponse <<<"$cs" | b64hex)" bf410aa00830038001035f3700
grep -q "^es10 BF41 .* bf411580.*810100$" "$tmp/out" && ok || bad "CancelSession reason endUserRejection: $(grep BF41 "$tmp/out")"
rm -f "$tmp/es9.log"
"$FLOW" "$tmp/tls.pem" "1\$127.0.0.1:$PORT\$MATCH-42" 12345678 >"$tmp/out" 2>"$tmp/err"
expect_eq "cc given" "$(grep '^result' "$tmp/out")" "result OK -"
grep -q "PrepareDownload (with hashCc)" "$tmp/err" && ok || bad "no hashCc: $(cat "$tmp/err")"
# SHA-256(SHA-256("12345678") || transactionId), computed independently (python3)
want=$(python3 -c 'import hashlib; t=bytes.fromhex("0123456789abcdef0123456789abcdef"); print(hashlib.sha256(hashlib.sha256(b"12345678").digest()+t).hexdigest())')
expect_eq "hashCc" "$(grep '^hashcc' "$tmp/out")" "hashcc $want"
stop_fake

# ---- the eUICC cannot install: the PIR (errorResult) still reaches the SM-DP+ ----
start_fake full
"$FLOW" "$tmp/tls.pem" "1\$127.0.0.1:$PORT\$MATCH-42" - installfail >"$tmp/out" 2>"$tmp/err"
expect_eq "install fails" "$(grep '^result' "$tmp/out")" "result EIPA_INSTALL loadBoundProfilePackage"
expect_eq "stopped at the PIR" "$(grep -c '^es10 item' "$tmp/out")" 3
expect_eq "error PIR delivered" "$(grep '^pir' "$tmp/out")" "pir 0 delivered 1 removed 1"
expect_eq "install fails: ES9+" "$(es9_seq)" \
	"initiateAuthentication authenticateClient getBoundProfilePackage handleNotification "
stop_fake

echo "ipa_flow.sh: $pass passed, $fail failed"
[ "$fail" = 0 ]
