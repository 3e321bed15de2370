"""What each way to trust the system's certificates costs: per process (building the context)
and per TLS handshake (CPU, and wall time when many threads shake hands at once).

The candidates for `--trust system` (issue 18):
  default-paths  an SSLContext with OpenSSL's default verify paths (what
                 ssl.create_default_context() loads; SSL_CERT_FILE / SSL_CERT_DIR honoured)
  truststore     one truststore.SSLContext for the process (the OS verifier; on Linux it
                 loads OpenSSL's default paths again at every wrap_socket)
  truststore-per-thread  one truststore.SSLContext per thread
and, for comparison, certifi (the bundle titlefetch used before).

A throwaway CA (trustme) is appended to a copy of the system bundle, which SSL_CERT_FILE
names, so that every context holds as many certificates as the system's. The server is on
127.0.0.1 and, with --delay-ms, waits that long after the client's hello before it answers (a
round trip, as on a real network).

    .venv/bin/python benchmarks/trust.py
    .venv/bin/python benchmarks/trust.py --threads 32 --handshakes 256 --delay-ms 50
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import socket
import ssl
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator

import certifi
import trustme
import truststore

CANDIDATES = ("certifi", "default-paths", "truststore", "truststore-per-thread")


def build(candidate: str) -> Callable[[], ssl.SSLContext]:
    """A function giving the context for the next handshake (built on first use)."""
    if candidate == "certifi":
        shared = ssl.create_default_context(cafile=certifi.where())
    elif candidate == "default-paths":
        shared = ssl.create_default_context()
    elif candidate == "truststore":
        shared = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    else:
        local = threading.local()

        def per_thread() -> ssl.SSLContext:
            context = getattr(local, "context", None)
            if context is None:
                context = local.context = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            return context

        return per_thread
    return lambda: shared


@contextlib.contextmanager
def tls_server(authority: trustme.CA, delay: float) -> Iterator[int]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("localhost").configure_cert(context)
    listener = socket.create_server(("127.0.0.1", 0), backlog=512)

    def serve(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):
            sock.recv(1, socket.MSG_PEEK)  # the client's hello has come: now the round trip
            time.sleep(delay)
            with context.wrap_socket(sock, server_side=True) as secure:
                secure.recv(1)

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                threading.Thread(target=serve, args=(listener.accept()[0],), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


def handshake(port: int, context: ssl.SSLContext) -> None:
    sock = socket.create_connection(("127.0.0.1", port))
    with context.wrap_socket(
        sock, server_hostname="localhost", do_handshake_on_connect=False
    ) as secure:
        secure.do_handshake()  # as connections.py does it


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(candidate: str, port: int, args: argparse.Namespace) -> dict[str, float]:
    started, cpu_started = time.perf_counter(), cpu()
    contexts = build(candidate)
    contexts()  # the first one: what a process pays before its first handshake
    built_ms = (time.perf_counter() - started) * 1000
    done = threading.Semaphore(0)
    todo = iter(range(args.handshakes))
    lock = threading.Lock()

    def work() -> None:
        while True:
            with lock:
                if next(todo, None) is None:
                    break
            handshake(port, contexts())
        done.release()

    started, cpu_started = time.perf_counter(), cpu()
    for _ in range(args.threads):
        threading.Thread(target=work, daemon=True).start()
    for _ in range(args.threads):
        done.acquire()
    wall = time.perf_counter() - started
    return {
        "build_ms": built_ms,
        "wall_s": wall,
        "cpu_ms_per_handshake": (cpu() - cpu_started) * 1000 / args.handshakes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--handshakes", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--delay-ms", type=float, default=0.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--candidates", default=",".join(CANDIDATES))
    args = parser.parse_args()
    authority = trustme.CA()
    system = ssl.get_default_verify_paths().openssl_cafile
    with tempfile.TemporaryDirectory() as folder:
        bundle = os.path.join(folder, "system-and-test.pem")
        with open(bundle, "wb") as out:
            with open(os.path.realpath(system), "rb") as source:
                out.write(source.read())
            out.write(authority.cert_pem.bytes())
        os.environ["SSL_CERT_FILE"] = bundle
        with open(certifi.where(), "ab") as _:
            pass  # certifi's bundle stays as it is: it cannot verify the test server
        results: dict[str, list[dict[str, float]]] = {}
        with tls_server(authority, args.delay_ms / 1000) as port:
            for _ in range(args.repeat):  # interleaved, so drift hits every candidate alike
                for candidate in args.candidates.split(","):
                    if candidate == "certifi":
                        results.setdefault(candidate, []).append(measure_build(candidate))
                        continue
                    results.setdefault(candidate, []).append(measure(candidate, port, args))
    print(
        f"{args.handshakes} handshakes, {args.threads} threads, server delay {args.delay_ms:g} ms,"
        f" medians of {args.repeat}"
    )
    print(f"{'candidate':24} {'build ms':>9} {'wall s':>8} {'CPU ms/handshake':>17}")
    for candidate, runs in results.items():
        row = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
        wall = f"{row['wall_s']:8.2f}" if "wall_s" in row else f"{'-':>8}"
        cpu_ms = f"{row['cpu_ms_per_handshake']:17.2f}" if "wall_s" in row else f"{'-':>17}"
        print(f"{candidate:24} {row['build_ms']:9.1f} {wall} {cpu_ms}")


def measure_build(candidate: str) -> dict[str, float]:
    # certifi cannot verify the throwaway CA: only its build cost is comparable.
    started = time.perf_counter()
    build(candidate)()
    return {"build_ms": (time.perf_counter() - started) * 1000}


if __name__ == "__main__":
    main()
