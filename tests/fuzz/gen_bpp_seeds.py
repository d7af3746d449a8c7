#!/usr/bin/env python3
"""Seed corpus of fuzz_bpp (see the input format in tests/fuzz/fuzz_bpp.c).

The harness protects segments itself, so a seed only has to get the
lengths right: a BSP segment of n plaintext octets is, for 86/87,
pad16(n + 1) + 8 octets of value, for 88 n + 8 (bpp-crypto.md §4).
Usage: tests/fuzz/gen_bpp_seeds.py tests/fuzz/corpus_bpp
"""
import os
import struct
import sys


def lenlen(n):
    return 1 if n < 0x80 else 2 if n < 0x100 else 3 if n < 0x10000 else 4


def hdr_len(tag_len, n):
    return tag_len + lenlen(n)


def seg_len(tag, n):
    v = n + 8 if tag == 0x88 else (n // 16 + 1) * 16 + 8
    return 1 + lenlen(v) + v


def u16(n):
    return struct.pack(">H", n)


OP_RAW, OP_BF36 = 0x00, 0x01
OP_86, OP_87, OP_88 = 0x02, 0x02 | 1 << 2, 0x02 | 2 << 2
OP_A0 = 0x10  # with OP_87: wrapped in A0
OP_A1, OP_A3, OP_A2RSK, OP_CANCEL = 0x03, 0x0B, 0x07, 0x0F

BCD = bytes.fromhex("98001032547698103214")


def metadata(pclass=1):
    v = b"\x5a\x0a" + BCD + b"\x91\x08simfleet" + b"\x92\x04test"
    if pclass is not None:
        v += bytes([0x95, 1, pclass])
    return b"\xbf\x25" + bytes([len(v)]) + v


def bpp(cfg=0, md=None, ppk=False, upp_len=300, seg=200, cancel_after=None, cisdp=b"\xbf\x24\x00"):
    md = metadata() if md is None else md
    upp = bytes((i * 7 + 3) & 0xFF for i in range(upp_len))
    segs = [upp[i:i + seg] for i in range(0, upp_len, seg)]
    a0 = seg_len(0x87, len(cisdp))
    a0 += hdr_len(1, a0)
    a1 = seg_len(0x88, len(md))
    a2 = 0
    if ppk:
        a2 = seg_len(0x87, 57)
        a2 += hdr_len(1, a2)
    a3 = sum(seg_len(0x86, len(s)) for s in segs)
    total = a0 + hdr_len(1, a1) + a1 + a2 + hdr_len(1, a3) + a3
    out = bytes([cfg])
    ops = [bytes([OP_BF36]) + u16(total),
           bytes([OP_87 | OP_A0]) + u16(len(cisdp)) + cisdp,
           bytes([OP_A1]) + u16(a1),
           bytes([OP_88]) + u16(len(md)) + md]
    if ppk:
        ops.append(bytes([OP_A2RSK]))
    ops.append(bytes([OP_A3]) + u16(a3))
    ops += [bytes([OP_86]) + u16(len(s)) + s for s in segs]
    if cancel_after is not None:
        ops.insert(cancel_after, bytes([OP_CANCEL]))
    return out + b"".join(ops)


def main():
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)
    seeds = {
        "good": bpp(),
        "good_ppk": bpp(ppk=True),
        "good_one_segment": bpp(upp_len=40, seg=1007),
        "iccid_exists": bpp(cfg=1),
        "install_fails": bpp(cfg=2 << 1),
        "class_3": bpp(md=metadata(3)),
        "no_class": bpp(md=metadata(None)),
        "not_cisdp": bpp(cisdp=b"\xbf\x25\x00"),
        "cancel_mid_load": bpp(cancel_after=3),
        "cancel_wrong_tid": bytes([0, OP_CANCEL | 0x10, OP_CANCEL]),
        "raw_items": bytes([0, OP_RAW]) + u16(4) + bytes.fromhex("bf360100")
        + bytes([OP_RAW]) + u16(2) + bytes.fromhex("a105"),
        "header_first": bytes([0, OP_A1]) + u16(10) + bytes([OP_86]) + u16(3) + b"abc",
    }
    for name, data in seeds.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
