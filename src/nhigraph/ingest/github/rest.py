"""GitHub REST API listings, as ``gh api --paginate`` writes them.

The org and repository come from the response where it names them (an installation's ``account``, a deploy
key's or webhook's ``url``), else from the file name ``ORG[__REPO[__ENV]]__WHAT.json``:

==============================  ===========================================================================
WHAT                            command
==============================  ===========================================================================
``installations``               ``gh api --paginate /orgs/ORG/installations > ORG__installations.json``
``deploy-keys``                 ``gh api --paginate /repos/ORG/REPO/keys > ORG__REPO__deploy-keys.json``
``actions-secrets``             ``gh api --paginate /repos/ORG/REPO/actions/secrets >
                                ORG__REPO__actions-secrets.json``; org secrets: ``/orgs/ORG/actions/secrets
                                > ORG__actions-secrets.json``; environment secrets:
                                ``/repos/ORG/REPO/environments/ENV/secrets > ORG__REPO__ENV__actions-secrets.json``
``actions-variables``           the same for ``.../actions/variables`` (values are read only to find a
                                provider key id, never stored)
``personal-access-tokens``      ``gh api --paginate /orgs/ORG/personal-access-tokens > ORG__personal-access-tokens.json``
``credential-authorizations``   ``gh api --paginate /orgs/ORG/credential-authorizations >
                                ORG__credential-authorizations.json`` (classic PATs and SSH keys, SAML SSO orgs)
``hooks``                       ``gh api --paginate /repos/ORG/REPO/hooks > ORG__REPO__hooks.json`` (or
                                ``/orgs/ORG/hooks > ORG__hooks.json``)
==============================  ===========================================================================
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ...errors import InputError
from ...model.ids import credential_for_key_id
from ...model.records import Batch
from ..base import Format, looks_like_json
from ..exports import (SEP, Emitter, NameScope, environment_of, json_values, list_of, paged_items, source_name,
                       url_of, when)
from ..links import stored_value
from .ids import add_org, add_repo, flat_permissions, org_id, permission_level, scope_level, store_id

WHATS = {
    "installations": "installations", "app-installations": "installations",
    "deploy-keys": "deploy-keys", "keys": "deploy-keys",
    "actions-secrets": "secrets", "secrets": "secrets", "org-secrets": "secrets",
    "environment-secrets": "secrets", "env-secrets": "secrets",
    "actions-variables": "variables", "variables": "variables", "org-variables": "variables",
    "environment-variables": "variables",
    "personal-access-tokens": "pats", "pats": "pats", "fine-grained-pats": "pats",
    "credential-authorizations": "sso-credentials",
    "hooks": "hooks", "webhooks": "hooks",
}
#: file names claimed by detection alone (the short aliases need the content to look like GitHub's too)
DISTINCT_NAMES = frozenset({"installations", "app-installations", "deploy-keys", "actions-secrets",
                            "environment-secrets", "actions-variables", "personal-access-tokens",
                            "fine-grained-pats", "credential-authorizations", "webhooks"})
LIST_KEY = {"installations": "installations", "secrets": "secrets", "variables": "variables"}
_REPO_URL = re.compile(r"/repos/(?P<org>[^/]+)/(?P<repo>[^/]+)/(?:keys|hooks)/")
_ORG_HOOK_URL = re.compile(r"/orgs/(?P<org>[^/]+)/hooks/")


def _shape(values: list[Any]) -> str | None:
    """What a listing holds, from its content."""
    for v in values:
        if isinstance(v, dict):
            for key in ("installations", "secrets", "variables"):
                if key in v:
                    return {"installations": "installations"}.get(key, key)
    items = paged_items(values, None)
    first = next((x for x in items if isinstance(x, dict)), None)
    if first is None:
        return None
    if "credential_authorized_at" in first or "credential_type" in first:
        return "sso-credentials"
    if "access_granted_at" in first or "token_expired" in first:
        return "pats"
    if "read_only" in first and "key" in first:
        return "deploy-keys"
    if "config" in first and "events" in first and ("ping_url" in first or "/hooks/" in str(first.get("url"))):
        return "hooks"
    if "app_slug" in first or "access_tokens_url" in first:
        return "installations"
    return None


def parse(path: Path, scope: str | None = None) -> list[Batch]:
    values = json_values(path)
    name = NameScope.of(path)
    what = WHATS.get(name.kind) or _shape(values)
    if what is None:
        raise InputError(path, None, "not a recognised GitHub API listing; name the file ORG[__REPO]__WHAT.json "
                         f"with WHAT one of {', '.join(sorted(set(WHATS)))}")
    if name.kind not in WHATS and name.parts:
        # ORG__REPO.json: the last part is not a WHAT, so every part is scope
        name = NameScope(name.parts + (name.what,), what)
    items = paged_items(values, LIST_KEY.get(what))
    handler = {"installations": _installations, "deploy-keys": _deploy_keys, "secrets": _secrets,
               "variables": _variables, "pats": _pats, "sso-credentials": _sso_credentials,
               "hooks": _hooks}[what]
    return handler(path, name.parts, items, scope)


def _need_org(path: Path, parts: tuple[str, ...], what: str, example: str) -> str:
    if not parts:
        raise InputError(path, None, f"cannot tell which org these {what} belong to: name the file {example}")
    return parts[0]


def _need_repo(path: Path, parts: tuple[str, ...], what: str, example: str) -> tuple[str, str]:
    if len(parts) < 2:
        raise InputError(path, None, f"cannot tell which repository these {what} belong to: name the file {example}")
    return parts[0], parts[1]


def _items(em: Emitter, items: list[Any], what: str):
    for i, item in enumerate(items, 1):
        where = f"{what}[{i}]"
        if not isinstance(item, dict):
            em.fail(where, "expected an object")
            continue
        yield where, item


def _str(item: dict[str, Any], key: str, em: Emitter, where: str) -> str | None:
    value = item.get(key)
    if value is None or value == "":
        em.fail(where, f"missing {key!r}")
        return None
    return str(value)


# ---------------------------------------------------------------------------------------------- installations
def _installations(path: Path, parts: tuple[str, ...], items: list[Any], scope: str | None) -> list[Batch]:
    orgs = {str((it.get("account") or {}).get("login")) for it in items
            if isinstance(it, dict) and isinstance(it.get("account"), dict) and (it["account"].get("login"))}
    org_default = parts[0] if parts else (next(iter(orgs)) if len(orgs) == 1 else None)
    batch = Batch(source=source_name("github", scope, f"{org_default or path.stem}:installations"))
    em = Emitter(batch, path)
    for where, it in _items(em, items, "installations"):
        inst_id, slug = _str(it, "id", em, where), _str(it, "app_slug", em, where)
        account = it.get("account") if isinstance(it.get("account"), dict) else {}
        org = account.get("login") or org_default
        if inst_id is None or slug is None:
            continue
        if not org:
            em.fail(where, "the installation names no account; name the file ORG__installations.json")
            continue
        oid = add_org(em, org, where)
        ident = f"github:{org}:installation/{inst_id}"
        perms = it.get("permissions") if isinstance(it.get("permissions"), dict) else {}
        level = permission_level(perms)
        selection = it.get("repository_selection")
        suspended = when(it.get("suspended_at"))
        em.node({"label": "Identity", "id": ident, "kind": "github_app", "name": slug,
                 "provider_id": inst_id, "created_at": when(it.get("created_at")),
                 "status": "disabled" if suspended else "active",
                 "description": f"GitHub App {slug} (app id {it.get('app_id')}) installed on {org}, "
                                f"repository selection: {selection}"}, where)
        em.edge("PART_OF", ident, oid, where)
        if level:
            em.edge("HAS_ACCESS", ident, oid, where, level=level,
                    actions=[f"{k}:{v}" for k, v in sorted(perms.items())],
                    condition='{"repository_selection": "selected"}' if selection == "selected" else None)
        key = f"github:app/{slug}:private-key"
        em.node({"label": "Credential", "id": key, "kind": "app_private_key", "name": f"{slug} private key",
                 "description": f"private key of GitHub App {slug}; it mints installation tokens"}, where)
        em.edge("AUTHENTICATES", key, ident, where)
        app_sys = f"github-app:{slug}"
        em.stub({"label": "System", "id": app_sys, "kind": "saas", "name": f"GitHub App {slug}",
                 "platform": slug}, where)
        conn = f"{ident}/connector"
        em.node({"label": "Connector", "id": conn, "kind": "api_integration", "name": f"{slug} on {org}",
                 "status": "disabled" if suspended else "active",
                 "description": "GitHub App installation, events: "
                                + (", ".join(map(str, list_of(it.get("events")))) or "none")},
                where)
        em.edge("CONNECTS_FROM", conn, oid, where)
        em.edge("CONNECTS_TO", conn, app_sys, where)
        if level in ("write", "admin"):
            em.edge("CONNECTS_TO", conn, oid, where)
        em.edge("USES", conn, key, where)
    return [batch]


# ---------------------------------------------------------------------------------------------- deploy keys
def _deploy_keys(path: Path, parts: tuple[str, ...], items: list[Any], scope: str | None) -> list[Batch]:
    urls = [_REPO_URL.search(str(it.get("url"))) for it in items if isinstance(it, dict)]
    named = (parts[0], parts[1]) if len(parts) >= 2 else None
    from_url = {(m["org"], m["repo"]) for m in urls if m}
    default = named or (next(iter(from_url)) if len(from_url) == 1 else None)
    if default is None and len([m for m in urls if m]) < len(urls):
        default = _need_repo(path, parts, "deploy keys", "ORG__REPO__deploy-keys.json")
    label = f"{default[0]}/{default[1]}" if default else path.stem
    batch = Batch(source=source_name("github", scope, f"{label}:deploy-keys"))
    em = Emitter(batch, path)
    for where, it in _items(em, items, "keys"):
        kid = _str(it, "id", em, where)
        if kid is None:
            continue
        m = _REPO_URL.search(str(it.get("url")))
        org, repo = (m["org"], m["repo"]) if m else default
        rid = add_repo(em, org, repo, where)
        ident = f"github:{org}/{repo}:deploy-key/{kid}"
        title = it.get("title") or f"deploy key {kid}"
        read_only = it.get("read_only") is not False
        enabled = it.get("enabled") is not False
        em.node({"label": "Identity", "id": ident, "kind": "other", "name": f"deploy key {title}",
                 "provider_id": kid, "created_at": when(it.get("created_at")),
                 "last_used_at": when(it.get("last_used")),
                 "description": f"deploy key of {org}/{repo}" + (f", added by {it['added_by']}"
                                                                  if it.get("added_by") else "")}, where)
        em.edge("PART_OF", ident, org_id(org), where)
        em.edge("HAS_ACCESS", ident, rid, where, level="read" if read_only else "write",
                actions=["pull"] if read_only else ["pull", "push"])
        cred = f"{ident}/key"
        em.node({"label": "Credential", "id": cred, "kind": "deploy_key", "name": str(title),
                 "created_at": when(it.get("created_at")), "last_used_at": when(it.get("last_used")),
                 "status": "active" if enabled else "disabled",
                 "description": "SSH deploy key" + ("" if it.get("verified", True) else " (unverified)")}, where)
        em.edge("AUTHENTICATES", cred, ident, where)
    return [batch]


# ---------------------------------------------------------------------------------------------- secrets, variables
def _secret_scope(path: Path, parts: tuple[str, ...], what: str) -> tuple[str, str | None, str | None]:
    org = _need_org(path, parts, f"Actions {what}", f"ORG__actions-{what}.json (org), ORG__REPO__actions-{what}"
                    f".json (repository) or ORG__REPO__ENV__actions-{what}.json (environment)")
    repo = parts[1] if len(parts) >= 2 else None
    env = SEP.join(parts[2:]) if len(parts) >= 3 else None
    return org, repo, env


def _secrets(path: Path, parts: tuple[str, ...], items: list[Any], scope: str | None) -> list[Batch]:
    org, repo, env = _secret_scope(path, parts, "secrets")
    where_label = f"{org}/{repo}" + (f"/env/{env}" if env else "") if repo else org
    batch = Batch(source=source_name("github", scope, f"{where_label}:actions-secrets"))
    em = Emitter(batch, path)
    oid = add_org(em, org, "file name")
    if repo:
        add_repo(em, org, repo, "file name")
    for where, it in _items(em, items, "secrets"):
        name = _str(it, "name", em, where)
        if name is None:
            continue
        sid = store_id(org, repo, name, "secret", env)
        visibility = it.get("visibility")
        level = f"environment {env} of {org}/{repo}" if env else (f"{org}/{repo}" if repo else f"org {org}")
        em.node({"label": "SecretStore", "id": sid, "kind": "ci_variable", "name": name,
                 "location": f"GitHub Actions secret {name} ({level})",
                 "environment": environment_of(env),
                 "description": "; ".join(x for x in (
                     f"visibility {visibility}" if visibility else "",
                     f"updated {it['updated_at']}" if it.get("updated_at") else "") if x) or None}, where)
        em.edge("PART_OF", sid, oid, where)
        cred = stored_value(sid)
        em.node({"label": "Credential", "id": cred, "kind": "other", "name": f"value of Actions secret {name}",
                 "created_at": when(it.get("created_at")),
                 "last_rotated_at": when(it.get("updated_at")) or when(it.get("created_at")),
                 "environment": environment_of(env)}, where)
        em.edge("STORES", sid, cred, where)
    return [batch]


def _variables(path: Path, parts: tuple[str, ...], items: list[Any], scope: str | None) -> list[Batch]:
    """Variables are not secret; one only becomes a store when its value is a provider key id (a link
    from the variable, and a workflow reading it, to the credential). No value is stored."""
    org, repo, env = _secret_scope(path, parts, "variables")
    where_label = f"{org}/{repo}" + (f"/env/{env}" if env else "") if repo else org
    batch = Batch(source=source_name("github", scope, f"{where_label}:actions-variables"))
    em = Emitter(batch, path)
    for where, it in _items(em, items, "variables"):
        name = _str(it, "name", em, where)
        value = it.get("value")
        cred = credential_for_key_id(value.strip()) if isinstance(value, str) else None
        if name is None or cred is None:
            continue
        oid = add_org(em, org, where)
        sid = store_id(org, repo, name, "variable", env)
        em.node({"label": "SecretStore", "id": sid, "kind": "ci_variable", "name": name,
                 "location": f"GitHub Actions variable {name}", "environment": environment_of(env)}, where)
        em.edge("PART_OF", sid, oid, where)
        em.stub({"label": "Credential", "id": cred, "kind": "access_key", "key_id": value.strip()}, where)
        em.edge("STORES", sid, cred, where)
    return [batch]


# ---------------------------------------------------------------------------------------------- tokens
def _pats(path: Path, parts: tuple[str, ...], items: list[Any], scope: str | None) -> list[Batch]:
    org = _need_org(path, parts, "personal access tokens", "ORG__personal-access-tokens.json")
    batch = Batch(source=source_name("github", scope, f"{org}:personal-access-tokens"))
    em = Emitter(batch, path)
    oid = add_org(em, org, "file name")
    for where, it in _items(em, items, "tokens"):
        pid = _str(it, "id", em, where)
        if pid is None:
            continue
        owner = (it.get("owner") or {}).get("login") if isinstance(it.get("owner"), dict) else None
        perms = flat_permissions(it.get("permissions") if isinstance(it.get("permissions"), dict) else {})
        level = permission_level(perms)
        token_name = it.get("token_name") or f"token {it.get('token_id') or pid}"
        ident = f"github:{org}:pat/{pid}"
        expired = it.get("token_expired") is True
        em.node({"label": "Identity", "id": ident, "kind": "other", "name": f"PAT {token_name} of {owner}",
                 "provider_id": str(it.get("token_id") or pid),
                 "last_used_at": when(it.get("token_last_used_at")),
                 "description": f"fine-grained personal access token of {owner}, repository selection "
                                f"{it.get('repository_selection')}"}, where)
        em.edge("PART_OF", ident, oid, where)
        if level:
            em.edge("HAS_ACCESS", ident, oid, where, level=level,
                    actions=[f"{k}:{v}" for k, v in sorted(perms.items())],
                    condition=('{"repository_selection": "subset"}'
                               if it.get("repository_selection") == "subset" else None))
        cred = f"{ident}/token"
        em.node({"label": "Credential", "id": cred, "kind": "pat", "name": str(token_name),
                 "created_at": when(it.get("access_granted_at")), "expires_at": when(it.get("token_expires_at")),
                 "last_used_at": when(it.get("token_last_used_at")),
                 "status": "expired" if expired else "active",
                 "scopes": [f"{k}:{v}" for k, v in sorted(perms.items())],
                 "description": f"fine-grained PAT of {owner}"}, where)
        em.edge("AUTHENTICATES", cred, ident, where)
    return [batch]


def _sso_credentials(path: Path, parts: tuple[str, ...], items: list[Any], scope: str | None) -> list[Batch]:
    org = _need_org(path, parts, "credential authorizations", "ORG__credential-authorizations.json")
    batch = Batch(source=source_name("github", scope, f"{org}:credential-authorizations"))
    em = Emitter(batch, path)
    oid = add_org(em, org, "file name")
    for where, it in _items(em, items, "authorizations"):
        cid = _str(it, "credential_id", em, where)
        if cid is None:
            continue
        ctype = str(it.get("credential_type") or "")
        login = it.get("login")
        scopes = [str(s) for s in list_of(it.get("scopes")) if s]
        is_key = "ssh" in ctype.lower()
        ident = f"github:{org}:sso-credential/{cid}"
        title = it.get("authorized_credential_title") or it.get("authorized_credential_note")
        em.node({"label": "Identity", "id": ident, "kind": "other",
                 "name": f"{ctype or 'credential'} of {login}" + (f" ({title})" if title else ""),
                 "provider_id": cid, "last_used_at": when(it.get("credential_accessed_at")),
                 "description": f"{ctype} of {login} authorized for SAML SSO on {org}"}, where)
        em.edge("PART_OF", ident, oid, where)
        level = "write" if is_key else scope_level(scopes)
        if level:
            em.edge("HAS_ACCESS", ident, oid, where, level=level, actions=sorted(scopes) or None)
        cred = f"{ident}/{'ssh-key' if is_key else 'token'}"
        em.node({"label": "Credential", "id": cred, "kind": "ssh_key" if is_key else "pat",
                 "name": str(title or f"{ctype} of {login}"),
                 "fingerprint": it.get("fingerprint") if is_key else None,
                 "created_at": when(it.get("credential_authorized_at")),
                 "last_used_at": when(it.get("credential_accessed_at")),
                 "expires_at": when(it.get("authorized_credential_expires_at")),
                 "scopes": scopes, "description": f"{ctype} of {login} (classic)"}, where)
        em.edge("AUTHENTICATES", cred, ident, where)
    return [batch]


# ---------------------------------------------------------------------------------------------- webhooks
def _hooks(path: Path, parts: tuple[str, ...], items: list[Any], scope: str | None) -> list[Batch]:
    label = "/".join(parts[:2]) if parts else path.stem
    batch = Batch(source=source_name("github", scope, f"{label}:hooks"))
    em = Emitter(batch, path)
    for where, it in _items(em, items, "hooks"):
        hid = _str(it, "id", em, where)
        if hid is None:
            continue
        url = str(it.get("url") or "")
        m, mo = _REPO_URL.search(url), _ORG_HOOK_URL.search(url)
        if m:
            org, repo = m["org"], m["repo"]
        elif mo:
            org, repo = mo["org"], None
        elif parts:
            org, repo = parts[0], (parts[1] if len(parts) > 1 else None)
        else:
            em.fail(where, "cannot tell which repository or org the webhook belongs to: name the file "
                    "ORG__REPO__hooks.json")
            continue
        oid = add_org(em, org, where)
        if repo:
            add_repo(em, org, repo, where)
        base = f"github:{org}/{repo}" if repo else f"github:{org}"
        conn = f"{base}:hook/{hid}"
        config = it.get("config") if isinstance(it.get("config"), dict) else {}
        target = url_of(config.get("url"))
        host = target.hostname if target else None
        insecure = str(config.get("insecure_ssl", "0")) == "1"
        em.node({"label": "Connector", "id": conn, "kind": "webhook",
                 "name": f"{it.get('name') or 'web'} hook {hid} of {org}/{repo}" if repo else f"org hook {hid} of {org}",
                 "status": "active" if it.get("active") is not False else "inactive",
                 "description": "; ".join(x for x in (
                     f"events {', '.join(map(str, list_of(it.get('events'))))}",
                     f"delivers to {target.scheme}://{host}" if host else "",
                     "TLS verification disabled (insecure_ssl)" if insecure else "") if x)}, where)
        em.edge("CONNECTS_FROM", conn, oid, where)
        if host:
            sysid = f"web:{host}"
            em.stub({"label": "System", "id": sysid, "kind": "other", "name": host, "platform": host}, where)
            em.edge("CONNECTS_TO", conn, sysid, where)
        if config.get("secret"):
            cred = f"{conn}/secret"
            em.node({"label": "Credential", "id": cred, "kind": "webhook_secret", "name": f"secret of hook {hid}",
                     "description": "HMAC secret signing the webhook's deliveries"}, where)
            em.edge("USES", conn, cred, where)
        else:
            em.warn(where, f"webhook {hid} has no secret: its deliveries are not signed")
    return [batch]


# ---------------------------------------------------------------------------------------------- detection
def _detect(path: Path, head: bytes) -> bool:
    if not looks_like_json(head) or not path.name.lower().endswith(".json"):
        return False
    name = NameScope.of(path)
    if name.parts and name.kind in DISTINCT_NAMES:
        return True
    if b'"total_count"' in head and (b'"secrets"' in head or b'"variables"' in head) and b'"updated_at"' in head:
        return True
    return any(marker in head for marker in (
        b'"access_tokens_url"', b'"credential_authorized_at"', b'"token_expired"')) or (
        b'"read_only"' in head and b'/keys/' in head and b'api.github.com' in head) or (
        b'"ping_url"' in head and b'/hooks/' in head)


FORMAT = Format(
    "github-api", "GitHub REST listings: app installations, deploy keys, Actions secrets and variables, "
    "fine-grained and SSO-authorized PATs, webhooks",
    "`gh api --paginate /orgs/ORG/installations > ORG__installations.json`; "
    "`gh api --paginate /repos/ORG/REPO/keys > ORG__REPO__deploy-keys.json`; "
    "`gh api --paginate /repos/ORG/REPO/actions/secrets > ORG__REPO__actions-secrets.json` (org: "
    "`/orgs/ORG/actions/secrets > ORG__actions-secrets.json`; environment: "
    "`/repos/ORG/REPO/environments/ENV/secrets > ORG__REPO__ENV__actions-secrets.json`; variables: "
    "`.../actions/variables > ...__actions-variables.json`); "
    "`gh api --paginate /orgs/ORG/personal-access-tokens > ORG__personal-access-tokens.json`; "
    "`gh api --paginate /orgs/ORG/credential-authorizations > ORG__credential-authorizations.json`; "
    "`gh api --paginate /repos/ORG/REPO/hooks > ORG__REPO__hooks.json`",
    _detect, parse)
