#!/usr/bin/env python3
"""A scripted ES9+ endpoint for the device agent's tests (not an SM-DP+).

Serves HTTPS on 127.0.0.1 (port 0: the kernel picks one, written to
PORTFILE), answers the SGP.22 v2 ES9+ JSON functions with fixed data, and
logs every request as one JSON line (path, the headers the agent must send,
the body) to LOG.  MODE:
  ok      initiateAuthentication succeeds (with DER fields that are
          well-formed but signed by nobody: the eUICC must refuse them);
          handleNotification answers 204; cancelSession succeeds.
  refuse  every function answers functionExecutionStatus Failed with
          subjectCode 8.2.6 / reasonCode 3.8 (matchingId refused).
  garbage initiateAuthentication answers 200 with a body that is not JSON.
  full    the whole download: authenticateClient answers profileMetadata and
          smdpSigned2 (ccRequiredFlag false), getBoundProfilePackage a
          synthetic BF36 of 9 items (BF36+BF23, A0, A1, 88, 88, A3, 86 x3).
  cc      as full, with ccRequiredFlag true.

Usage: fake_es9p.py CERT KEY PORTFILE LOG MODE
"""
import base64
import http.server
import json
import os
import ssl
import sys

CERT, KEY, PORTFILE, LOG, MODE = sys.argv[1:6]


def tlv(tag, val):
    n = len(val)
    if n < 0x80:
        ln = bytes([n])
    elif n < 0x100:
        ln = bytes([0x81, n])
    else:
        ln = bytes([0x82, n >> 8, n & 0xFF])
    return tag + ln + val


def b64(b):
    return base64.b64encode(b).decode()


TID = bytes.fromhex("0123456789abcdef0123456789abcdef")


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def answer(self, code, body=None, raw=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        self.send_response(code)
        self.send_header("X-Admin-Protocol", "gsma/rsp/v2.2.0")
        if data:
            self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data:
            self.wfile.write(data)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(n)
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        fn = self.path.rsplit("/", 1)[-1]
        with open(LOG, "a") as f:
            f.write(json.dumps({
                "path": self.path,
                "client_port": self.client_address[1],
                "x_admin_protocol": self.headers.get("X-Admin-Protocol"),
                "content_type": self.headers.get("Content-Type"),
                "user_agent": self.headers.get("User-Agent"),
                "body": body,
            }) + "\n")
        ok = {"functionExecutionStatus": {"status": "Executed-Success"}}
        if MODE == "refuse":
            self.answer(200, {"header": {"functionExecutionStatus": {
                "status": "Failed",
                "statusCodeData": {"subjectCode": "8.2.6", "reasonCode": "3.8",
                                   "message": "matchingId refused"}}}})
            return
        if MODE == "garbage":
            self.answer(200, raw=b"<html>not es9+</html>")
            return
        if fn == "initiateAuthentication":
            chal = base64.b64decode(body["euiccChallenge"])
            addr = body["smdpAddress"].encode()
            signed1 = tlv(b"\x30", tlv(b"\x80", TID) + tlv(b"\x81", chal) +
                          tlv(b"\x83", addr) + tlv(b"\x84", os.urandom(16)))
            sig1 = tlv(b"\x5f\x37", bytes(64))
            ci = tlv(b"\x04", bytes(range(20)))
            cert = tlv(b"\x30", tlv(b"\x30", b"\x02\x01\x01") + tlv(b"\x30", b""))
            self.answer(200, {"header": ok, "transactionId": TID.hex().upper(),
                              "serverSigned1": b64(signed1), "serverSignature1": b64(sig1),
                              "euiccCiPKIdToBeUsed": b64(ci), "serverCertificate": b64(cert)})
        elif fn == "authenticateClient" and MODE in ("full", "cc"):
            iccid = bytes.fromhex("984405102091384028f6")
            md = tlv(b"\xbf\x25", tlv(b"\x5a", iccid) + tlv(b"\x92", b"Test Profile"))
            signed2 = tlv(b"\x30", tlv(b"\x80", TID) +
                          tlv(b"\x01", b"\xff" if MODE == "cc" else b"\x00"))
            cert = tlv(b"\x30", tlv(b"\x30", b"\x02\x01\x02") + tlv(b"\x30", b""))
            self.answer(200, {"header": ok, "transactionId": TID.hex().upper(),
                              "profileMetadata": b64(md), "smdpSigned2": b64(signed2),
                              "smdpSignature2": b64(tlv(b"\x5f\x37", bytes(64))),
                              "smdpCertificate": b64(cert)})
        elif fn == "getBoundProfilePackage" and MODE in ("full", "cc"):
            bf23 = tlv(b"\xbf\x23", tlv(b"\x82", b"\x01") + tlv(b"\x80", TID))
            a0 = tlv(b"\xa0", tlv(b"\x87", bytes(40)))
            a1 = tlv(b"\xa1", tlv(b"\x88", bytes(100)) + tlv(b"\x88", bytes(300)))
            a3 = tlv(b"\xa3", b"".join(tlv(b"\x86", bytes([i]) * 1000) for i in range(3)))
            bpp = tlv(b"\xbf\x36", bf23 + a0 + a1 + a3)
            self.answer(200, {"header": ok, "transactionId": TID.hex(),
                              "boundProfilePackage": b64(bpp)})
        elif fn == "cancelSession" and MODE in ("full", "cc"):
            self.answer(200, {"header": ok})
        elif fn == "handleNotification":
            self.answer(204)
        else:  # authenticateClient with an error inside, cancelSession, ...
            self.answer(200, {"header": {"functionExecutionStatus": {
                "status": "Failed",
                "statusCodeData": {"subjectCode": "8.1", "reasonCode": "6.1",
                                   "message": "eUICC refused"}}}})


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(CERT, KEY)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(PORTFILE + ".tmp", PORTFILE)
srv.serve_forever()
