"""Microsoft Entra ID (Azure AD): app registrations, service principals, their secrets and certificates,
owners, application permissions and delegated permission grants, from ``az`` / Microsoft Graph JSON.

Ids (see :mod:`nhigraph.model.ids`):

- an app registration is ``azure:app:<appId>`` (its application/client id, which Kubernetes workload
  identity annotations also name); a service principal or managed identity is ``azure:sp:<object id>``,
  the id that app role assignments and permission grants name;
- the service principal list links each app to its service principal with ``CAN_ASSUME`` (via ``other``):
  a credential of the app signs in as its service principal, which holds the permissions;
- a client secret or certificate is ``azure:cred:<keyId>``; the tenant is ``azure:<tenant id>``;
- an API that permissions reach (Microsoft Graph, or your own API's service principal) is a Resource
  ``azure:api:<resource service principal id>``; delegated grants reach ``azure:api:<id>/delegated``, kept
  apart because a delegated permission is only usable on behalf of a signed-in user.

Secrets are never kept: a password credential's ``hint`` (its first characters) and a public key's ``key``
are never read, and a ``secretText`` (present only in an ``addPassword`` response) is fingerprinted and
dropped like every ``secret``.

Third parties: a service principal of type ``Application`` whose ``appOwnerOrganizationId`` is another
tenant than yours is a third-party app: it is marked ``external`` and a Vendor ``vendor:azure:<their
tenant>`` HOLDS it. Service principals of Microsoft's own first-party apps (owner tenants
``f8cdef31-a31e-4b4a-93e4-5f571e91255a`` and ``72f988bf-86f1-41af-91ab-2d7cd011db47``) are platform plumbing:
they are skipped, unless someone added a credential to one (then they are kept, marked external).

Your tenant id is taken from the file's name or its folder's name (any GUID in it, e.g.
``<tenant-id>.service-principals.json``); failing that, from the service principals of single-tenant apps
(``signInAudience`` ``AzureADMyOrg``), which can only live in their home tenant. When neither tells, third
parties are not identified and a warning says so.

Permissions become levels with :func:`permission_level`; app role assignments name the permission only by
``appRoleId``, resolved with the well-known Microsoft Graph application permission ids in
:data:`GRAPH_APP_ROLES` (an unknown id counts as write).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..model import ids
from ..model.records import Batch, Origin
from .base import Format, load_json, looks_like_json
from .jsonexport import GUID, ExportBatch, items, obj, opt, opt_list, req, source_name, subject_from_name

MICROSOFT_TENANTS = frozenset({"f8cdef31-a31e-4b4a-93e4-5f571e91255a", "72f988bf-86f1-41af-91ab-2d7cd011db47"})
#: Microsoft Graph application permissions (app role ids) as listed in the Microsoft Graph permissions
#: reference; the sources are cited in tests/fixtures/azure/README.md
GRAPH_APP_ROLES = {
    "19dbc75e-c2e2-444c-a770-ec69d8559fc7": "Directory.ReadWrite.All",
    "7ab1d382-f21e-4acd-a863-ba3e13f7da61": "Directory.Read.All",
    "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8": "RoleManagement.ReadWrite.Directory",
    "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9": "Application.ReadWrite.All",
    "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30": "Application.Read.All",
    "06b708a9-e830-4db3-a914-8e69da51d44f": "AppRoleAssignment.ReadWrite.All",
    "8e8e4742-1d95-4f68-9d56-6ee75648c72a": "DelegatedPermissionGrant.ReadWrite.All",
    "62a82d76-70ea-41e2-9197-370581804d09": "Group.ReadWrite.All",
    "5b567255-7703-4780-807c-7be8301ae99b": "Group.Read.All",
    "741f803b-c850-494e-b5df-cde7c675a1ca": "User.ReadWrite.All",
    "df021288-bdef-4463-88db-98f22de89214": "User.Read.All",
    "b633e1c5-b582-4048-a93e-9f11b44c7e96": "Mail.Send",
    "810c84a8-4a9e-49e6-bf7d-12d183f40d01": "Mail.Read",
    "75359482-378d-4052-8f01-80520e7db3cd": "Files.ReadWrite.All",
    "01d4889c-1287-42c6-ac1f-5d1e02578ef6": "Files.Read.All",
}
DEFAULT_ACCESS_ROLE = "00000000-0000-0000-0000-000000000000"
#: permissions that control the tenant itself: granting roles, permissions or credentials to anything
ADMIN_PERMISSIONS = frozenset({
    "Directory.ReadWrite.All", "RoleManagement.ReadWrite.Directory", "AppRoleAssignment.ReadWrite.All",
    "Application.ReadWrite.All", "DelegatedPermissionGrant.ReadWrite.All", "Directory.AccessAsUser.All",
    "full_access_as_app",
})
_RANK = {"read": 1, "write": 2, "admin": 3}


def permission_level(permission: str) -> str:
    """The level of a Microsoft Graph style permission (``Resource.Operation.Constraint``):

    - admin: :data:`ADMIN_PERMISSIONS`, any ``RoleManagement.ReadWrite.*``, any ``*.FullControl.*``;
    - write: a name containing ReadWrite, Write, Send, Manage, Create, Delete or Invite;
    - read: any other name containing Read, and the sign-in scopes ``openid``, ``profile``, ``email``,
      ``offline_access``;
    - anything else (custom permissions, unresolved ids): write.
    """
    p = permission.strip()
    if p in ADMIN_PERMISSIONS or p.startswith("RoleManagement.ReadWrite") or ".FullControl" in p:
        return "admin"
    low = p.lower()
    if any(w in low for w in ("readwrite", "write", "send", "manage", "create", "delete", "invite")):
        return "write"
    if "read" in low or low in ("openid", "profile", "email", "offline_access"):
        return "read"
    return "write"


def _max_level(levels: list[str]) -> str:
    return max(levels, key=lambda lvl: _RANK[lvl]) if levels else "write"


# -- shared records --------------------------------------------------------------------------------------


def _tenant_node(tenant: str) -> dict[str, Any]:
    return {"label": "System", "id": ids.azure_tenant(tenant), "kind": "azure_tenant",
            "name": f"Entra tenant {tenant}", "platform": "Microsoft Entra ID", "provider_id": tenant.lower()}


def _tenant_from_path(path: Path) -> str | None:
    for part in (path.name, path.parent.name):
        m = GUID.search(part)
        if m:
            return m.group(0).lower()
    return None


def _credentials(batch: ExportBatch, subject: str, subject_name: str, item: dict[str, Any], origin: Origin) -> int:
    """Client secrets and certificates of an app or service principal. Returns how many."""
    count = 0
    for field, default_kind in (("passwordCredentials", "client_secret"), ("keyCredentials", "certificate")):
        for j, cred in enumerate(opt_list(item, field)):
            c_origin = Origin(origin.path, f"{origin.record}.{field}[{j}]")
            try:
                cred = obj(cred, c_origin, "a credential")
                key_id = req(cred, "keyId", c_origin)
            except InputError as exc:
                batch.fail(exc)
                continue
            kind, usage = default_kind, opt(cred, "usage")
            if field == "keyCredentials" and (opt(cred, "type") or "").lower() == "symmetric":
                kind = "client_secret"
            label = opt(cred, "displayName") or ("client secret" if kind == "client_secret" else "certificate")
            node = {"label": "Credential", "id": ids.azure_credential(key_id), "kind": kind, "key_id": key_id.lower(),
                    "name": f"{subject_name}: {label}", "created_at": cred.get("startDateTime"),
                    "last_rotated_at": cred.get("startDateTime"), "expires_at": cred.get("endDateTime"),
                    "description": f"{opt(cred, 'type') or ''} key, usage {usage}".strip() if usage else None}
            if field == "passwordCredentials" and cred.get("secretText"):
                node["secret"] = cred["secretText"]  # fingerprinted by the model, never stored
            if batch.add_node(node, c_origin) is None:
                continue
            count += 1
            if usage != "Sign":  # a token-signing certificate does not sign in as the app
                batch.add_edge({"type": "AUTHENTICATES", "start": node["id"], "end": subject}, c_origin)
    return count


def _owners(batch: ExportBatch, subject: str, owners: list[Any], origin: Origin, field: str = "owners") -> None:
    """Owners (directoryObjects) of an app or service principal.

    A user becomes an Owner ``owner:<email>`` with the implement and revoke roles (an Entra owner manages the
    object and its credentials); a service principal that owns it can add a credential to it and sign in as
    it, so it becomes ``CAN_ASSUME`` (via ``impersonation``). Groups and devices are skipped."""
    for j, owner in enumerate(owners):
        o_origin = Origin(origin.path, f"{origin.record}.{field}[{j}]" if origin.record else f"[{j}]")
        try:
            owner = obj(owner, o_origin, "an owner")
            oid = req(owner, "id", o_origin)
        except InputError as exc:
            batch.fail(exc)
            continue
        odata = str(owner.get("@odata.type") or "")
        if odata.endswith("servicePrincipal") or "servicePrincipalType" in owner:
            sp = ids.azure_service_principal(oid)
            kind = "managed_identity" if owner.get("servicePrincipalType") == "ManagedIdentity" else "service_principal"
            batch.stub({"label": "Identity", "id": sp, "kind": kind, "name": opt(owner, "displayName") or oid},
                       o_origin)
            batch.add_edge({"type": "CAN_ASSUME", "start": sp, "end": subject, "via": "impersonation"}, o_origin)
        elif odata.endswith(".user") or "userPrincipalName" in owner:
            email = opt(owner, "mail") or opt(owner, "userPrincipalName")
            owner_id = ids.owner_for_email(email) if email else f"azure:user:{oid.lower()}"
            node = {"label": "Owner", "id": owner_id, "kind": "person", "name": opt(owner, "displayName") or email,
                    "email": email}
            if isinstance(owner.get("accountEnabled"), bool):
                node["active"] = owner["accountEnabled"]
            batch.stub(node, o_origin)
            for role in ("implement", "revoke"):
                batch.add_edge({"type": "OWNS", "start": owner_id, "end": subject, "role": role}, o_origin)


# -- service principals and apps ----------------------------------------------------------------------------


def _infer_tenant(rows: list[tuple[Origin, dict[str, Any]]]) -> tuple[str | None, str | None]:
    """The home tenant from single-tenant apps' service principals: (tenant, warning)."""
    seen = {str(r.get("appOwnerOrganizationId")).lower() for _, r in rows
            if r.get("signInAudience") == "AzureADMyOrg" and r.get("servicePrincipalType", "Application")
            == "Application" and isinstance(r.get("appOwnerOrganizationId"), str)}
    seen -= MICROSOFT_TENANTS
    if len(seen) == 1:
        return seen.pop(), None
    if seen:
        return None, f"single-tenant apps of several tenants ({', '.join(sorted(seen))})"
    return None, "no tenant id in the file or folder name and no single-tenant app to infer it from"


