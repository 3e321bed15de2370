"""A Dask cluster of "machines": each worker in a network namespace of its own, with its own
address, fetching from a web server in another; titlefetch and the scheduler in a third.

Needs root (`ip netns`, veth pairs, a bridge). Everything lives in namespaces this script
creates (names starting with `tfnc-`) on the private network 10.99.0.0/24, and is removed at
the end; nothing else on the machine is touched and nothing leaves it. For each number of
workers it runs `titlefetch --backend dask` over the same list and prints wall time, URLs per
second, and the CPU per URL at the client (titlefetch), the scheduler and the workers.

    sudo .venv/bin/python benchmarks/netns_cluster.py --workers 1,2,4 --urls 6000
    sudo .venv/bin/python benchmarks/netns_cluster.py --workers 1,2,4 --urls 6000 --hosts 6000

With `--hosts N` the URLs are spread over N host names (`h1.many.test` ...), each a host of
its own to titlefetch (its own --per-host, its own connections), all served by the web
machine: every namespace gets a hosts file (`/etc/netns/NAME/hosts`, which `ip netns exec`
puts in place of /etc/hosts) naming them, removed with the namespace. A lookup in a hosts
file of 20,000 lines costs a worker a few milliseconds of CPU; with `--by-address` the hosts
are addresses instead (`10.100.0.1` ..., all the web machine's), and nothing is looked up.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from dask_cluster import tree_cpu

PREFIX = "tfnc-"
SWITCH = f"{PREFIX}switch"
NETWORK = "10.99.0"
CLIENT_ADDRESS = f"{NETWORK}.1"  # titlefetch and the scheduler
WEB_ADDRESS = f"{NETWORK}.2"
HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
NETNS_ETC = Path("/etc/netns")
ADDRESSES = "10.100"  # with --by-address: the web machine's addresses, 10.100.0.0/16


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True)


def in_namespace(name: str, command: list[str]) -> list[str]:
    return ["ip", "netns", "exec", name, *command]


def add_machine(name: str, address: str, index: int) -> None:
    """A namespace with `address` on a veth whose other end is on the switch's bridge."""
    ip("netns", "add", name)
    ip("link", "add", f"tfnc{index}", "type", "veth", "peer", "name", f"tfnc{index}p")
    ip("link", "set", f"tfnc{index}", "netns", name)
    ip("link", "set", f"tfnc{index}p", "netns", SWITCH)
    ip("-n", name, "addr", "add", f"{address}/24", "dev", f"tfnc{index}")
    ip("-n", name, "link", "set", f"tfnc{index}", "up")
    ip("-n", name, "link", "set", "lo", "up")
    ip("-n", SWITCH, "link", "set", f"tfnc{index}p", "master", "br0", "up")


def host_name(n: int) -> str:
    return f"h{n}.many.test"


def host_address(n: int) -> str:
    return f"{ADDRESSES}.{n // 250}.{n % 250 + 1}"


def write_hosts_file(name: str, hosts: int) -> None:
    """The web machine under `hosts` names, for namespace `name`."""
    folder = NETNS_ETC / name
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["127.0.0.1 localhost"] + [f"{WEB_ADDRESS} {host_name(n)}" for n in range(hosts)]
    (folder / "hosts").write_text("\n".join(lines) + "\n")


@contextlib.contextmanager
def network(workers: int, hosts: int, by_address: bool = False) -> Iterator[list[str]]:
    """The switch, the client and web machines, and `workers` worker machines; yields the
    workers' namespace names. With `by_address`, the web machine also answers on every
    address of 10.100.0.0/16, routed to it from the others, instead of under host names."""
    names = [f"{PREFIX}client", f"{PREFIX}web"] + [f"{PREFIX}w{n}" for n in range(workers)]
    addresses = [CLIENT_ADDRESS, WEB_ADDRESS] + [f"{NETWORK}.{11 + n}" for n in range(workers)]
    try:
        if hosts > 1 and not by_address:
            for name in names:
                write_hosts_file(name, hosts)
        ip("netns", "add", SWITCH)
        ip("-n", SWITCH, "link", "add", "br0", "type", "bridge")
        ip("-n", SWITCH, "link", "set", "br0", "up")
        for index, (name, address) in enumerate(zip(names, addresses, strict=True)):
            add_machine(name, address, index)
        if by_address:
            ip("-n", f"{PREFIX}web", "route", "add", "local", f"{ADDRESSES}.0.0/16", "dev", "lo")
            for name in names[:1] + names[2:]:
                ip("-n", name, "route", "add", f"{ADDRESSES}.0.0/16", "via", WEB_ADDRESS)
        yield names[2:]
    finally:
        for name in [*names, SWITCH]:
            subprocess.run(["ip", "netns", "delete", name], stderr=subprocess.DEVNULL)
            hosts_file = NETNS_ETC / name / "hosts"
            if hosts > 1 and not by_address and hosts_file.exists():
                hosts_file.unlink()
                (NETNS_ETC / name).rmdir()


@contextlib.contextmanager
def started(command: list[str], **kwargs: object) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(command, text=True, **kwargs)  # type: ignore[call-overload]
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for_workers(count: int) -> None:
    code = (
        "from distributed import Client\n"
        f"with Client('tcp://{CLIENT_ADDRESS}:8786', timeout=30) as c:\n"
        f"    c.wait_for_workers({count}, timeout=60)\n"
    )
    subprocess.run(in_namespace(f"{PREFIX}client", [sys.executable, "-c", code]), check=True)


