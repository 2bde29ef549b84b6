#!/usr/bin/env python3
"""A range-capable HTTP server on 127.0.0.1 for dsplan's remote-file tests (nothing leaves the machine).

Serves ROOT like the Hugging Face Hub:
  /api/models/OWNER/REPO                 {"siblings": [{"rfilename": ...}]}, every file under ROOT/OWNER/REPO
  /OWNER/REPO/resolve/main/PATH          the file, with Range (206 + Content-Range) and an ETag
  /OWNER/redirect-REPO/resolve/main/PATH 302 to http://localhost:PORT/OWNER/REPO/resolve/main/PATH (another host)
  /norange/PATH                          ignores Range: 200 and 256 MiB of body
  /stall/PATH                            206 headers, 16 bytes, then silence for 60 s
Every request is logged (host, path, Range, Authorization) for /_log. The server stops itself
after `lifetime` seconds whatever happens."""
import hashlib, http.server, json, os, re, threading, time


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, body, headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        srv = self.server
        if self.path == "/_log":
            return self.send(200, json.dumps(srv.log).encode())
        srv.log.append({"host": self.headers.get("Host", ""), "path": self.path,
                        "range": self.headers.get("Range"), "authorization": self.headers.get("Authorization")})
        m = re.match(r"^/api/models/([^/]+)/([^/]+)$", self.path)
        if m:
            base = os.path.join(srv.root, m.group(1), m.group(2))
            if not os.path.isdir(base):
                return self.send(404, b"{}")
            names = sorted(os.path.relpath(os.path.join(d, f), base) for d, _, fs in os.walk(base) for f in fs)
            return self.send(200, json.dumps({"siblings": [{"rfilename": n} for n in names]}).encode())
        m = re.match(r"^/([^/]+)/redirect-([^/]+)/resolve/main/(.+)$", self.path)
        if m:
            target = f"http://localhost:{srv.server_port}/{m.group(1)}/{m.group(2)}/resolve/main/{m.group(3)}"
            return self.send(302, b"", [("Location", target)])
        if self.path.startswith("/norange/"):
            self.send_response(200)
            self.send_header("Content-Length", str(256 << 20))
            self.end_headers()
            try:
                for _ in range(256):
                    self.wfile.write(bytes(1 << 20))
            except OSError:
                pass
            return
        if self.path.startswith("/stall/"):
            self.send_response(206)
            self.send_header("Content-Range", "bytes 0-0/1000000")
            self.send_header("Content-Length", "1000000")
            self.end_headers()
            self.wfile.write(b"GGUF" + bytes(12))
            self.wfile.flush()
            time.sleep(60)
            return
        m = re.match(r"^/([^/]+)/([^/]+)/resolve/main/(.+)$", self.path)
        path = os.path.join(srv.root, m.group(1), m.group(2), m.group(3)) if m else ""
        if not m or ".." in self.path or not os.path.isfile(path):
            return self.send(404, b"not found")
        data = open(path, "rb").read()
        etag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
        rng = re.match(r"^bytes=(\d+)-(\d+)$", self.headers.get("Range") or "")
        if not rng:
            return self.send(200, data, [("ETag", etag)])
        a, b = int(rng.group(1)), min(int(rng.group(2)), len(data) - 1)
        if a >= len(data):
            return self.send(416, b"", [("Content-Range", f"bytes */{len(data)}")])
        return self.send(206, data[a:b + 1], [("ETag", etag), ("Content-Range", f"bytes {a}-{b}/{len(data)}")])


def start(root, lifetime=120):
    """Starts the server on a free port of 127.0.0.1 in a daemon thread; returns it (server_port, log)."""
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.root, srv.log = root, []
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    timer = threading.Timer(lifetime, lambda: os._exit(3))
    timer.daemon = True
    timer.start()
    return srv