def parse_service_principals(path: Path, scope: str | None = None) -> list[Batch]:
    """``az ad sp list --all`` (Microsoft Graph servicePrincipal objects; ``{"value": [...]}`` also read)."""
    doc = load_json(path)
    rows: list[tuple[Origin, dict[str, Any]]] = []
    errors: list[InputError] = []
    for origin, item in items(path, doc, ("value",)):
        try:
            rows.append((origin, obj(item, origin, "a service principal")))
        except InputError as exc:
            errors.append(exc)
    tenant = _tenant_from_path(path)
    problem = None
    if tenant is None:
        tenant, problem = _infer_tenant(rows)
    batch = ExportBatch(source=source_name("azure", scope, tenant or subject_from_name(path), "service-principals"))
    for exc in errors:
        batch.fail(exc)
    if problem:
        batch.warnings.append(f"{path}: home tenant unknown ({problem}), so third-party apps are not identified; "
                              "put the tenant id in the file or folder name (`az account show --query tenantId`)")
    skipped = 0
    for origin, sp in rows:
        try:
            sp_id = req(sp, "id", origin)
        except InputError as exc:
            batch.fail(exc)
            continue
        sp_type = opt(sp, "servicePrincipalType") or "Application"
        owner_org = (opt(sp, "appOwnerOrganizationId") or "").lower() or None
        microsoft = owner_org in MICROSOFT_TENANTS
        has_creds = bool(opt_list(sp, "passwordCredentials") or opt_list(sp, "keyCredentials"))
        if microsoft and not has_creds:
            skipped += 1
            continue
        third_party = bool(tenant and owner_org and owner_org != tenant and not microsoft
                           and sp_type == "Application")
        node_id = ids.azure_service_principal(sp_id)
        name = opt(sp, "displayName") or opt(sp, "appDisplayName") or sp_id
        if sp_type == "ManagedIdentity":
            kind = "managed_identity"
            alt = [a for a in opt_list(sp, "alternativeNames")
                   if isinstance(a, str) and a.startswith("/subscriptions/")]
            description = f"managed identity {alt[0]}" if alt else "managed identity"
        else:
            kind = "service_principal"
            description = ("Microsoft first-party app (a credential was added to it)" if microsoft else
                           f"third-party app of tenant {owner_org}" if third_party else
                           f"service principal of app {opt(sp, 'appId')}" if opt(sp, "appId") else None)
        enabled = sp.get("accountEnabled")
        node = {"label": "Identity", "id": node_id, "kind": kind, "name": name, "provider_id": sp_id.lower(),
                "status": "disabled" if enabled is False else "active", "external": microsoft or third_party,
                "description": description, "created_at": sp.get("createdDateTime")}
        if batch.add_node(node, origin) is None:
            continue
        if tenant:
            batch.stub(_tenant_node(tenant), origin)
            batch.link("PART_OF", node_id, ids.azure_tenant(tenant), origin)
        app_id = opt(sp, "appId")
        if sp_type == "Application" and app_id and not third_party and not microsoft:
            app = ids.azure_app(app_id)
            batch.stub({"label": "Identity", "id": app, "kind": "app_registration",
                        "name": opt(sp, "appDisplayName") or name, "provider_id": app_id.lower()}, origin)
            batch.add_edge({"type": "CAN_ASSUME", "start": app, "end": node_id, "via": "other"}, origin)
        if third_party:
            publisher = sp.get("verifiedPublisher") if isinstance(sp.get("verifiedPublisher"), dict) else {}
            vendor = f"vendor:azure:{owner_org}"
            vname = opt(publisher, "displayName") or opt(sp, "publisherName")
            batch.stub({"label": "Vendor", "id": vendor, "kind": "vendor" if vname else "unknown_external",
                        "name": vname or f"Entra tenant {owner_org}", "external_ids": [owner_org],
                        "description": f"publisher of third-party apps registered in Entra tenant {owner_org}"},
                       origin)
            batch.add_edge({"type": "HOLDS", "start": vendor, "end": node_id}, origin)
        if sp_type != "ManagedIdentity":  # a managed identity's certificates are Azure's to rotate
            _credentials(batch, node_id, name, sp, origin)
        _owners(batch, node_id, opt_list(sp, "owners"), origin)
    if skipped:
        batch.warnings.append(f"{path}: {skipped} Microsoft first-party service principal(s) without credentials "
                              "skipped")
    return [batch]


