"""Connecting to Neo4j: one driver from a URI, a user and a password, or one clear error line.

The password comes from ``$NEO4J_PASSWORD`` or from a ``prompt`` the caller supplies (the CLI asks on the
terminal, hidden), never from a command-line flag. It is never printed, logged, put in an exception or
kept anywhere but in the driver's memory. Every URI scheme the driver knows works unchanged: ``bolt://``
and ``neo4j://`` for a local or dev server, ``neo4j+s://`` for Aura and TLS clusters.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Callable

from ..errors import NhigraphError

# the driver logs retries and notifications as warnings; without a handler Python would print them to
# stderr through its last-resort handler. Errors reach the user as one line instead (see describe()).
logging.getLogger("neo4j").addHandler(logging.NullHandler())

PASSWORD_ENV = "NEO4J_PASSWORD"
DEFAULT_URI = "bolt://127.0.0.1:7687"
#: Bolt URI schemes (direct and routing, plain, TLS, TLS with self-signed certificates)
SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")


class Neo4jConnectionError(NhigraphError):
    """Neo4j is unreachable, refused the credentials or failed a request."""

    exit_code = 5


def password_from_env() -> str | None:
    return os.environ.get(PASSWORD_ENV) or None


def redact_uri(uri: str) -> str:
    """The URI without any user:password@ part, for messages."""
    scheme, sep, rest = uri.partition("://")
    if sep and "@" in rest.split("/", 1)[0]:
        rest = rest.split("@", 1)[1]
    return f"{scheme}{sep}{rest}"


def describe(exc: BaseException, uri: str | None = None, *, prompted: bool = False) -> str:
    """One line for a driver exception, without the password or a traceback. ``prompted``: the password
    was typed at a prompt rather than read from ``$NEO4J_PASSWORD``."""
    import neo4j.exceptions as ne

    where = f" at {redact_uri(uri)}" if uri else ""
    if isinstance(exc, ne.AuthError):
        what = "the password entered" if prompted else f"${PASSWORD_ENV}"
        return f"Neo4j{where} refused the credentials (check the user and {what})"
    if isinstance(exc, (ne.ServiceUnavailable, ne.SessionExpired, OSError)):
        return f"cannot reach Neo4j{where}: is the server running? ({_first_line(exc)})"
    if isinstance(exc, ne.ConfigurationError):
        return f"bad Neo4j connection settings{where}: {_first_line(exc)}"
    if isinstance(exc, ne.Neo4jError):
        code = getattr(exc, "code", None) or type(exc).__name__
        return f"Neo4j{where} failed: {code}: {_first_line(exc.message or exc)}"
    return f"Neo4j{where} failed: {type(exc).__name__}: {_first_line(exc)}"


def _first_line(exc: Any) -> str:
    text = str(getattr(exc, "message", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def connect(uri: str = DEFAULT_URI, user: str = "neo4j", database: str | None = None, *,
            verify: bool = True, prompt: Callable[[], str] | None = None, ask: bool = False, **config: Any):
    """A verified :class:`neo4j.Driver`. Raises :class:`Neo4jConnectionError` (one line) when the server is
    unreachable, the credentials are refused or the database does not exist.

    The password is ``$NEO4J_PASSWORD``. ``prompt`` (a function returning the password, e.g. a hidden
    terminal prompt) is called at most once: at the start when ``ask`` is true, otherwise only when
    ``$NEO4J_PASSWORD`` is not set and the server demands authentication (found by ``verify``; without
    it only ``ask`` prompts). ``config`` is passed to the driver (e.g. ``max_transaction_retry_time``)."""
    scheme = uri.partition("://")[0].lower() if "://" in uri else ""
    if scheme not in SCHEMES:
        raise Neo4jConnectionError(f"bad Neo4j URI {redact_uri(uri)!r}: use one of "
                                   f"{', '.join(s + '://' for s in SCHEMES)}")
    config.setdefault("connection_timeout", 15.0)
    config.setdefault("notifications_min_severity", "OFF")
    config.setdefault("user_agent", "nhigraph")
    if ask:
        if prompt is None:
            raise ValueError("ask=True needs a prompt")
        return _open(uri, user, database, _asked(prompt), verify, True, config)
    password = password_from_env()
    if password is not None or prompt is None:
        return _open(uri, user, database, password, verify, False, config)
    try:
        return _open(uri, user, database, None, verify, False, config, raw_auth_error=True)
    except _AuthRequired:
        pass
    # the server demands a password and none was set: ask once
    return _open(uri, user, database, _asked(prompt), verify, True, config)


class _AuthRequired(Exception):
    """The server refused a connection without credentials."""


def _asked(prompt: Callable[[], str]) -> str:
    password = prompt()
    if not password:
        raise Neo4jConnectionError("no Neo4j password entered")
    return password


def _open(uri: str, user: str, database: str | None, password: str | None, verify: bool, prompted: bool,
          config: dict[str, Any], raw_auth_error: bool = False):
    """A driver, verified when ``verify``. With ``raw_auth_error`` an authentication failure is raised as the
    :class:`_AuthRequired`, for the caller to prompt; every other failure is one line."""
    import neo4j
    import neo4j.exceptions as ne

    auth = (user, password) if password else None
    try:
        driver = neo4j.GraphDatabase.driver(uri, auth=auth, **config)
    except Exception as exc:  # noqa: BLE001 - ConfigurationError, ValueError, a missing optional module...
        raise Neo4jConnectionError(f"bad Neo4j URI {redact_uri(uri)!r}: {_first_line(exc)}") from None
    if verify:
        try:
            driver.verify_connectivity()
            if database:
                driver.execute_query("RETURN 1", database_=database)
        except Exception as exc:  # noqa: BLE001 - every driver failure becomes one line
            driver.close()
            if raw_auth_error and isinstance(exc, ne.AuthError):
                raise _AuthRequired() from None
            if isinstance(exc, ne.ClientError) and "DatabaseNotFound" in str(exc.code or ""):
                raise Neo4jConnectionError(f"Neo4j at {redact_uri(uri)} has no database {database!r}") from None
            raise Neo4jConnectionError(describe(exc, uri, prompted=prompted)) from None
    return driver

