"""What TLS certificates are verified against, and the SSLContext that verifies them.

The order: --ca-bundle; --insecure (nothing); REQUESTS_CA_BUNDLE, then CURL_CA_BUNDLE (as
requests reads them); then --trust: `system` (the default, what a browser trusts) or `certifi`.

`system` is OpenSSL's default verify paths where those are the system's store (Linux, the
BSDs: the distribution's bundle, with SSL_CERT_FILE and SSL_CERT_DIR honoured), and the OS's
own verifier through truststore on macOS and Windows, where OpenSSL's paths are not the
store the browser uses (SSL_CERT_FILE or SSL_CERT_DIR, when set, win there too). Where no
system certificate can be found, certifi's bundle is used, and errors say so.
"""

from __future__ import annotations

import functools
import os
import re
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from urllib3.util.ssl_ import create_urllib3_context

from titlefetch._options import TrustStore

OS_VERIFIER_PLATFORMS = ("darwin", "win32")  # sys.platform values; truststore is for them
_HASHED_NAME = re.compile(r"[0-9a-fA-F]{8}\.[0-9]+")  # a CA in a c_rehash folder
_FIX = "use --ca-bundle FILE with the CA that signed it, or --insecure"


@dataclass(frozen=True, slots=True)
class Trust:
    """What certificates are checked against, and how to tell a user about it."""

    verifier: Literal["openssl", "os", "none"]
    source: str  # what verified, for messages: "certifi's bundle (/…/cacert.pem)"
    fix: str  # what to do when it does not trust a server's certificate
    cafile: str | None = None  # for "openssl": a bundle file, a folder of hashed CAs, or both
    capath: str | None = None


def choose_trust(
    *,
    verify: bool,
    ca_bundle: str | None,
    store: TrustStore,
    environ: Mapping[str, str],
    platform: str,
) -> Trust:
    """The Trust for these settings, the environment and `platform` (a sys.platform value)."""
    if ca_bundle:
        return _bundle(ca_bundle, f"--ca-bundle {ca_bundle}", _FIX)
    if not verify:
        return Trust("none", "nothing (--insecure)", "")
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        if environ.get(name):
            return _bundle(environ[name], f"{name}={environ[name]}", f"unset {name}, or {_FIX}")
    if store == "system":
        system = _system_trust(environ, platform)
        if system is not None:
            return system
    return _certifi(store)


def _bundle(path: str, source: str, fix: str) -> Trust:
    if os.path.isdir(path):
        return Trust("openssl", source, fix, capath=path)
    if not os.path.isfile(path):  # as OpenSSL does with a missing file: nothing is trusted
        return Trust("openssl", f"{source} (no such file)", fix)
    return Trust("openssl", source, fix, cafile=path)


def _system_trust(environ: Mapping[str, str], platform: str) -> Trust | None:
    named = [name for name in ("SSL_CERT_FILE", "SSL_CERT_DIR") if environ.get(name)]
    if platform in OS_VERIFIER_PLATFORMS and not named:
        fix = f"add the CA to the system's trust store, or {_FIX}"
        return Trust("os", "the system's trust store", fix)
    # OpenSSL's default paths, each replaced by its variable when that is set
    defaults = ssl.get_default_verify_paths()
    cafile = environ.get("SSL_CERT_FILE") or defaults.openssl_cafile
    capath = environ.get("SSL_CERT_DIR") or defaults.openssl_capath
    found_file = cafile if os.path.isfile(cafile) else None
    found_path = capath if _holds_certificates(capath) else None
    if named:  # what they name, even nothing (a missing file), as OpenSSL reads them
        parts = [f"{name}={environ[name]}" for name in named]
        if named == ["SSL_CERT_FILE"] and found_path:
            parts.append(found_path)  # OpenSSL's default folder still counts
        elif named == ["SSL_CERT_DIR"] and found_file:
            parts.append(found_file)
        source = " and ".join(parts)
        if found_file is None and found_path is None:
            source += " (no certificates there)"
        return Trust("openssl", source, f"add the CA there, or {_FIX}", found_file, found_path)
    if found_file is None and found_path is None:
        return None
    where = ", ".join(path for path in (found_file, found_path) if path)
    fix = f"add the CA to the system's certificates, or {_FIX}"
    return Trust("openssl", f"the system's certificates ({where})", fix, found_file, found_path)


def _holds_certificates(folder: str) -> bool:
    try:
        return any(_HASHED_NAME.fullmatch(name) for name in os.listdir(folder))
    except OSError:
        return False


def _certifi(store: TrustStore) -> Trust:
    import certifi  # the fallback's bundle; imported only when it is used

    path = certifi.where()
    if store == "certifi":
        fix = f"use --trust system if this machine trusts the CA, or {_FIX}"
        return Trust("openssl", f"certifi's bundle ({path})", fix, cafile=path)
    source = f"certifi's bundle ({path}), as no system certificates were found"
    return Trust("openssl", source, f"set SSL_CERT_FILE to the system's bundle, or {_FIX}", path)


def tls_context(trust: Trust) -> ssl.SSLContext:
    """The context for the next TLS handshake that verifies as `trust` says."""
    if trust.verifier == "os":
        return _os_context()
    return _openssl_context(trust)


@functools.cache
def _openssl_context(trust: Trust) -> ssl.SSLContext:
    # One per process and Trust: loading the system's or certifi's bundle is slow.
    context = create_urllib3_context()
    if trust.verifier == "none":
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif trust.cafile or trust.capath:
        try:
            context.load_verify_locations(cafile=trust.cafile, capath=trust.capath)
        except ssl.SSLError as exc:  # an empty or garbled bundle: say which one
            error = ssl.SSLError(exc.errno, f"no certificates loaded from {trust.source}")
            error.reason = f"no certificates loaded from {trust.source} ({exc.reason or exc})"
            raise error from exc
    return context


_os_contexts = threading.local()


def _os_context() -> ssl.SSLContext:
    # One per thread: truststore holds a lock of its context through each handshake, round
    # trips included, so one context shared by a process's threads takes one handshake at a
    # time (measured by benchmarks/trust.py).
    context: ssl.SSLContext | None = getattr(_os_contexts, "context", None)
    if context is None:
        import truststore  # macOS and Windows only: see pyproject.toml

        context = _os_contexts.context = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    return context