def parse_applications(path: Path, scope: str | None = None) -> list[Batch]:
    """``az ad app list --all`` (Microsoft Graph application objects; ``{"value": [...]}`` also read)."""
    doc = load_json(path)
    tenant = _tenant_from_path(path)
    batch = ExportBatch(source=source_name("azure", scope, tenant or subject_from_name(path), "applications"))
    for origin, item in items(path, doc, ("value",)):
        try:
            app = obj(item, origin, "an application")
            app_id = req(app, "appId", origin)
        except InputError as exc:
            batch.fail(exc)
            continue
        node_id = ids.azure_app(app_id)
        name = opt(app, "displayName") or app_id
        audience = opt(app, "signInAudience")
        node = {"label": "Identity", "id": node_id, "kind": "app_registration", "name": name,
                "provider_id": app_id.lower(), "external": False, "created_at": app.get("createdDateTime"),
                "description": opt(app, "description") or (f"sign-in audience {audience}" if audience else None)}
        if batch.add_node(node, origin) is None:
            continue
        if tenant:
            batch.stub(_tenant_node(tenant), origin)
            batch.link("PART_OF", node_id, ids.azure_tenant(tenant), origin)
        _credentials(batch, node_id, name, app, origin)
        _owners(batch, node_id, opt_list(app, "owners"), origin)
    return [batch]


