"""trust: what certificates are checked against, in which order, and the contexts (#18)."""

from __future__ import annotations

import contextlib
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import certifi
import pytest
import trustme
import truststore

from tests import fault_server as fs
from titlefetch.http import _trust as trust_module
from titlefetch.http._connections import Connections
from titlefetch.http._deadline import Deadline
from titlefetch.http._origins import Origin
from titlefetch.http._trust import Trust, choose_trust, tls_context


@pytest.fixture
def bundle(tmp_path: Path) -> str:
    path = tmp_path / "corp-ca.pem"
    path.write_text("not read by choose_trust")
    return str(path)


def chosen(environ: dict[str, str] | None = None, platform: str = "linux", **settings) -> Trust:
    options = {"verify": True, "ca_bundle": None, "store": "system", **settings}
    return choose_trust(**options, environ=environ or {}, platform=platform)  # type: ignore[arg-type]


def test_ca_bundle_wins_over_insecure_and_the_environment(bundle):
    found = chosen({"REQUESTS_CA_BUNDLE": "/x.pem"}, verify=False, ca_bundle=bundle)
    assert (found.verifier, found.cafile, found.source) == (
        "openssl",
        bundle,
        f"--ca-bundle {bundle}",
    )


def test_insecure_verifies_nothing_whatever_the_environment():
    assert chosen({"REQUESTS_CA_BUNDLE": "/x.pem"}, verify=False).verifier == "none"


@pytest.mark.parametrize("store", ["system", "certifi"])
def test_requests_variables_win_over_the_store_in_requests_order(bundle, tmp_path, store):
    other = tmp_path / "other.pem"
    other.write_text("x")
    environ = {"CURL_CA_BUNDLE": str(other), "REQUESTS_CA_BUNDLE": bundle}
    assert chosen(environ, store=store).cafile == bundle
    assert chosen({"CURL_CA_BUNDLE": str(other)}, store=store).source == f"CURL_CA_BUNDLE={other}"
    folder = chosen({"REQUESTS_CA_BUNDLE": str(tmp_path)}, store=store)
    assert (folder.cafile, folder.capath) == (None, str(tmp_path))


def test_a_variable_naming_a_missing_file_trusts_nothing_and_says_so(tmp_path):
    found = chosen({"REQUESTS_CA_BUNDLE": str(tmp_path / "typo.pem")})
    assert (found.cafile, found.capath) == (None, None)
    assert found.source.endswith("(no such file)")
    assert not tls_context(found).get_ca_certs()


def test_system_on_linux_is_openssls_default_paths_with_ssl_cert_file_first(bundle):
    found = chosen({"SSL_CERT_FILE": bundle})
    assert (found.verifier, found.cafile) == ("openssl", bundle)
    # OpenSSL's default folder still counts beside the file, and the message names both.
    assert found.source == " and ".join(
        [f"SSL_CERT_FILE={bundle}", *([found.capath] if found.capath else [])]
    )
    assert found.fix.startswith("add the CA there, or use --ca-bundle FILE")
    default = chosen()
    paths = ssl.get_default_verify_paths()
    assert (default.cafile, default.source) == (
        paths.openssl_cafile,
        f"the system's certificates ({paths.openssl_cafile}, {paths.openssl_capath})",
    )


def test_ssl_cert_dir_is_a_folder_of_hashed_certificates(tmp_path):
    (tmp_path / "0123abcd.0").write_text("x")
    found = chosen({"SSL_CERT_DIR": str(tmp_path)})
    assert found.capath == str(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert chosen({"SSL_CERT_DIR": str(empty)}).capath != str(empty)


@pytest.mark.parametrize("platform", ["darwin", "win32"])
def test_system_on_macos_and_windows_is_the_os_verifier_unless_a_variable_names_a_store(
    platform, bundle
):
    assert chosen(platform=platform).verifier == "os"
    assert chosen(platform=platform).source == "the system's trust store"
    assert chosen({"SSL_CERT_FILE": bundle}, platform=platform).cafile == bundle
    assert chosen(platform=platform, store="certifi").cafile == certifi.where()


def test_certifi_is_the_fallback_where_no_system_certificates_exist(monkeypatch, tmp_path):
    nowhere = ssl.DefaultVerifyPaths(
        None,  # type: ignore[arg-type]  # what Python gives when the paths do not exist
        None,  # type: ignore[arg-type]
        "SSL_CERT_FILE",
        str(tmp_path / "cert.pem"),
        "SSL_CERT_DIR",
        str(tmp_path),
    )
    monkeypatch.setattr(ssl, "get_default_verify_paths", lambda: nowhere)
    found = chosen()
    assert found.cafile == certifi.where()
    assert found.source.endswith("as no system certificates were found")


def test_certifi_when_asked_names_the_fix():
    found = chosen(store="certifi")
    assert (found.cafile, found.source) == (
        certifi.where(),
        f"certifi's bundle ({certifi.where()})",
    )
    assert found.fix.startswith("use --trust system if this machine trusts the CA")


def test_an_openssl_context_is_built_once_per_trust():
    certifi_trust = chosen(store="certifi")
    assert tls_context(certifi_trust) is tls_context(certifi_trust)
    assert tls_context(certifi_trust).verify_mode == ssl.CERT_REQUIRED
    assert tls_context(Trust("none", "nothing", "")).verify_mode == ssl.CERT_NONE


def test_the_os_verifier_has_one_context_per_thread():
    os_trust = chosen(platform="darwin")
    mine = tls_context(os_trust)
    assert isinstance(mine, truststore.SSLContext)
    assert tls_context(os_trust) is mine
    theirs: list[ssl.SSLContext] = []
    worker = threading.Thread(target=lambda: theirs.append(tls_context(os_trust)))
    worker.start()
    worker.join()
    assert theirs[0] is not mine


@contextlib.contextmanager
def tls_origin(authority: trustme.CA) -> Iterator[Origin]:
    with fs.FaultServer(tls=fs.server_tls(authority, "localhost")) as server:
        yield Origin("https", "localhost", server.port)


def test_connections_verify_through_truststore(monkeypatch, tmp_path):
    # truststore's Linux backend reads OpenSSL's default paths at each handshake; on macOS
    # and Windows the same calls go to the OS. This is connections.py's handshake with it.
    authority = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    pool = Connections(per_host=1, tls_context=lambda: trust_module._os_context())
    with Deadline(5) as deadline:
        with tls_origin(authority) as origin, pool.open(origin, 2.0, deadline) as sock:
            assert isinstance(sock, ssl.SSLSocket)
        with tls_origin(trustme.CA()) as origin, pytest.raises(ssl.SSLCertVerificationError):
            pool.open(origin, 2.0, deadline)
