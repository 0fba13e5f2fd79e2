"""PyMySQL's preferred TLS without its per-connection cost.

With no TLS option, PyMySQL 1.1+ connects in PREFERRED mode: TLS when the server offers it, with
no certificate or host name check (``CERT_NONE``), else plain. It still builds a new default
context per connection, which loads the system's CA store, unused by ``CERT_NONE``: 20-50 ms per
MariaDB connection, most of a small check's connection time. dblint's PyMySQL connections share
one context with the same settings instead, built once, without the store. Every other TLS setup
(``ssl_ca`` and the other ``ssl…`` options, in the URL or an option file) is PyMySQL's own: it
passes ``{}`` to ``_create_ssl_ctx`` in PREFERRED mode only."""

from __future__ import annotations

import functools
import os
import ssl
import sys
from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import URL


def applies(url: URL) -> bool:
    return url.get_driver_name() == "pymysql"


@functools.cache
def preferred_context() -> ssl.SSLContext:
    """PyMySQL's PREFERRED-mode context (``_create_ssl_ctx({})``), minus the unused CA store."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    # What ssl.create_default_context() adds besides the CA store, as PyMySQL's context has it.
    if sys.version_info >= (3, 13):
        ctx.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    keylog = os.environ.get("SSLKEYLOGFILE")
    if keylog and not sys.flags.ignore_environment:
        ctx.keylog_filename = keylog
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.verify_flags &= ~ssl.VERIFY_X509_STRICT
    return ctx


@functools.cache
def _connection_class() -> type:
    from pymysql.connections import Connection

    class SharedPreferredTLS(Connection):  # type: ignore[misc]
        def _create_ssl_ctx(self, sslp: Any) -> Any:
            # {} is what PyMySQL passes in PREFERRED mode only; any other TLS setup is its own.
            if isinstance(sslp, Mapping) and not sslp:
                return preferred_context()
            return super()._create_ssl_ctx(sslp)

    return SharedPreferredTLS


def connect(cargs: Any, cparams: Mapping[str, Any]) -> Any:
    """A PyMySQL connection as ``dialect.connect`` would make it, with the shared context."""
    return _connection_class()(*cargs, **cparams)