@contextlib.contextmanager
def profiled(pid: int, output: str, *, pin: bool) -> Iterator[subprocess.Popen[bytes]]:
    """py-spy sampling titlefetch, process `pid`, into `output`, in py-spy's raw format,
    until it ends."""
    while "python" not in os.readlink(f"/proc/{pid}/exe"):  # until `ip netns exec` runs it
        time.sleep(0.001)
    spy = [str(BIN / "py-spy"), "record", "--gil", "--function", "--nonblocking"]
    spy += ["-r", "250", "--format", "raw", "-o", output, "--pid", str(pid)]
    spy = ["taskset", "-c", "0", *spy] if pin else spy
    with subprocess.Popen(spy, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as process:
        yield process


def measure(args: argparse.Namespace, workers: int, urls: Path) -> str:
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED": "False"}
    with contextlib.ExitStack() as stack:
        names = stack.enter_context(network(workers, args.hosts, args.by_address))
        web = [sys.executable, str(HERE / "latency_server.py"), "--in-namespace"]
        listen = "0.0.0.0" if args.by_address else WEB_ADDRESS
        web += ["--host", listen, "--port", "8080", "--latency-ms", str(args.latency_ms)]
        others = ["taskset", "-c", "0"] if args.pin else []  # all but titlefetch
        stack.enter_context(started(in_namespace(f"{PREFIX}web", [*others, *web]), **quiet))
        scheduler = [str(BIN / "dask"), "scheduler", "--host", CLIENT_ADDRESS, "--no-dashboard"]
        sched = stack.enter_context(
            started(in_namespace(f"{PREFIX}client", [*others, *scheduler]), env=env, **quiet)
        )
        worker_processes = []
        for n, name in enumerate(names):
            worker = [str(BIN / "dask"), "worker", f"tcp://{CLIENT_ADDRESS}:8786"]
            worker += ["--host", f"{NETWORK}.{11 + n}", "--nthreads", str(args.threads)]
            worker += ["--no-dashboard", "--memory-limit", "0"]
            worker_processes.append(
                stack.enter_context(
                    started(in_namespace(name, [*others, *worker]), env=env, **quiet)
                )
            )
        wait_for_workers(workers)
        time.sleep(1)
        before = tree_cpu(sched.pid), sum(tree_cpu(w.pid) for w in worker_processes)
        command = [str(BIN / "titlefetch"), "--backend", "dask"]
        command += ["--scheduler", f"tcp://{CLIENT_ADDRESS}:8786", "--quiet", "--format", "jsonl"]
        command += ["--workers", str(args.threads * workers)]
        command += ["--per-host", str(args.per_host or args.threads * workers), str(urls)]
        started_at = time.perf_counter()
        with open(os.devnull, "w") as sink:
            if args.pin:
                command = ["taskset", "-c", "1", *command]
            process = subprocess.Popen(in_namespace(f"{PREFIX}client", command), stdout=sink)
            if args.pyspy:  # attached to titlefetch, whose CPU stays its own
                spy = stack.enter_context(
                    profiled(process.pid, f"{args.pyspy}.{workers}", pin=args.pin)
                )
            _, status, usage = os.wait4(process.pid, 0)
            if args.pyspy:
                spy.wait()
        wall = time.perf_counter() - started_at
        after = tree_cpu(sched.pid), sum(tree_cpu(w.pid) for w in worker_processes)
    client = usage.ru_utime + usage.ru_stime
    code = os.waitstatus_to_exitcode(status)
    count = args.urls
    per_url = [1000 * cpu / count for cpu in (client, after[0] - before[0], after[1] - before[1])]
    return (
        f"{workers:>7} {args.threads * workers:>7} {wall:>7.2f} {count / wall:>7.0f} "
        f"{per_url[0]:>10.3f} {per_url[1]:>10.3f} {per_url[2]:>10.3f} {code:>3}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1,2,4", help="worker machines, comma-separated")
    parser.add_argument("--threads", type=int, default=32, help="threads of each worker")
    parser.add_argument("--urls", type=int, default=6000, help="distinct URLs per run")
    parser.add_argument("--latency-ms", type=float, default=50.0, help="delay per response")
    parser.add_argument("--per-host", type=int, help="titlefetch --per-host (default: --workers)")
    parser.add_argument("--pyspy", help="profile titlefetch with py-spy into PYSPY.WORKERS")
    parser.add_argument("--hosts", type=int, default=1, help="host names the URLs are spread over")
    parser.add_argument(
        "--pin",
        action="store_true",
        help="titlefetch on core 1, everything else on core 0 (py-spy too): the client never "
        "waits for a core the workers hold",
    )
    parser.add_argument(
        "--by-address",
        action="store_true",
        help="the hosts are addresses (10.100.0.0/16), not names: no lookups in a hosts file",
    )
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("netns_cluster.py: needs root (ip netns)")
    urls = Path("/tmp/tfnc-urls.txt")
    name = host_address if args.by_address else host_name
    hosts = [name(n) for n in range(args.hosts)] if args.hosts > 1 else [WEB_ADDRESS]
    urls.write_text(
        "".join(
            f"http://{hosts[n % len(hosts)]}:8080/p/{n % 200}?n={n}\n" for n in range(args.urls)
        )
    )
    print(
        f"{args.urls} URLs on {len(hosts)} hosts, {args.latency_ms:g} ms per response, "
        f"{os.cpu_count()} cores"
    )
    print(
        f"{'workers':>7} {'fetches':>7} {'wall s':>7} {'URLs/s':>7} "
        f"{'client ms':>10} {'sched ms':>10} {'worker ms':>10} {'rc':>3}  (CPU per URL)"
    )
    for workers in (int(n) for n in args.workers.split(",")):
        print(measure(args, workers, urls), flush=True)
    urls.unlink()


if __name__ == "__main__":
    main()
