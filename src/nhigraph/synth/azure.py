"""Microsoft Entra ID, named by tenant as ``tests/fixtures/azure/README.md`` names the files::

    azure/<tenant>.applications.json                          az ad app list --all
    azure/<tenant>.service-principals.json                    az ad sp list --all
    azure/owners/<appId>.owners.json                          az ad app owner list --id <appId>
    azure/app-role-assignments/<sp>.app-role-assignments.json az rest ... /servicePrincipals/<sp>/appRoleAssignments

App registrations with client secrets (some expired) and certificates, their service principals, managed
identities, third-party multi-tenant apps from vendors' tenants, Microsoft Graph application permissions, and
owners (people by e-mail, some of whom left).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from .common import WORDS, Ctx, JsonList, Rng, z
from .plan import Tenant

MICROSOFT_TENANT = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
GRAPH_ROLES = (("df021288-bdef-4463-88db-98f22de89214", 30),  # User.Read.All
               ("5b567255-7703-4780-807c-7be8301ae99b", 18),  # Group.Read.All
               ("b633e1c5-b582-4048-a93e-9f11b44c7e96", 12),  # Mail.Send
               ("75359482-378d-4052-8f01-80520e7db3cd", 8),   # Files.ReadWrite.All
               ("7ab1d382-f21e-4acd-a863-ba3e13f7da61", 10),  # Directory.Read.All
               ("1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9", 2),   # Application.ReadWrite.All
               ("19dbc75e-c2e2-444c-a770-ec69d8559fc7", 1))   # Directory.ReadWrite.All
VENDOR_APPS = ("Zoom", "Miro", "DocuSign", "Adobe Sign", "Smartsheet", "Box", "Dropbox", "Calendly", "Loom",
               "Lucidchart", "Figma", "Notion", "Asana", "Trello", "Monday.com", "Airtable", "Gong", "Outreach",
               "Greenhouse", "Lever", "BambooHR", "Expensify", "Coupa", "Tableau", "Looker", "Mural", "Webex",
               "RingCentral", "Aircall", "Intercom")


def app_id(ctx: Ctx, t: int, i: int) -> str:
    """The application (client) id of app ``i`` of tenant ``t``: also what AKS workload identity names."""
    return ctx.rng("azure-app", t, i).guid()


def _secrets(ctx: Ctx, rng: Rng, name: str, age: float) -> list[dict[str, Any]]:
    out = []
    for k in range(rng.choices((0, 1, 2, 3), (15, 55, 22, 8))[0]):
        start = ctx.when(min(rng.uniform(5, 1500), age))
        end = start + timedelta(days=rng.choice((90, 180, 365, 730, 730)))
        out.append({"customKeyIdentifier": None, "displayName": rng.choice(("prod", "ci", "sync", None, "rotation")),
                    "endDateTime": z(end), "hint": rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") + rng.hex(2),
                    "keyId": rng.guid(), "secretText": None, "startDateTime": z(start)})
    return out


def _certs(ctx: Ctx, rng: Rng, name: str, age: float) -> list[dict[str, Any]]:
    if not rng.chance(0.2):
        return []
    start = ctx.when(min(rng.uniform(5, 900), age))
    return [{"customKeyIdentifier": rng.hex(40).upper(), "displayName": f"CN={name}",
             "endDateTime": z(start + timedelta(days=365)), "key": None, "keyId": rng.guid(),
             "startDateTime": z(start), "type": "AsymmetricX509Cert", "usage": "Verify"}]


def _sp(sp_id: str, app: str, name: str, owner_org: str, created: str, sp_type: str = "Application",
        **extra: Any) -> dict[str, Any]:
    return {"accountEnabled": True, "alternativeNames": [], "appDisplayName": name, "appId": app,
            "appOwnerOrganizationId": owner_org, "appRoleAssignmentRequired": False, "appRoles": [],
            "createdDateTime": created, "deletedDateTime": None, "description": None, "displayName": name,
            "homepage": None, "id": sp_id, "keyCredentials": [], "notes": None, "passwordCredentials": [],
            "preferredSingleSignOnMode": None, "replyUrls": [], "servicePrincipalNames": [app],
            "servicePrincipalType": sp_type, "signInAudience": "AzureADMyOrg", "tags": [],
            "verifiedPublisher": {"addedDateTime": None, "displayName": None, "verifiedPublisherId": None},
            **extra}


def _tenant(ctx: Ctx, ten: Tenant) -> None:
    rng = ctx.rng("azure", ten.index)
    owners, planted, cat = ctx.owners, ctx.planted, ctx.catalog
    t = ten.id
    apps_fh = open(ctx.path("azure", f"{t}.applications.json"), "w", encoding="utf-8")
    sps_fh = open(ctx.path("azure", f"{t}.service-principals.json"), "w", encoding="utf-8")
    apps, sps = JsonList(apps_fh, indent=2), JsonList(sps_fh, indent=2)
    sps.add(_sp(ten.graph_sp, GRAPH_APP_ID, "Microsoft Graph", MICROSOFT_TENANT, "2019-01-01T00:00:00Z",
                signInAudience="AzureADMultipleOrgs"))
    sp_ids: list[str] = []
    for i in range(ten.n_apps):
        arng = ctx.rng("azure-app", ten.index, i)
        appid = arng.guid()
        obj, sp_id = arng.guid(), arng.guid()
        word = WORDS[rng.randrange(len(WORDS))]
        name = f"{word}-{rng.choice(('sync', 'api', 'scim', 'automation', 'reporting', 'etl', 'bot'))}-{i}"
        age = rng.uniform(10, 2500)
        created = z(ctx.when(age))
        secrets, certs = _secrets(ctx, rng, name, age), _certs(ctx, rng, name, age)
        apps.add({"addIns": [], "api": {"acceptMappedClaims": None, "knownClientApplications": [],
                                        "oauth2PermissionScopes": [], "preAuthorizedApplications": [],
                                        "requestedAccessTokenVersion": None},
                  "appId": appid, "appRoles": [], "createdDateTime": created, "deletedDateTime": None,
                  "description": None, "displayName": name, "id": obj, "identifierUris": [],
                  "keyCredentials": certs, "notes": None, "passwordCredentials": secrets,
                  "publisherDomain": "corp.example",
                  "requiredResourceAccess": [{"resourceAccess": [{"id": GRAPH_ROLES[0][0], "type": "Role"}],
                                              "resourceAppId": GRAPH_APP_ID}],
                  "signInAudience": "AzureADMyOrg", "tags": [],
                  "web": {"homePageUrl": None, "logoutUrl": None, "redirectUris": []}})
        sps.add(_sp(sp_id, appid, name, t, created))
        sp_ids.append(sp_id)
        app_node, sp_node = f"azure:app:{appid}", f"azure:sp:{sp_id}"
        bu = ctx.plan.accounts[rng.randrange(len(ctx.plan.accounts))].bu
        d = owners.decide(rng, bu)
        entra: list[str] = []
        rows = []
        for owner, role in d.roles:
            if owner.startswith("owner:") and role == "implement":
                entra.append(owner)
            else:
                rows.append((owner, role))
        if d.mode == "team" and rng.chance(0.5):
            entra.append(owners.active[rng.randrange(len(owners.active))].id)
        owners.write(app_node, rows)
        owners.write(sp_node, d.roles)
        owners.record(app_node, d)
        owners.record(sp_node, d)
        if entra:
            ctx.write_json({"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#directoryObjects",
                            "value": [_user(arng, owners.person[o]) for o in entra]},
                           "azure", "owners", f"{appid}.owners.json")
        reaches = _assignments(ctx, rng, ten, sp_id, name, sp_ids)
        for c in secrets + certs:
            cred = f"azure:cred:{c['keyId']}"
            if reaches and d.mode in ("none", "departed"):
                planted.add("unowned_credentials", cred)
            if name.split("-")[1] in ("sync", "scim", "etl") and c in secrets:
                cat.integration_creds.add((cred, f"azure:{t}", bu))
            cat.exception_subjects.add((cred, "credential"))
        ctx.count("azure", 2)
    for i in range(ten.n_managed):
        sp_id = rng.guid()
        name = f"id-{WORDS[rng.randrange(len(WORDS))]}-{i}"
        sub, rg = rng.guid(), f"rg-{WORDS[rng.randrange(len(WORDS))]}"
        sps.add(_sp(sp_id, rng.guid(), name, t, z(ctx.when(rng.uniform(10, 900))), "ManagedIdentity",
                    alternativeNames=["isExplicit=True", f"/subscriptions/{sub}/resourcegroups/{rg}/providers/"
                                                         f"Microsoft.ManagedIdentity/userAssignedIdentities/{name}"]))
        owners.assign(f"azure:sp:{sp_id}", rng)
        _assignments(ctx, rng, ten, sp_id, name, sp_ids)
        ctx.count("azure")
    for i in range(min(ten.n_third_party, len(VENDOR_APPS))):
        vendor = VENDOR_APPS[i % len(VENDOR_APPS)]
        sp_id = rng.guid()
        vendor_tenant = ctx.rng("azure-vendor", vendor).guid()
        sps.add(_sp(sp_id, ctx.rng("azure-vendor-app", vendor).guid(), vendor, vendor_tenant,
                    z(ctx.when(rng.uniform(30, 1500))), signInAudience="AzureADMultipleOrgs",
                    verifiedPublisher={"addedDateTime": "2021-03-01T00:00:00Z", "displayName": f"{vendor} Inc.",
                                       "verifiedPublisherId": rng.digits(7)}))
        _assignments(ctx, rng, ten, sp_id, vendor, [], force=True)
        planted.add("azure_third_party_apps", {"service_principal": f"azure:sp:{sp_id}",
                                               "vendor": f"vendor:azure:{vendor_tenant}"})
        ctx.count("azure")
    apps.close()
    sps.close()
    apps_fh.close()
    sps_fh.close()


def _user(rng: Rng, p) -> dict[str, Any]:
    first, last = p.name.split(" ", 1)
    return {"@odata.type": "#microsoft.graph.user", "businessPhones": [], "displayName": p.name,
            "givenName": first, "id": rng.guid(), "jobTitle": None, "mail": p.email, "mobilePhone": None,
            "officeLocation": None, "preferredLanguage": None, "surname": last, "userPrincipalName": p.email}


def _assignments(ctx: Ctx, rng: Rng, ten: Tenant, sp_id: str, name: str, apis: list[str],
                 force: bool = False) -> bool:
    """Application permissions of a service principal (half of them have some); True when written."""
    if not force and not rng.chance(0.5):
        return False
    value = []
    roles = rng.choices([r for r, _ in GRAPH_ROLES], [w for _, w in GRAPH_ROLES], k=rng.choice((1, 1, 2, 3)))
    targets = [(r, ten.graph_sp, "Microsoft Graph") for r in sorted(set(roles))]
    if apis and rng.chance(0.1):
        targets.append((rng.guid(), apis[rng.randrange(len(apis))], "internal API"))
    for role, resource, rname in targets:
        value.append({"appRoleId": role, "createdDateTime": z(ctx.when(rng.uniform(1, 900))),
                      "deletedDateTime": None, "id": rng.hex(43), "principalDisplayName": name,
                      "principalId": sp_id, "principalType": "ServicePrincipal", "resourceDisplayName": rname,
                      "resourceId": resource})
    ctx.write_json({"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals"
                                      f"('{sp_id}')/appRoleAssignments", "value": value},
                   "azure", "app-role-assignments", f"{sp_id}.app-role-assignments.json")
    return True


def write(ctx: Ctx) -> None:
    for ten in ctx.plan.tenants:
        _tenant(ctx, ten)
