"""Slack: apps approved for a workspace or Enterprise Grid org, with their scopes
(``admin.apps.approved.list``).

The response does not name the workspace, so the file name does: ``TEAM__slack-approved-apps.json`` where
TEAM is the workspace (``T...``) or org (``E...``) id you passed as ``team_id``/``enterprise_id``.
Ids: ``slack:<team>`` (System, slack_workspace).

Each approved app is an ``Identity`` (``slack:<team>:app/<id>``; kind bot when it has bot scopes, else
oauth_app; ``external`` unless ``is_internal``) with:

- one ``Credential`` per token type its scopes are for (``.../bot-token``, api_token; ``.../user-token``,
  oauth_grant) holding those scopes;
- ``HAS_ACCESS`` on the workspace, ``actions`` its scopes, level by the rule: ``admin``, ``admin.*`` and the
  legacy ``client`` scope -> admin; a ``*:write`` scope, ``chat:write``, ``incoming-webhook``, ``commands``
  or the legacy ``bot``/``post`` scopes -> write; any other (``*:read``, ``*:history``, ``identify``) -> read;
- a ``Connector`` (``.../connector``, api_integration) from the workspace to the app's own side
  (``slack-app:<id>``, System, saas), and back into the workspace when it can write, using the tokens;
- for a third-party app, a ``Vendor`` (``vendor:slack-app/<id>``) that ``HOLDS`` its tokens.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import InputError
from ..model.records import Batch
from .base import Format, looks_like_json
from .exports import Emitter, NameScope, json_values, list_of, max_level, paged_items, source_name, when

ADMIN = frozenset({"admin", "client"})
WRITE = frozenset({"chat:write", "incoming-webhook", "commands", "bot", "post", "files:write:user"})
TOKEN_KINDS = {"bot": "api_token", "user": "oauth_grant", "app": "api_token"}


def scope_level(scope: str) -> str:
    s = scope.strip().lower()
    if s in ADMIN or s.startswith("admin."):
        return "admin"
    if s in WRITE or ":write" in s:
        return "write"
    return "read"


def parse(path: Path, scope: str | None = None) -> list[Batch]:
    values = json_values(path)
    for v in values:
        if isinstance(v, dict) and v.get("ok") is False:
            raise InputError(path, None, f"Slack returned an error ({v.get('error')!s:.60}), not an app list")
    apps = paged_items(values, "approved_apps")
    name = NameScope.of(path)
    if not name.parts:
        raise InputError(path, None, "cannot tell the Slack workspace: name the file "
                         "TEAM__slack-approved-apps.json (TEAM: the team_id or enterprise_id you listed)")
    team = name.parts[0]
    batch = Batch(source=source_name("slack", scope, f"{team}:approved-apps"))
    em = Emitter(batch, path)
    wid = f"slack:{team}"
    em.stub({"label": "System", "id": wid, "kind": "slack_workspace", "name": team, "platform": "Slack"}, "file")
    for i, entry in enumerate(apps, 1):
        where = f"approved_apps[{i}]"
        app = entry.get("app") if isinstance(entry, dict) else None
        if not isinstance(app, dict) or not app.get("id"):
            em.fail(where, "an approved app needs app.id")
            continue
        _app(em, team, wid, entry, app, where)
    return [batch]


def _app(em: Emitter, team: str, wid: str, entry: dict[str, Any], app: dict[str, Any], where: str) -> None:
    app_id, name = str(app["id"]), str(app.get("name") or app["id"])
    internal = app.get("is_internal") is True
    scopes = [s for s in list_of(entry.get("scopes")) if isinstance(s, dict) and s.get("name")]
    by_type: dict[str, list[str]] = {}
    for s in scopes:
        by_type.setdefault(str(s.get("token_type") or "user"), []).append(str(s["name"]))
    ident = f"slack:{team}:app/{app_id}"
    sensitive = sorted(str(s["name"]) for s in scopes if s.get("is_sensitive"))
    resolved = entry.get("last_resolved_by") if isinstance(entry.get("last_resolved_by"), dict) else {}
    em.node({"label": "Identity", "id": ident, "kind": "bot" if "bot" in by_type else "oauth_app", "name": name,
             "provider_id": app_id, "external": not internal, "status": "active",
             "description": "; ".join(x for x in (
                 "internal Slack app" if internal else "third-party Slack app",
                 f"approved {when(entry.get('date_updated')).date()}" if when(entry.get("date_updated")) else "",
                 f"by {resolved.get('actor_id')}" if resolved.get("actor_id") else "",
                 f"sensitive scopes: {', '.join(sensitive)}" if sensitive else "") if x)}, where)
    em.edge("PART_OF", ident, wid, where)
    all_scopes = sorted({s for v in by_type.values() for s in v})
    level = max_level(scope_level(s) for s in all_scopes)
    if level:
        em.edge("HAS_ACCESS", ident, wid, where, level=level, actions=all_scopes)
    app_sys = f"slack-app:{app_id}"
    em.stub({"label": "System", "id": app_sys, "kind": "saas", "name": f"Slack app {name}", "platform": name,
             "external": not internal}, where)
    conn = f"{ident}/connector"
    em.node({"label": "Connector", "id": conn, "kind": "api_integration", "name": f"{name} (Slack)",
             "status": "active", "description": f"Slack app {name} reading from"
                                                + (" and writing to" if level in ("write", "admin") else "")
                                                + f" workspace {team}"}, where)
    em.edge("CONNECTS_FROM", conn, wid, where)
    em.edge("CONNECTS_TO", conn, app_sys, where)
    if level in ("write", "admin"):
        em.edge("CONNECTS_FROM", conn, app_sys, where)
        em.edge("CONNECTS_TO", conn, wid, where)
    vendor = None
    if not internal:
        vendor = f"vendor:slack-app/{app_id}"
        em.node({"label": "Vendor", "id": vendor, "kind": "saas_provider", "name": f"developer of {name}",
                 "description": app.get("app_homepage_url") or app.get("app_directory_url")}, where)
    for token_type, names in sorted(by_type.items()):
        cred = f"{ident}/{token_type}-token"
        em.node({"label": "Credential", "id": cred, "kind": TOKEN_KINDS.get(token_type, "api_token"),
                 "name": f"{name} {token_type} token", "scopes": names, "status": "active"}, where)
        em.edge("AUTHENTICATES", cred, ident, where)
        em.edge("USES", conn, cred, where)
        if vendor:
            em.edge("HOLDS", vendor, cred, where)


def _detect(path: Path, head: bytes) -> bool:
    return looks_like_json(head) and b'"approved_apps"' in head


FORMAT = Format("slack-apps", "Slack apps approved for a workspace or org, with scopes",
                "`curl -H \"Authorization: Bearer $SLACK_ADMIN_TOKEN\" "
                "'https://slack.com/api/admin.apps.approved.list?team_id=TEAM&limit=1000' > "
                "TEAM__slack-approved-apps.json`",
                _detect, parse)
