"""Backend of the shim Compose example.

It knows nothing about secret files: it connects to PostgreSQL with DATABASE_URL and to
Redis with REDIS_URL, the two URLs shim assembled from POSTGRES_* and REDIS_* variables
and the secret files. It checks both at start, then serves its status as JSON on port
8000 (GET /) until SIGTERM. It never prints a password or a URL.

`python3 /app/app.py --health` is the container's health check: it exits 0 when the
running server answers, and names on stderr the dependencies that fail. A backend that
answers stays healthy while postgres or redis is down (during a password rotation, say),
so no orchestrator restarts it for an outage a restart cannot fix; the server only
starts serving once both checks have passed. It needs no secret (the server has the
URLs), so the Compose file's healthcheck holds none either.
"""

import json
import os
import signal
import sys
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer

import psycopg2
import redis


def log(msg):
    print(f"backend: {msg}", flush=True)


def check_postgres():
    conn = psycopg2.connect(os.environ["DATABASE_URL"], connect_timeout=3)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT current_user, current_database()")
            user, db = cur.fetchone()
    finally:
        conn.close()
    return f"connected as {user} to {db}"


def check_redis():
    client = redis.Redis.from_url(os.environ["REDIS_URL"], socket_timeout=3)
    try:
        client.ping()
        starts = client.incr("backend:checks")
    finally:
        client.close()
    return f"PING ok, check {starts}"


CHECKS = {"postgres": check_postgres, "redis": check_redis}


def run_checks():
    results = {}
    for name, check in CHECKS.items():
        try:
            results[name] = {"ok": True, "detail": check()}
        except Exception as e:  # report the error class and libpq/redis text, never the URL
            results[name] = {"ok": False, "detail": f"{type(e).__name__}: {str(e).strip()}"}
    return results


def status():
    return {
        "checks": run_checks(),
        # which variables the program received: shim sets the URLs and the passwords and
        # removes the *_FILE variables it read
        "env": {
            name: name in os.environ
            for name in (
                "DATABASE_URL",
                "REDIS_URL",
                "POSTGRES_PASSWORD",
                "REDIS_PASSWORD",
                "POSTGRES_PASSWORD_FILE",
                "REDIS_PASSWORD_FILE",
            )
        },
        "uid": os.getuid(),
        "pid": os.getpid(),
    }


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps(status(), sort_keys=True).encode() + b"\n"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass


def on_sigterm(signum, frame):
    # as PID 1 a signal without a handler is ignored, so handle SIGTERM explicitly
    log("SIGTERM received, exiting")
    sys.exit(0)


def health():
    try:
        with urllib.request.urlopen("http://127.0.0.1:8000/", timeout=5) as r:
            checks = json.load(r)["checks"]
    except Exception as e:
        print(f"backend health: {type(e).__name__}", file=sys.stderr)
        return 1
    bad = sorted(name for name, c in checks.items() if not c["ok"])
    if bad:
        print(f"backend health: serving, failing: {', '.join(bad)}", file=sys.stderr)
    return 0


def main():
    if sys.argv[1:] == ["--health"]:
        return health()
    signal.signal(signal.SIGTERM, on_sigterm)
    for name in ("DATABASE_URL", "REDIS_URL"):
        if not os.environ.get(name):
            log(f"{name} is not set (is shim the ENTRYPOINT?)")
            return 1

    # Compose starts the backend once postgres and redis report healthy (depends_on:
    # condition: service_healthy), so one attempt is enough there. Where nothing orders
    # the start (Swarm ignores depends_on, so does podman-compose 1.0.3), BACKEND_WAIT
    # seconds of retries bridge the databases' start-up; a backend that still fails
    # exits 1 and the orchestrator's restart policy tries again.
    deadline = time.monotonic() + float(os.environ.get("BACKEND_WAIT") or "0")
    while True:
        results = run_checks()
        if all(r["ok"] for r in results.values()) or time.monotonic() > deadline:
            break
        time.sleep(1)
    for name, r in results.items():
        log(f"{name} {'ok' if r['ok'] else 'FAILED'}: {r['detail']}")
    if not all(r["ok"] for r in results.values()):
        return 1

    server = HTTPServer(("0.0.0.0", 8000), Handler)
    log(f"serving status on :8000 as uid {os.getuid()}, pid {os.getpid()}")
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
