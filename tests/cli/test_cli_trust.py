"""--trust end to end: a throwaway CA installed in a temporary system store, certifi not
trusting it, --ca-bundle winning (#18).

What the environment names is read once per process (each process keeps one HTTP client per
set of options), so the cases that set SSL_CERT_FILE, SSL_CERT_DIR or TITLEFETCH_TRUST run
the installed command in a process of their own.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
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

TITLEFETCH = shutil.which("titlefetch", path=os.path.dirname(sys.executable)) or "titlefetch"
FAST = ["--retries", "0", "--connect-timeout", "2", "--format", "jsonl", "--quiet"]
BUNDLE_VARIABLES = ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


@dataclass
class Site:
    url: str
    ca_file: Path  # the CA that signed the site's certificate, alone in a bundle


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    authority = trustme.CA()
    ca_file = tmp_path_factory.mktemp("store") / "corp-ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    with FaultServer(tls=fs.server_tls(authority, "localhost")) as server:
        yield Site(server.add("/", fs.title_page("Intranet")), ca_file)


def run(*args: str, **environ: str) -> tuple[int, dict[str, object]]:
    clean = {k: v for k, v in os.environ.items() if k not in BUNDLE_VARIABLES}
    clean = {k: v for k, v in clean.items() if not k.startswith("TITLEFETCH_")}
    done = subprocess.run(
        [TITLEFETCH, *FAST, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**clean, **environ},
    )
    return done.returncode, json.loads(done.stdout)


def test_the_system_store_is_the_default_and_ssl_cert_file_installs_a_ca(site):
    code, record = run(site.url, SSL_CERT_FILE=str(site.ca_file))
    assert (code, record["title"]) == (0, "Intranet")


def test_certifi_does_not_trust_it_and_the_message_names_the_source_and_fix(site):
    for args, environ in [(["--trust", "certifi"], {}), ([], {"TITLEFETCH_TRUST": "certifi"})]:
        code, record = run(*args, site.url, SSL_CERT_FILE=str(site.ca_file), **environ)
        assert code == 1
        error = record["error"]
        assert isinstance(error, dict) and error["kind"] == "tls"
        assert "certificate not trusted: unable to get local issuer certificate" in error["message"]
        assert "(checked against certifi's bundle (" in error["message"]
        assert error["message"].endswith(
            "use --trust system if this machine trusts the CA, "
            "or use --ca-bundle FILE with the CA that signed it, "
            "or --insecure)"
        )


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl rehash")
def test_ssl_cert_dir_installs_a_ca_as_a_hashed_folder(site, tmp_path):
    folder = tmp_path / "certs"
    folder.mkdir()
    shutil.copy(site.ca_file, folder / "corp-ca.pem")
    subprocess.run(["openssl", "rehash", str(folder)], check=True, capture_output=True)
    code, record = run(site.url, SSL_CERT_DIR=str(folder))
    assert (code, record["title"]) == (0, "Intranet")


def test_an_untrusted_site_names_the_system_store_that_was_checked(site, tmp_path):
    stranger = tmp_path / "stranger.pem"
    trustme.CA().cert_pem.write_to_path(str(stranger))
    code, record = run(site.url, SSL_CERT_FILE=str(stranger))
    error = record["error"]
    assert code == 1 and isinstance(error, dict)
    assert f"(checked against SSL_CERT_FILE={stranger}" in error["message"]
    assert "; add the CA there, or use --ca-bundle FILE" in error["message"]


def test_a_bundle_without_certificates_is_named_in_the_error(site, tmp_path):
    empty = tmp_path / "empty.pem"
    empty.write_text("")
    code, record = run(site.url, SSL_CERT_FILE=str(empty))
    error = record["error"]
    assert code == 1 and isinstance(error, dict) and error["kind"] == "tls"
    assert f"no certificates loaded from SSL_CERT_FILE={empty}" in error["message"]


def test_ca_bundle_wins_over_the_store_the_environment_names(site, tmp_path):
    stranger = tmp_path / "stranger.pem"
    trustme.CA().cert_pem.write_to_path(str(stranger))
    code, record = run("--ca-bundle", str(stranger), site.url, SSL_CERT_FILE=str(site.ca_file))
    error = record["error"]
    assert code == 1 and isinstance(error, dict) and error["kind"] == "tls"
    assert f"(checked against --ca-bundle {stranger}; " in error["message"]


def test_ca_bundle_and_trust_through_clirunner_and_the_python_api(site):
    result = CliRunner().invoke(main, [*FAST, "--ca-bundle", str(site.ca_file), site.url])
    assert (result.exit_code, json.loads(result.stdout)["title"]) == (0, "Intranet")
    [trusted] = fetch_titles([site.url], retries=0, ca_bundle=str(site.ca_file), trust="certifi")
    assert trusted.title == "Intranet"  # --ca-bundle wins over the trust store
    [untrusted] = fetch_titles([site.url], retries=0, trust="certifi")
    assert untrusted.error is not None and untrusted.error.kind == "tls"


def test_a_bad_trust_value_is_a_usage_error():
    result = CliRunner().invoke(main, ["--trust", "browser", "http://127.0.0.1:9/"])
    assert result.exit_code == 2
    assert "'browser' is not one of 'system', 'certifi'" in result.stderr
