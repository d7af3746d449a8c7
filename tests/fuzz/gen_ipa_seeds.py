#!/usr/bin/env python3
"""Seed corpus of fuzz_ipa (tests/fuzz/fuzz_ipa.c): one file per case, a
selector octet and the card's R-APDUs (2-octet length each) or the raw input.
Usage: gen_ipa_seeds.py tests/fuzz/corpus_ipa"""
import os
import sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def tlv(tag, val):
    n = len(val)
    ln = bytes([n]) if n < 0x80 else (bytes([0x81, n]) if n < 0x100 else bytes([0x82, n >> 8, n & 0xFF]))
    return tag + ln + val


def rapdus(*rs):
    return b"".join(len(r).to_bytes(2, "big") + r for r in rs)


def seed(name, sel, body):
    with open(os.path.join(out, name), "wb") as f:
        f.write(bytes([sel]) + body)


OK = b"\x90\x00"
eid = tlv(b"\xbf\x3e", tlv(b"\x5a", bytes.fromhex("89049032123451234512345678901235")))
seed("eid_direct", 0x70, rapdus(eid + OK))
seed("eid_t0", 0x70, rapdus(bytes([0x61, len(eid)]), eid + OK))
iccid = bytes.fromhex("98001032547698103214")
prof = tlv(b"\xe3", tlv(b"\x5a", iccid) + tlv(b"\x4f", bytes(16)) + tlv(b"\x9f\x70", b"\x01") +
           tlv(b"\x90", b"nick") + tlv(b"\x91", b"SP") + tlv(b"\x92", b"name") + tlv(b"\x95", b"\x02"))
seed("profiles", 0x71, rapdus(tlv(b"\xbf\x2d", tlv(b"\xa0", prof + prof)) + OK))
seed("profiles_error", 0x71, rapdus(tlv(b"\xbf\x2d", tlv(b"\x81", b"\x7f")) + OK))
meta = tlv(b"\xbf\x2f", tlv(b"\x80", b"\x05") + tlv(b"\x81", b"\x07\x80") + tlv(b"\x0c", b"smdp.example") +
           tlv(b"\x5a", iccid))
seed("notifications", 0x72, rapdus(tlv(b"\xbf\x28", tlv(b"\xa0", meta + meta)) + OK))
pir = tlv(b"\xbf\x37", tlv(b"\xbf\x27", tlv(b"\x80", bytes(16)) + meta + tlv(b"\x06", b"\x88\x37") +
                       tlv(b"\xa2", tlv(b"\xa0", tlv(b"\x4f", bytes(16)) + tlv(b"\x04", b"")))) +
          tlv(b"\x5f\x37", bytes(64)))
pl = len(tlv(b"\xbf\x2b", tlv(b"\xa0", pir)))
seed("retrieve_t0", 0x73, rapdus(bytes([0x61, 0]), tlv(b"\xbf\x2b", tlv(b"\xa0", pir))[:256] + bytes([0x61, pl - 256]),
                                 tlv(b"\xbf\x2b", tlv(b"\xa0", pir))[256:] + OK) if pl > 256 else
     rapdus(bytes([0x61, pl]), tlv(b"\xbf\x2b", tlv(b"\xa0", pir)) + OK))
seed("challenge", 0x74, rapdus(tlv(b"\xbf\x2e", tlv(b"\x80", bytes(range(16)))) + OK))
seed("remove", 0x75, rapdus(tlv(b"\xbf\x30", tlv(b"\x80", b"\x00")) + OK))
seed("enable_chain", 0x06, rapdus(OK, OK, tlv(b"\xbf\x31", tlv(b"\x80", b"\x02")) + OK))
seed("open", 0x77, rapdus(b"\x01" + OK, b"\x6f\x00\x90\x00"))
seed("open_6c", 0x77, rapdus(b"\x6a\x81", b"\x6c\x10", OK))
seed("pir_ok", 0x78, pir)
bpp = tlv(b"\xbf\x36", tlv(b"\xbf\x23", tlv(b"\x82", b"\x01")) + tlv(b"\xa0", tlv(b"\x87", b"")) +
          tlv(b"\xa1", tlv(b"\x88", b"\x00")) + tlv(b"\xa2", tlv(b"\x87", bytes(3))) +
          tlv(b"\xa3", tlv(b"\x86", bytes(300)) + tlv(b"\x86", b"\x01")))
seed("bpp_split", 0x79, bpp)
seed("ac", 0x7A, b"LPA:1$smdp.example.com:8443$ABC-123$1.3.6.1.4.1.31746$1")
seed("load_bpp", 0x0B, rapdus(*([OK] * 6), bytes([0x61, len(pir)]), pir + OK))
