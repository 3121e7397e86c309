"""GitHub ids and the access-level rules for GitHub permissions and OAuth scopes."""

from __future__ import annotations

from typing import Any, Iterable

from ..exports import Emitter, max_level


def org_id(org: str) -> str:
    return f"github:{org}"


def repo_id(org: str, repo: str) -> str:
    return f"github:{org}/{repo}"


def store_id(org: str, repo: str | None, name: str, what: str = "secret", env: str | None = None) -> str:
    """An Actions secret (``what="secret"``) or variable: org, repository or environment level."""
    if repo is None:
        return f"github:{org}:{what}/{name}"
    if env:
        return f"github:{org}/{repo}:env/{env}/{what}/{name}"
    return f"github:{org}/{repo}:{what}/{name}"


def workflow_id(org: str, repo: str, file: str) -> str:
    return f"github:{org}/{repo}:workflow/{file}"


def add_org(em: Emitter, org: str, where: str) -> str:
    oid = org_id(org)
    em.stub({"label": "System", "id": oid, "kind": "github_org", "name": org, "platform": "GitHub"}, where)
    return oid


def add_repo(em: Emitter, org: str, repo: str, where: str) -> str:
    rid = repo_id(org, repo)
    em.stub({"label": "Resource", "id": rid, "kind": "repo", "name": f"{org}/{repo}"}, where)
    em.edge("PART_OF", rid, add_org(em, org, where), where)
    return rid


#: GitHub App / fine-grained token permissions whose write access administers the org or its secrets
ADMIN_PERMISSIONS = frozenset({
    "administration", "organization_administration", "members", "secrets", "organization_secrets",
    "environments", "workflows", "organization_personal_access_tokens",
    "organization_personal_access_token_requests", "organization_self_hosted_runners",
    "organization_custom_roles", "organization_user_blocking",
})
#: classic OAuth / PAT scopes that administer
ADMIN_SCOPES = frozenset({"admin:org", "admin:enterprise", "site_admin", "delete_repo", "admin:org_hook",
                          "admin:repo_hook", "workflow", "admin:public_key", "admin:gpg_key",
                          "admin:ssh_signing_key"})
READ_SCOPES_PREFIX = ("read:",)
READ_SCOPES = frozenset({"user:email", "user:follow", "notifications", "read:org", "read:user"})


def permission_level(permissions: dict[str, Any]) -> str | None:
    """Level of a GitHub permission map (``{"contents": "write", "metadata": "read"}``).

    ``admin`` anywhere, or write on an administrative permission (administration, members, secrets,
    environments, workflows, ...), is admin; any other write is write; read is read.
    """
    levels = []
    for name, value in permissions.items():
        value = str(value).lower()
        if value == "admin" or (value == "write" and name in ADMIN_PERMISSIONS):
            levels.append("admin")
        elif value == "write":
            levels.append("write")
        elif value == "read":
            levels.append("read")
    return max_level(levels)


def flat_permissions(perms: dict[str, Any]) -> dict[str, str]:
    """A fine-grained token's ``{"organization": {...}, "repository": {...}}`` as one flat map."""
    out: dict[str, str] = {}
    for group, inner in perms.items():
        if isinstance(inner, dict):
            for k, v in inner.items():
                out[k] = str(v)
        else:
            out[group] = str(inner)
    return out


def scope_level(scopes: Iterable[str]) -> str | None:
    """Level of classic OAuth scopes: admin:* / workflow / delete_repo -> admin, read:* -> read,
    anything else (repo, write:*, gist, user) -> write."""
    levels = []
    for s in scopes:
        s = s.strip().lower()
        if not s:
            continue
        if s in ADMIN_SCOPES or s.startswith("admin:"):
            levels.append("admin")
        elif s in READ_SCOPES or s.startswith(READ_SCOPES_PREFIX):
            levels.append("read")
        else:
            levels.append("write")
    return max_level(levels)
