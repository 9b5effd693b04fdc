"""An OTLP/HTTP metrics receiver for tests, judged by the official OTLP
messages of PyPI's opentelemetry-proto.

Usage: python otlp_receiver.py PORT

POST /v1/metrics          an export: decoded (gunzipped first when
                          Content-Encoding says gzip), recorded, answered as
                          the next scripted answer says (200 by default).
POST /control/answers     a JSON list of answers to give, in order, to the
                          next exports: {"status": 503, "retry_after": "1",
                          "rejected": 3, "message": "...", "hang": 2.5}.
GET  /control/exports     every export so far: {"received_at": Unix
                          seconds, "headers": {...},
                          "status": answered status, "request": the
                          ExportMetricsServiceRequest as JSON (proto field
                          names, enums as integers, 64-bit integers as
                          strings), "error": why it did not decode, or null}.
GET  /control/ready       200.

It listens on 127.0.0.1 only.
"""

import gzip
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from google.protobuf import json_format
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)

LOCK = threading.Lock()
EXPORTS = []
ANSWERS = []


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", content_type="application/json", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def body(self):
        length = int(self.headers.get("Content-Length", "0"))
        return self.rfile.read(length)

    def do_GET(self):
        if self.path == "/control/ready":
            self.reply(200, b"ready")
        elif self.path == "/control/exports":
            with LOCK:
                body = json.dumps(EXPORTS).encode()
            self.reply(200, body)
        else:
            self.reply(404, b"not found")

    def do_POST(self):
        raw = self.body()
        if self.path == "/control/answers":
            with LOCK:
                ANSWERS.extend(json.loads(raw))
            self.reply(200, b"ok")
            return
        if self.path != "/v1/metrics":
            self.reply(404, b"not found")
            return
        with LOCK:
            answer = ANSWERS.pop(0) if ANSWERS else {}
        record = {
            "received_at": time.time(),
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "status": answer.get("status", 200),
            "request": None,
            "error": None,
        }
        try:
            data = raw
            if self.headers.get("Content-Encoding", "") == "gzip":
                data = gzip.decompress(data)
            if self.headers.get("Content-Type", "") != "application/x-protobuf":
                raise ValueError("content type " + self.headers.get("Content-Type", ""))
            request = ExportMetricsServiceRequest()
            request.ParseFromString(data)
            record["request"] = json_format.MessageToDict(
                request, preserving_proto_field_name=True, use_integers_for_enums=True
            )
        except Exception as error:  # recorded for the test to see
            record["error"] = "%s: %s" % (type(error).__name__, error)
            record["status"] = 400
        with LOCK:
            EXPORTS.append(record)
        if "hang" in answer:
            time.sleep(answer["hang"])
        status = record["status"]
        headers = []
        if "retry_after" in answer:
            headers.append(("Retry-After", answer["retry_after"]))
        if status == 200:
            response = ExportMetricsServiceResponse()
            if "rejected" in answer or "message" in answer:
                response.partial_success.rejected_data_points = answer.get("rejected", 0)
                response.partial_success.error_message = answer.get("message", "")
            self.reply(200, response.SerializeToString(), "application/x-protobuf", headers)
        else:
            message = answer.get("message", record["error"] or "refused").encode()
            self.reply(status, message, "text/plain", headers)


def main():
    port = int(sys.argv[1])
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
