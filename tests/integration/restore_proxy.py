#!/usr/bin/env python3
"""A counting HTTP proxy in front of moto_server for the restore integration tests.

moto completes restores at once and ignores the Tier of a RestoreObject request, and its log
does not show request bodies. This proxy forwards every request unchanged and appends one JSON
line per RestoreObject to a log file: {"path": ..., "status": ..., "tier": ..., "days": ...},
so a test can check which tier and Days thaw asked for.

Usage: restore_proxy.py LISTEN_PORT UPSTREAM_PORT LOG_FILE
"""
import http.client
import http.server
import json
import re
import sys
import threading

LISTEN, UPSTREAM, LOG = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
lock = threading.Lock()
local = threading.local()


def upstream():
    if getattr(local, "conn", None) is None:
        local.conn = http.client.HTTPConnection("127.0.0.1", UPSTREAM, timeout=60)
    return local.conn


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
        for attempt in range(2):
            try:
                conn = upstream()
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                break
            except (http.client.HTTPException, OSError):
                local.conn = None
                if attempt == 1:
                    raise
        if self.command == "POST" and re.search(r"[?&]restore(&|=|$)", self.path):
            text = body.decode("utf-8", "replace")
            tier = re.search(r"<Tier>([^<]*)</Tier>", text)
            days = re.search(r"<Days>([^<]*)</Days>", text)
            entry = {"path": self.path, "status": resp.status,
                     "tier": tier.group(1) if tier else None,
                     "days": int(days.group(1)) if days else None}
            with lock, open(LOG, "a") as f:
                f.write(json.dumps(entry) + "\n")
        self.send_response_only(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() not in ("connection", "transfer-encoding", "content-length"):
                self.send_header(k, v)
        if self.command == "HEAD":
            self.send_header("Content-Length", resp.getheader("Content-Length") or "0")
        else:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = forward


http.server.ThreadingHTTPServer.daemon_threads = True
http.server.ThreadingHTTPServer(("127.0.0.1", LISTEN), Handler).serve_forever()
