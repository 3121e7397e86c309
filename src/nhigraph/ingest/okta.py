"""Okta: API tokens, OAuth 2.0 service apps and the Okta API scopes granted to them.

The Okta org is the host of the records' ``_links`` (or a grant's ``issuer``), else the file name's first
part (``acme.okta.com__apps.json``). Ids: ``okta:<org>`` (System, okta_org).

- ``GET /api/v1/api-tokens``: each token is a ``Credential`` (``okta:<org>:api-token/<id>``, api_token) that
  authenticates as its Okta user (``okta:<org>:user/<userId>``). An API token carries the admin roles of
  the user who made it and only admins can make one, so the user gets ``HAS_ACCESS`` admin on the org.
- ``GET /api/v1/apps``: each OAuth service app (``signOnMode`` ``OPENID_CONNECT`` with the
  ``client_credentials`` grant) is an ``Identity`` (``okta:<org>:app/<id>``, oauth_app) authenticated by its
  client secret or private key (``.../client-secret``, ``.../private-key``), and a ``Connector``
  (``.../connector``) from the org that ``USES`` it. Other apps are skipped. A client secret the listing
  shows is fingerprinted and dropped.
- ``GET /api/v1/apps/{appId}/grants``: the app's ``HAS_ACCESS`` on the org, ``actions`` the granted scopes,
  level by the rule: ``okta.*.manage`` -> admin, ``okta.*.read`` -> read, any other scope -> write if it
  names manage or write, else read. A write or admin grant makes the connector write to the org too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from ..errors import InputError
from ..model.records import Batch
from ..secrets import fingerprint
from .base import Format, looks_like_json
from .exports import Emitter, NameScope, json_values, max_level, obj_at, paged_items, source_name, texts, url_of, when

STATUS = {"ACTIVE": "active", "INACTIVE": "inactive", "DELETED": "deleted", "REVOKED": "revoked"}


def scope_level(scope: str) -> str:
    s = scope.strip().lower()
    if s.startswith("okta.") and s.endswith(".manage"):
        return "admin"
    if s.endswith(".read"):
        return "read"
    return "write" if ("manage" in s or "write" in s) else "read"


def _host(url: Any) -> str | None:
    if not isinstance(url, str) or not url:
        return None
    parts = url_of(url if "://" in url else f"https://{url}")
    host = parts.hostname if parts else None
    return host if host and "{" not in host and "." in host else None


def _org_from(items: Iterable[dict[str, Any]]) -> str | None:
    hosts: set[str] = set()
    for it in items:
        links = it.get("_links") if isinstance(it.get("_links"), dict) else {}
        for link in links.values():
            for one in link if isinstance(link, list) else [link]:
                if isinstance(one, dict) and _host(one.get("href")):
                    hosts.add(_host(one["href"]))
        if _host(it.get("issuer")):
            hosts.add(_host(it["issuer"]))
    return next(iter(hosts)) if len(hosts) == 1 else None


def _kind_of(items: list[dict[str, Any]]) -> str | None:
    first = next(iter(items), None)
    if first is None:
        return None
    if "scopeId" in first:
        return "grants"
    if "signOnMode" in first:
        return "apps"
    if "tokenWindow" in first or ("clientName" in first and "userId" in first):
        return "api-tokens"
    return None


def parse(path: Path, scope: str | None = None) -> list[Batch]:
    items = paged_items(json_values(path), None)
    objs = [x for x in items if isinstance(x, dict)]
    kind = _kind_of(objs)
    name = NameScope.of(path)
    if kind is None:
        low = name.kind
        kind = "grants" if "grant" in low else "apps" if "app" in low else "api-tokens" if "token" in low else None
    if kind is None:
        raise InputError(path, None, "not a recognised Okta listing (API tokens, apps or app grants)")
    org = _org_from(objs) or (name.parts[0] if name.parts else None)
    if org is None:
        raise InputError(path, None, "cannot tell the Okta org: the records have no links; name the file "
                         "ORG__okta-api-tokens.json (ORG: your Okta domain, e.g. acme.okta.com)")
    batch = Batch(source=source_name("okta", scope, f"{org}:{kind}"))
    em = Emitter(batch, path)
    oid = f"okta:{org}"
    em.stub({"label": "System", "id": oid, "kind": "okta_org", "name": org, "platform": "Okta"}, "file")
    handler = {"api-tokens": _tokens, "apps": _apps, "grants": _grants}[kind]
    for i, it in enumerate(items, 1):
        if not isinstance(it, dict):
            em.fail(f"item {i}", "expected an object")
            continue
        handler(em, org, oid, it, f"item {i}")
    return [batch]


def _tokens(em: Emitter, org: str, oid: str, it: dict[str, Any], where: str) -> None:
    tid, user = it.get("id"), it.get("userId")
    if not tid:
        em.fail(where, "an API token needs an id")
        return
    cred = f"okta:{org}:api-token/{tid}"
    network = it.get("network") if isinstance(it.get("network"), dict) else {}
    em.node({"label": "Credential", "id": cred, "kind": "api_token", "name": it.get("name") or str(tid),
             "created_at": when(it.get("created")), "expires_at": when(it.get("expiresAt")),
             "last_rotated_at": when(it.get("created")), "status": "active",
             "description": "; ".join(x for x in (
                 f"Okta API token ({it.get('clientName')})" if it.get("clientName") else "Okta API token",
                 f"expires after {it['tokenWindow']} unused" if it.get("tokenWindow") else "",
                 f"network {network.get('connection')}" if network.get("connection") else "") if x)}, where)
    if user:
        uid = f"okta:{org}:user/{user}"
        em.stub({"label": "Identity", "id": uid, "kind": "other", "name": f"Okta user {user}",
                 "description": "Okta user that made API tokens; the tokens act with its admin roles"}, where)
        em.edge("PART_OF", uid, oid, where)
        em.edge("AUTHENTICATES", cred, uid, where)
        em.edge("HAS_ACCESS", uid, oid, where, level="admin", actions=["ssws-api-token"])
    else:
        em.warn(where, f"API token {tid} names no user")


def _apps(em: Emitter, org: str, oid: str, it: dict[str, Any], where: str) -> None:
    settings = obj_at(it, "settings", "oauthClient")
    grants = texts(settings.get("grant_types"))
    if it.get("signOnMode") != "OPENID_CONNECT" or "client_credentials" not in grants:
        return
    app = it.get("id")
    if not app:
        em.fail(where, "an app needs an id")
        return
    oauth = obj_at(it, "credentials", "oauthClient")
    ident = f"okta:{org}:app/{app}"
    status = STATUS.get(str(it.get("status") or "").upper())
    em.node({"label": "Identity", "id": ident, "kind": "oauth_app", "name": it.get("label") or str(app),
             "status": status, "provider_id": oauth.get("client_id") or str(app),
             "created_at": when(it.get("created")),
             "description": f"Okta OAuth 2.0 service app ({settings.get('application_type') or 'service'})"}, where)
    em.edge("PART_OF", ident, oid, where)
    method = str(oauth.get("token_endpoint_auth_method") or "")
    secret = oauth.get("client_secret")
    cred = None
    if method == "private_key_jwt":
        cred = f"{ident}/private-key"
        em.node({"label": "Credential", "id": cred, "kind": "app_private_key", "name": f"{it.get('label')} key",
                 "status": status, "description": "private key JWT client authentication"}, where)
    elif method.startswith("client_secret") or secret:
        cred = f"{ident}/client-secret"
        em.node({"label": "Credential", "id": cred, "kind": "client_secret", "name": f"{it.get('label')} secret",
                 "status": status, "fingerprint": fingerprint(secret) if isinstance(secret, str) and secret else None,
                 "description": f"client secret ({method or 'client_secret'})"}, where)
    del secret
    conn = f"{ident}/connector"
    em.node({"label": "Connector", "id": conn, "kind": "api_integration", "name": f"{it.get('label') or app}",
             "status": status, "description": "Okta OAuth service app calling the Okta API"}, where)
    em.edge("CONNECTS_FROM", conn, oid, where)
    if cred:
        em.edge("AUTHENTICATES", cred, ident, where)
        em.edge("USES", conn, cred, where)


def _grants(em: Emitter, org: str, oid: str, it: dict[str, Any], where: str) -> None:
    scope_id = it.get("scopeId")
    links = it.get("_links") if isinstance(it.get("_links"), dict) else {}
    app_link = links.get("app") if isinstance(links.get("app"), dict) else {}
    href = app_link.get("href")
    app = href.rstrip("/").rsplit("/", 1)[-1] if isinstance(href, str) and "/apps/" in href else it.get("clientId")
    if not scope_id or not app or "{" in str(app):
        em.fail(where, "a grant needs scopeId and its app (clientId or _links.app)")
        return
    if str(it.get("status") or "ACTIVE").upper() != "ACTIVE":
        return
    ident = f"okta:{org}:app/{app}"
    em.stub({"label": "Identity", "id": ident, "kind": "oauth_app", "name": str(app)}, where)
    em.edge("PART_OF", ident, oid, where)
    level = scope_level(str(scope_id))
    em.edge("HAS_ACCESS", ident, oid, where, level=level, actions=[str(scope_id)])
    if max_level([level, "read"]) != "read":
        conn = f"{ident}/connector"
        em.stub({"label": "Connector", "id": conn, "kind": "api_integration", "name": str(app)}, where)
        em.edge("CONNECTS_TO", conn, oid, where)


def _detect(path: Path, head: bytes) -> bool:
    if not looks_like_json(head):
        return False
    if b'"tokenWindow"' in head or (b'"clientName"' in head and b'"userId"' in head and b'"expiresAt"' in head):
        return True
    if b'"signOnMode"' in head:
        return True
    return b'"scopeId"' in head and b'"issuer"' in head and b'"clientId"' in head


FORMAT = Format("okta-api", "Okta API tokens, OAuth service apps and their granted scopes",
                "`curl -s -H \"Authorization: SSWS $OKTA_TOKEN\" \"https://ORG.okta.com/api/v1/api-tokens?limit=200\" "
                "> ORG.okta.com__okta-api-tokens.json`; the same for `/api/v1/apps?limit=200` "
                "(`> ORG.okta.com__okta-apps.json`) and `/api/v1/apps/APP_ID/grants` "
                "(`> ORG.okta.com__APP_ID__okta-grants.json`)",
                _detect, parse)