def parse_owners(path: Path, scope: str | None = None) -> list[Batch]:
    """``az ad app owner list --id APP_ID`` saved as ``APP_ID.owners.json``, or ``az ad sp owner list --id
    SP_OBJECT_ID`` saved as ``SP_OBJECT_ID.sp-owners.json``: the file name says whose owners they are."""
    doc = load_json(path)
    m = GUID.search(path.name)
    if not m:
        raise InputError(path, None, "cannot tell whose owners these are: name the file APP_ID.owners.json "
                         "(az ad app owner list) or SP_OBJECT_ID.sp-owners.json (az ad sp owner list)")
    guid = m.group(0).lower()
    origin = Origin(str(path), "")
    if "sp-owners" in path.name.lower():
        subject = ids.azure_service_principal(guid)
        batch = ExportBatch(source=source_name("azure", scope, guid, "sp-owners"))
        batch.stub({"label": "Identity", "id": subject, "kind": "service_principal", "name": guid}, origin)
    else:
        subject = ids.azure_app(guid)
        batch = ExportBatch(source=source_name("azure", scope, guid, "app-owners"))
        batch.stub({"label": "Identity", "id": subject, "kind": "app_registration", "name": guid,
                    "provider_id": guid}, origin)
    _owners(batch, subject, [item for _, item in items(path, doc, ("value",))], origin)
    return [batch]


