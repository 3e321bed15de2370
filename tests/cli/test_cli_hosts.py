"""Lists of bare host names end to end: https, then http; --scheme; dedupe, resume, checks (#18)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme
from click.testing import CliRunner

from tests import fault_server as fs
from tests.fault_server import FaultServer
from titlefetch import fetch_titles
from titlefetch.cli import main
from titlefetch.http._clients import close_clients


@dataclass
class Hosts:
    """Three servers on 127.0.0.1: plain HTTP only, TLS only, and both on one port."""

    plain: FaultServer
    tls: FaultServer
    both: FaultServer
    bundle: str  # the CA that signed the TLS servers' certificates

    def line(self, server: FaultServer, rest: str = "") -> str:
        return f"127.0.0.1:{server.port}{rest}"


@pytest.fixture(scope="module")
def hosts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hosts]:
    authority = trustme.CA()
    bundle = tmp_path_factory.mktemp("ca") / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    context = fs.server_tls(authority, "127.0.0.1")
    with (
        FaultServer(refuses_tls=True) as plain,
        FaultServer(tls=context) as tls,
        FaultServer(tls=context, plain_too=True) as both,
    ):
        for server, title in ((plain, "Plain"), (tls, "Secure"), (both, "Both")):
            server.add("/", fs.title_page(title))
        yield Hosts(plain, tls, both, str(bundle))


FAST = ("--retries", "0", "--connect-timeout", "1", "--timeout", "2")


@pytest.fixture(autouse=True)
def _fresh_clients() -> Iterator[None]:
    """No test sees the unreachable origins another one found (the clients remember them)."""
    close_clients()
    yield
    close_clients()


def invoke(hosts: Hosts, *args: str, stdin: str, env: dict[str, str] | None = None):
    options = (*FAST, "--ca-bundle", hosts.bundle, "--format", "jsonl", "--quiet")
    return CliRunner().invoke(main, [*options, *args], input=stdin, env=env)


def records(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines()]


def outcome(record: dict[str, object]) -> tuple[object, ...]:
    error = record["error"]
    kind = error["kind"] if isinstance(error, dict) else None
    return record["url"], record["final_url"], record["title"], kind


@pytest.mark.parametrize("backend", ["thread", "process"])
def test_a_host_line_answers_over_https_or_else_http(hosts, backend):
    closed = fs.closed_port()
    lines = [
        hosts.line(hosts.plain, "/"),
        hosts.line(hosts.tls, "/"),
        hosts.line(hosts.both, "/"),
        f"127.0.0.1:{closed}",
    ]
    before = hosts.both.schemes["http"]
    result = invoke(hosts, "--backend", backend, "-w", "2", stdin="\n".join(lines))
    assert result.exit_code == 1, result.stderr
    assert [outcome(record) for record in records(result.stdout)] == [
        (lines[0], f"http://{lines[0]}", "Plain", None),
        (lines[1], f"https://{lines[1]}", "Secure", None),
        (lines[2], f"https://{lines[2]}", "Both", None),
        (lines[3], None, None, "refused"),
    ]
    assert hosts.both.schemes["http"] == before  # https answered: http was never asked
    assert records(result.stdout)[3]["error"]["message"].endswith(  # type: ignore[index]
        f"; over http: refused: nothing accepts connections at 127.0.0.1:{closed}"
    )


@pytest.mark.parametrize(
    ("scheme", "expected"),
    [
        ("https", [("tls", None), (None, "Secure"), (None, "Both")]),
        ("http", [(None, "Plain"), ("reset", None), (None, "Both")]),
    ],
)
def test_a_pinned_scheme_is_the_only_one_tried(hosts, scheme, expected):
    lines = [hosts.line(server) for server in (hosts.plain, hosts.tls, hosts.both)]
    result = invoke(hosts, "--scheme", scheme, stdin="\n".join(lines))
    found = [(kind, title) for _, _, title, kind in map(outcome, records(result.stdout))]
    assert found == expected
    answered = [record["final_url"] for record in records(result.stdout) if record["title"]]
    assert all(str(url).startswith(f"{scheme}://") for url in answered)
    # The environment default, as for every option; the command line wins over it.
    from_env = invoke(hosts, stdin="\n".join(lines), env={"TITLEFETCH_SCHEME": scheme})
    assert from_env.stdout.count('"title":"') == result.stdout.count('"title":"')
    overridden = invoke(hosts, "--scheme", "auto", stdin=lines[0], env={"TITLEFETCH_SCHEME": "x"})
    assert overridden.exit_code == 0


def test_a_host_line_that_fails_on_both_schemes_says_what_each_met(hosts):
    # #23: https meets a certificate nobody trusts (no --ca-bundle), then http meets a server
    # that speaks only TLS: the certificate problem used to go unmentioned.
    line = hosts.line(hosts.tls, "/")
    result = CliRunner().invoke(main, [*FAST, "-f", "jsonl", "-q", line], input="")
    assert result.exit_code == 1, result.stderr
    [record] = records(result.stdout)
    error = record["error"]
    assert isinstance(error, dict)
    assert error["kind"] == "reset"  # the answer of the scheme that answered: http
    head, over, rest = error["message"].partition("; over https: tls: ")
    assert over, error["message"]
    assert rest.startswith("certificate not trusted")
    assert head == "the server reset the connection"


def test_a_bare_host_argument_is_fetched_as_a_host_line(hosts):
    line = hosts.line(hosts.plain, "/")  # no such file here: #23
    result = invoke(hosts, line, stdin="")
    assert result.exit_code == 0, result.stderr
    assert [outcome(record) for record in records(result.stdout)] == [
        (line, f"http://{line}", "Plain", None)
    ]


def test_a_bad_scheme_in_the_environment_is_a_usage_error(hosts):
    result = invoke(hosts, stdin="", env={"TITLEFETCH_SCHEME": "ftp"})
    assert result.exit_code == 2
    assert "'ftp' is not one of 'auto', 'https', 'http'" in result.stderr


def test_lines_that_are_no_url_nor_host_are_invalid_and_the_rest_run(hosts, tmp_path: Path):
    good = hosts.line(hosts.plain)
    bad = ["ftp://127.0.0.1/", "//127.0.0.1/", "nope", "127.0.0.1:99999", "a b.test", ":80"]
    urls = tmp_path / "hosts.txt"
    urls.write_text("\n".join([*bad, good]) + "\n")
    result = invoke(hosts, str(urls), stdin="")
    found = records(result.stdout)
    assert [outcome(record)[3] for record in found] == ["invalid_url"] * len(bad) + [None]
    assert [record["url"] for record in found] == [*bad, good]
    assert found[0]["error"] == {
        "kind": "invalid_url",
        "message": f"{urls}:1: scheme ftp: only http and https are fetched",
    }


def test_a_host_line_is_one_url_for_dedupe_resume_and_checks(hosts, tmp_path: Path):
    host = hosts.line(hosts.both, "/")
    before = hosts.both.schemes.copy()
    lines = [host, f"https://{host}", f"{host}\t^Both$", f"{host}\tPlain"]
    result = invoke(hosts, stdin="\n".join(lines))
    found = records(result.stdout)
    assert [outcome(record) for record in found] == [
        (host, f"https://{host}", "Both", None),
        (f"https://{host}", f"https://{host}", "Both", None),
        (host, f"https://{host}", "Both", None),
        (host, f"https://{host}", "Both", "title_mismatch"),
    ]
    # The host line is fetched once for its three lines, the URL line once: two requests.
    assert hosts.both.schemes - before == {"https": 2}

    # --resume matches the lines as given: the answered host line is not fetched again.
    out = tmp_path / "out.jsonl"
    assert invoke(hosts, "--resume", str(out), stdin=host).exit_code == 0
    plain = hosts.line(hosts.plain)
    again = invoke(hosts, "--resume", str(out), stdin=f"{host}\n{plain}\n")
    assert again.exit_code == 0
    assert [record["url"] for record in records(out.read_text())] == [host, plain]
    assert hosts.both.schemes - before == {"https": 3}


def test_fetch_titles_takes_host_lines_and_a_scheme(hosts):
    lines = [hosts.line(hosts.plain), hosts.line(hosts.tls)]
    options = {"retries": 0, "connect_timeout": 1.0, "ca_bundle": hosts.bundle}
    auto = list(fetch_titles(lines, **options))  # type: ignore[arg-type]
    assert [(r.url, r.final_url, r.title) for r in auto] == [
        (lines[0], f"http://{lines[0]}", "Plain"),
        (lines[1], f"https://{lines[1]}", "Secure"),
    ]
    pinned = list(fetch_titles(lines, scheme="https", **options))  # type: ignore[arg-type]
    assert [(r.title, r.error and r.error.kind) for r in pinned] == [
        (None, "tls"),
        ("Secure", None),
    ]
