#!/usr/bin/env python3
"""A specialized processing system, for Motcua's event-delivery tests.

Receives webhooks on POST /, verifies each with the `standardwebhooks`
package (the specification's own implementation, independent of
Motcua's), and records every attempt. The test drives it over HTTP:

  GET  /received   -> JSON list of attempts:
                      {"id", "verified", "status", "type", "body"}
  POST /control    <- JSON {"secret": "whsec_…", "fail_first": N,
                      "fail_status": 503, "delay": seconds}

Usage: webhook_receiver.py [PORT]   (0 or none: any free port)
Prints "PORT <n>" on stdout once listening.
"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

state = {"secret": None, "fail_first": 0, "fail_status": 503, "delay": 0.0}
received = []
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body=b""):
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/received":
            with lock:
                body = json.dumps(received).encode()
            self.reply(200, body)
        else:
            self.reply(404)

    def do_POST(self):
        length = int(self.headers.get("content-length", "0"))
        raw = self.rfile.read(length)
        if self.path == "/control":
            with lock:
                state.update(json.loads(raw))
            self.reply(204)
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        with lock:
            secret = state["secret"]
            delay = state["delay"]
            fail = state["fail_first"] > 0
            if fail:
                state["fail_first"] -= 1
            fail_status = state["fail_status"]
        verified = False
        kind = None
        if secret:
            try:
                payload = Webhook(secret).verify(raw.decode(), headers)
                verified = True
                kind = payload.get("type")
            except WebhookVerificationError:
                verified = False
        if delay:
            time.sleep(delay)
        status = 400 if not verified else (fail_status if fail else 204)
        with lock:
            received.append(
                {
                    "id": headers.get("webhook-id"),
                    "verified": verified,
                    "status": status,
                    "type": kind,
                    "body": raw.decode(errors="replace"),
                }
            )
        self.reply(status)


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