# -- permissions ----------------------------------------------------------------------------------------------


def _api_stub(batch: ExportBatch, resource_id: str, name: str | None, origin: Origin, delegated: bool = False) -> str:
    node_id = ids.azure_api(resource_id) + ("/delegated" if delegated else "")
    label = name or f"API {resource_id}"
    batch.stub({"label": "Resource", "id": node_id, "kind": "api", "provider_id": resource_id.lower(),
                "name": f"{label} (delegated)" if delegated else label,
                "description": "delegated permissions: usable only on behalf of a signed-in user"
                if delegated else "application permissions"}, origin)
    return node_id


def parse_app_role_assignments(path: Path, scope: str | None = None) -> list[Batch]:
    """App role assignments (application permissions) from Microsoft Graph, via ``az rest``. Only assignments
    to service principals are read; those to users and groups are about people."""
    doc = load_json(path)
    batch = ExportBatch(source=source_name("azure", scope, "app-role-assignments",
                                           subject_from_name(path, (".app-role-assignments",))))
    edges: dict[tuple[str, str], dict[str, Any]] = {}
    for origin, item in items(path, doc, ("value",)):
        try:
            a = obj(item, origin, "an app role assignment")
            if (opt(a, "principalType") or "ServicePrincipal") != "ServicePrincipal":
                continue
            principal, resource = req(a, "principalId", origin), req(a, "resourceId", origin)
            role = req(a, "appRoleId", origin).lower()
        except InputError as exc:
            batch.fail(exc)
            continue
        sp = ids.azure_service_principal(principal)
        batch.stub({"label": "Identity", "id": sp, "kind": "service_principal",
                    "name": opt(a, "principalDisplayName") or principal}, origin)
        api = _api_stub(batch, resource, opt(a, "resourceDisplayName"), origin)
        permission = "default access" if role == DEFAULT_ACCESS_ROLE else GRAPH_APP_ROLES.get(role, f"appRole:{role}")
        level = "read" if role == DEFAULT_ACCESS_ROLE else (
            permission_level(permission) if role in GRAPH_APP_ROLES else "write")
        e = edges.setdefault((sp, api), {"levels": [], "actions": set(), "origin": origin})
        e["levels"].append(level)
        e["actions"].add(permission)
    for (sp, api), e in edges.items():
        batch.add_edge({"type": "HAS_ACCESS", "start": sp, "end": api, "level": _max_level(e["levels"]),
                        "actions": sorted(e["actions"])}, e["origin"])
    return [batch]


