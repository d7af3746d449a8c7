#!/usr/bin/env python3
"""A TLS proxy between the device agent and the SM-DP+ that cuts the
connection in the middle of one ES9+ call, for tests/integration/es9_cut.sh.

Usage: cut_proxy.py CERT KEY CA UPSTREAM_PORT_FILE PORT_FILE SPEC_FILE LOG
  CERT, KEY   the TLS identity to show the agent (the SM-DP+'s DPtls, so the
              agent's verification against CA passes)
  CA          trust anchor for the upstream SM-DP+
  UPSTREAM_PORT_FILE  holds the SM-DP+'s port on loopback (read per request:
              the SM-DP+ starts after the proxy, whose port is its address)
  PORT_FILE   receives the proxy's own port
  SPEC_FILE   "FUNCTION WHEN", read per request: the ES9+ function to cut
              (e.g. getBoundProfilePackage) and WHEN, "before" (the request
              never reaches the SM-DP+) or "after" (the SM-DP+ handles it, its
              answer never reaches the agent); every call of that function
              is cut (libcurl resends a request whose reused connection died
              before the answer) until the test empties the file
Every other request is relayed as it is.  One line per request goes to LOG
("FUNCTION relayed|cut-before|cut-after").
"""
import http.client
import http.server
import socketserver
import ssl
import sys

cert, key, ca, up_port_file, port_file, spec_file, log = sys.argv[1:8]


def spec():
    try:
        with open(spec_file) as f:
            w = f.read().split()
        return (w[0], w[1]) if len(w) == 2 else (None, None)
    except OSError:
        return (None, None)


def note(line):
    with open(log, "a") as f:
        f.write(line + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(n)
        name = self.path.rsplit("/", 1)[-1]
        function, when = spec()
        cut = name == function
        if cut and when == "before":
            note(name + " cut-before")
            self.close_connection = True
            self.connection.shutdown(2)
            return
        ctx = ssl.create_default_context(cafile=ca)
        ctx.check_hostname = False
        with open(up_port_file) as f:
            up_port = int(f.read().strip())
        up = http.client.HTTPSConnection("127.0.0.1", up_port, context=ctx, timeout=30)
        hdrs = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        up.request("POST", self.path, body=body, headers=hdrs)
        r = up.getresponse()
        data = r.read()
        up.close()
        if cut:
            note(name + " cut-after")
            self.close_connection = True
            self.connection.shutdown(2)
            return
        note(name + " relayed")
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *a):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


srv = Server(("127.0.0.1", 0), Handler)
sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
sctx.load_cert_chain(cert, key)
srv.socket = sctx.wrap_socket(srv.socket, server_side=True)
with open(port_file, "w") as f:
    f.write(str(srv.server_port))
srv.serve_forever()
