"""Load test of `detente serve`: N concurrent clients, each sending requests back to back.

    python benchmarks/load.py --db detente.duckdb [--clients 20,50,200] [--seconds 20] [--idle 70]
    python benchmarks/load.py --url http://127.0.0.1:8000 ...     # an already running server

Starts a server on 127.0.0.1 (unless --url), optionally opens --idle TCP connections that say
nothing (they must not take work away from real clients), then for each client count runs the
clients for --seconds over a mix of cheap requests (/stats, /actors, /dyads, /events pages, a
document, a week series; with --distinct every request misses the server's answer cache) and prints requests/s, p50/p95/p99 latency and the error rate (any
status other than 200, or a failed connection). Results go to stdout as a table and, with --out,
as JSON. Figures only: nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import socket
import statistics
import subprocess
import sys
import threading
import time

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def start_server(db: str, extra: list[str]):
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "detente",
            "serve",
            "--db",
            db,
            "--port",
            str(port),
            "--log-level",
            "warning",
            *extra,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                if httpx.get(base + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                raise SystemExit(f"server did not start: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def request_mix(base: str) -> list[str]:
    """URLs of cheap requests, built from what the database holds."""
    with httpx.Client(base_url=base, timeout=60) as c:
        view = c.get("/stats").json().get("default_view") or {}
        page = c.get("/events", params={"limit": 5}).json()["events"]
    a, b = view.get("a", "USA"), view.get("b", "CHN")
    urls = [
        "/stats",
        "/actors?n=20",
        "/dyads?n=20",
        "/events?limit=50",
        "/events?limit=50&offset=500",
        f"/events?dyad={a},{b}&limit=50",
        f"/dyads/{a}/{b}/series?period=week",
    ]
    if page:
        urls.append("/documents/" + httpx.URL("/" + page[0]["doc_id"]).raw_path.decode()[1:])
    return urls


def run_clients(base: str, urls: list[str], clients: int, seconds: float, distinct: bool = False) -> dict:
    lat: list[float] = []
    codes: dict[str, int] = {}
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(seed: int):
        rnd = random.Random(seed)
        with httpx.Client(base_url=base, timeout=60) as c:
            while time.monotonic() < stop:
                url = rnd.choice(urls)
                if distinct:  # a parameter the API ignores: every request misses the answer cache
                    url += ("&" if "?" in url else "?") + f"nocache={rnd.random()}"
                t0 = time.perf_counter()
                try:
                    code = str(c.get(url).status_code)
                except httpx.HTTPError as e:
                    code = type(e).__name__
                dt = time.perf_counter() - t0
                with lock:
                    lat.append(dt)
                    codes[code] = codes.get(code, 0) + 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - t0
    lat.sort()
    n = len(lat)
    q = lambda p: lat[min(n - 1, int(p * n))] if n else float("nan")
    errors = n - codes.get("200", 0)
    return {
        "clients": clients,
        "requests": n,
        "req_per_s": n / wall,
        "p50_ms": 1000 * q(0.50),
        "p95_ms": 1000 * q(0.95),
        "p99_ms": 1000 * q(0.99),
        "mean_ms": 1000 * statistics.fmean(lat) if n else None,
        "error_rate": errors / n if n else None,
        "codes": codes,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db")
    ap.add_argument("--url")
    ap.add_argument("--clients", default="20,50,200")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--idle", type=int, default=70, help="idle TCP connections held open during the run")
    ap.add_argument("--serve-arg", action="append", default=[], help="extra argument for detente serve")
    ap.add_argument(
        "--distinct",
        action="store_true",
        help="make every request distinct, so none is answered from the server's answer cache",
    )
    ap.add_argument("--out")
    args = ap.parse_args()
    if not args.db and not args.url:
        ap.error("give --db or --url")
    with contextlib.nullcontext(args.url) if args.url else start_server(args.db, args.serve_arg) as base:
        urls = request_mix(base)
        u = httpx.URL(base)
        idle = [socket.create_connection((u.host, u.port)) for _ in range(args.idle)]
        results = []
        try:
            for n in [int(x) for x in args.clients.split(",")]:
                r = run_clients(base, urls, n, args.seconds, args.distinct)
                results.append(r)
                print(
                    f"{n:4d} clients: {r['requests']:6d} requests, {r['req_per_s']:7.1f} req/s, "
                    f"p50 {r['p50_ms']:7.1f} ms, p95 {r['p95_ms']:7.1f} ms, p99 {r['p99_ms']:7.1f} ms, "
                    f"errors {100 * r['error_rate']:.2f}% {r['codes']}",
                    flush=True,
                )
        finally:
            for s in idle:
                s.close()
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(
                {
                    "idle_connections": args.idle,
                    "seconds": args.seconds,
                    "distinct": args.distinct,
                    "urls": urls,
                    "results": results,
                },
                fh,
                indent=1,
            )


if __name__ == "__main__":
    main()