def parse_oauth2_grants(path: Path, scope: str | None = None) -> list[Batch]:
    """Delegated permission grants (``oauth2PermissionGrants``) from Microsoft Graph, via ``az rest``."""
    doc = load_json(path)
    batch = ExportBatch(source=source_name("azure", scope, "oauth2-grants",
                                           subject_from_name(path, (".oauth2-grants",))))
    edges: dict[tuple[str, str], dict[str, Any]] = {}
    for origin, item in items(path, doc, ("value",)):
        try:
            g = obj(item, origin, "an OAuth2 permission grant")
            client, resource = req(g, "clientId", origin), req(g, "resourceId", origin)
            scopes = (opt(g, "scope") or "").split()
        except InputError as exc:
            batch.fail(exc)
            continue
        if not scopes:
            continue
        sp = ids.azure_service_principal(client)
        batch.stub({"label": "Identity", "id": sp, "kind": "service_principal", "name": client}, origin)
        api = _api_stub(batch, resource, None, origin, delegated=True)
        e = edges.setdefault((sp, api), {"scopes": set(), "all": False, "users": set(), "origin": origin})
        e["scopes"] |= set(scopes)
        if opt(g, "consentType") == "AllPrincipals":
            e["all"] = True
        elif opt(g, "principalId"):
            e["users"].add(opt(g, "principalId"))
    for (sp, api), e in edges.items():
        consent = {"delegated": True, "consentType": "AllPrincipals" if e["all"] else "Principal"}
        if not e["all"]:
            consent["users"] = len(e["users"])
        batch.add_edge({"type": "HAS_ACCESS", "start": sp, "end": api,
                        "level": _max_level([permission_level(s) for s in e["scopes"]]),
                        "actions": sorted(e["scopes"]),
                        "condition": json.dumps(consent, sort_keys=True, separators=(",", ":"))}, e["origin"])
    return [batch]


# -- detection --------------------------------------------------------------------------------------------------


def _owners_name(path: Path) -> bool:
    """Owner lists must be named after their app or service principal (the content does not say)."""
    return "owners" in path.name.lower() and GUID.search(path.name) is not None


def _detect_service_principals(path: Path, head: bytes) -> bool:
    return (looks_like_json(head) and not _owners_name(path) and b'"servicePrincipalType"' in head
            and b'"appId"' in head)


def _detect_applications(path: Path, head: bytes) -> bool:
    return (looks_like_json(head) and not _owners_name(path) and b'"appId"' in head
            and b'"servicePrincipalType"' not in head
            and (b'"signInAudience"' in head or b'"requiredResourceAccess"' in head))


def _detect_assignments(path: Path, head: bytes) -> bool:
    return looks_like_json(head) and b'"appRoleId"' in head and b'"principalId"' in head


def _detect_grants(path: Path, head: bytes) -> bool:
    return looks_like_json(head) and b'"consentType"' in head and b'"clientId"' in head


def _detect_owners(path: Path, head: bytes) -> bool:
    return looks_like_json(head) and _owners_name(path)


SERVICE_PRINCIPALS_FORMAT = Format(
    "azure-service-principals", "Entra ID service principals and managed identities, with their credentials",
    "`az ad sp list --all > TENANT_ID.service-principals.json`", _detect_service_principals,
    parse_service_principals)
APPLICATIONS_FORMAT = Format(
    "azure-applications", "Entra ID app registrations, with their client secrets and certificates",
    "`az ad app list --all > TENANT_ID.applications.json`", _detect_applications, parse_applications)
APP_ROLE_ASSIGNMENTS_FORMAT = Format(
    "azure-app-role-assignments", "Entra ID application permissions granted to a service principal",
    "`az rest --method get --url https://graph.microsoft.com/v1.0/servicePrincipals/SP_OBJECT_ID/appRoleAssignments`",
    _detect_assignments, parse_app_role_assignments)
OAUTH2_GRANTS_FORMAT = Format(
    "azure-oauth2-grants", "Entra ID delegated permission grants",
    "`az rest --method get --url https://graph.microsoft.com/v1.0/oauth2PermissionGrants`",
    _detect_grants, parse_oauth2_grants)
OWNERS_FORMAT = Format(
    "azure-owners", "Owners of an Entra ID app registration (or service principal), named by the file",
    "`az ad app owner list --id APP_ID > APP_ID.owners.json` (or `az ad sp owner list --id SP_OBJECT_ID > "
    "SP_OBJECT_ID.sp-owners.json`)", _detect_owners, parse_owners)

FORMATS = (SERVICE_PRINCIPALS_FORMAT, APPLICATIONS_FORMAT, APP_ROLE_ASSIGNMENTS_FORMAT, OAUTH2_GRANTS_FORMAT,
           OWNERS_FORMAT)
