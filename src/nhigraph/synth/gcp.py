"""Google Cloud, one folder per project as ``tests/fixtures/gcp/README.md`` names the files::

    gcp/<project>/service-accounts.json        gcloud iam service-accounts list --project=P --format=json
    gcp/<project>/keys/<SA_EMAIL>.json         gcloud iam service-accounts keys list --iam-account=SA --format=json
    gcp/<project>/<project>.json               gcloud projects get-iam-policy P --format=json
    gcp/<project>/sa-policies/<SA_EMAIL>.json  gcloud iam service-accounts get-iam-policy SA --format=json
    gcp/<project>/<project>__iam-search.json   gcloud asset search-all-iam-policies --scope=projects/P --format=json

Service accounts with a long tail of user-managed keys that never expire (and the system-managed key every
account has, which nhigraph skips), project roles, resource-level roles on buckets, datasets, topics and
secrets, impersonation (``roles/iam.serviceAccountTokenCreator``) between accounts, GKE workload identity
bindings, and a central CI account that is editor of many projects.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from .common import WORDS, Ctx, JsonList, z
from .plan import Project, cluster_accounts, gcp_sa_email

PROJECT_ROLES = (("roles/storage.objectViewer", 18), ("roles/storage.objectAdmin", 6),
                 ("roles/bigquery.dataViewer", 12), ("roles/bigquery.dataEditor", 8),
                 ("roles/pubsub.publisher", 10), ("roles/pubsub.subscriber", 8), ("roles/cloudsql.client", 8),
                 ("roles/secretmanager.secretAccessor", 8), ("roles/run.invoker", 6),
                 ("roles/logging.logWriter", 10), ("roles/monitoring.metricWriter", 8), ("roles/editor", 4),
                 ("roles/owner", 1), ("roles/iam.serviceAccountTokenCreator", 1))
RESOURCE_KINDS = (("storage.googleapis.com/Bucket", ("roles/storage.objectViewer", "roles/storage.objectAdmin")),
                  ("bigquery.googleapis.com/Dataset", ("roles/bigquery.dataViewer", "roles/bigquery.dataEditor")),
                  ("secretmanager.googleapis.com/Secret", ("roles/secretmanager.secretAccessor",)),
                  ("pubsub.googleapis.com/Topic", ("roles/pubsub.publisher", "roles/pubsub.viewer")))
NO_EXPIRY = "9999-12-31T23:59:59Z"


def _bindings(grants: dict[tuple[str, str], list[str]]) -> list[dict[str, Any]]:
    """``{(role, condition json): members}`` as IAM bindings, in a stable order."""
    out = []
    for (role, cond), members in sorted(grants.items()):
        b: dict[str, Any] = {"members": sorted(set(members)), "role": role}
        if cond:
            b["condition"] = {"expression": cond, "title": "time-bound access",
                              "description": "granted for a migration"}
        out.append(b)
    return out


def _project(ctx: Ctx, proj: Project, org_id: str, folder: str) -> None:
    rng = ctx.rng("gcp", proj.index)
    plan, owners = ctx.plan, ctx.owners
    base = ("gcp", proj.id)
    emails = [gcp_sa_email(plan, proj.index, i) for i in range(proj.n_sas)]
    compute = f"{proj.number}-compute@developer.gserviceaccount.com"
    project_grants: dict[tuple[str, str], list[str]] = {
        ("roles/editor", ""): [f"serviceAccount:{compute}"],
        ("roles/owner", ""): [f"group:gcp-admins@{proj.id}.example"],
        ("roles/viewer", ""): [f"group:{proj.bu.lower()}-engineers@corp.example"]}
    if proj.index and rng.chance(0.3):
        project_grants.setdefault(("roles/editor", ""), []).append(
            f"serviceAccount:{gcp_sa_email(plan, 0, 0)}")  # the central CI account of the first project
    bound: set[str] = set()

    with open(ctx.path(*base, "service-accounts.json"), "w", encoding="utf-8") as fh:
        out = JsonList(fh, indent=2, sort_keys=True)
        out.add({"displayName": "Compute Engine default service account", "email": compute,
                 "etag": "BwV" + rng.hex(9),
                 "name": f"projects/{proj.id}/serviceAccounts/{compute}", "oauth2ClientId": rng.digits(21),
                 "projectId": proj.id, "uniqueId": rng.digits(21)})
        for i, email in enumerate(emails):
            uid = "1" + rng.digits(20)
            sa: dict[str, Any] = {"displayName": email.split("@")[0].replace("-", " "), "email": email,
                                  "etag": "MDEwMjE5MjA=", "name": f"projects/{proj.id}/serviceAccounts/{email}",
                                  "oauth2ClientId": uid, "projectId": proj.id, "uniqueId": uid}
            if rng.chance(0.5):
                sa["description"] = f"{WORDS[rng.randrange(len(WORDS))]} workload ({proj.bu})"
            disabled = rng.chance(0.05)
            if disabled:
                sa["disabled"] = True
            out.add(sa)
            sid = f"gcp:sa:{email}"
            d = owners.assign(sid, rng, proj.bu)
            granted = rng.chance(0.8)
            if granted:
                for _ in range(rng.choice((1, 1, 2))):
                    role = rng.choices([r for r, _ in PROJECT_ROLES], [w for _, w in PROJECT_ROLES])[0]
                    cond = "request.time < timestamp('2027-01-01T00:00:00Z')" if rng.chance(0.03) else ""
                    project_grants.setdefault((role, cond), []).append(f"serviceAccount:{email}")
                bound.add(email)
            _keys(ctx, rng, proj, email, d.mode, granted and not disabled)
            ctx.catalog.exception_subjects.add((sid, "identity"))
        out.close()
    ctx.count("gcp", proj.n_sas + 1)

    policy = {"bindings": _bindings(project_grants), "etag": "BwW" + rng.hex(9), "version": 1}
    ctx.write_json(policy, *base, f"{proj.id}.json", sort_keys=True)

    # impersonation between service accounts, and GKE workload identity
    wi: dict[int, list[str]] = {}
    for c in plan.clusters:
        if c.kind == "gke" and c.home == proj.index:
            for sa in cluster_accounts(ctx, c):
                if sa.gsa is not None:
                    member = f"serviceAccount:{proj.id}.svc.id.goog[{sa.namespace}/{sa.name}]"
                    wi.setdefault(sa.gsa, []).append(member)
    for i, email in enumerate(emails):
        grants: dict[tuple[str, str], list[str]] = {}
        if rng.chance(0.08):
            other = rng.randrange(len(plan.projects))
            j = rng.randrange(plan.projects[other].n_sas)
            caller = gcp_sa_email(plan, other, j)
            if caller != email:
                grants[("roles/iam.serviceAccountTokenCreator", "")] = [f"serviceAccount:{caller}"]
        if i in wi:
            grants[("roles/iam.workloadIdentityUser", "")] = wi[i]
        if grants:
            ctx.write_json({"bindings": _bindings(grants), "etag": "BwX" + rng.hex(9), "version": 1},
                           *base, "sa-policies", f"{email}.json", sort_keys=True)

    # resource-level policies, with the project's own (which names the project by id and by number)
    with open(ctx.path(*base, f"{proj.id}__iam-search.json"), "w", encoding="utf-8") as fh:
        out = JsonList(fh, indent=2, sort_keys=True)
        out.add({"assetType": "cloudresourcemanager.googleapis.com/Project", "folders": [folder],
                 "organization": org_id, "policy": {"bindings": _bindings(project_grants)},
                 "project": f"projects/{proj.number}",
                 "resource": f"//cloudresourcemanager.googleapis.com/projects/{proj.id}"})
        for k in range(max(2, proj.n_sas // 2)):
            word = WORDS[rng.randrange(len(WORDS))]
            asset, roles = RESOURCE_KINDS[rng.randrange(len(RESOURCE_KINDS))]
            name = {"storage.googleapis.com/Bucket": f"//storage.googleapis.com/{proj.id}-{word}-{k}",
                    "bigquery.googleapis.com/Dataset": f"//bigquery.googleapis.com/projects/{proj.id}/datasets/"
                                                       f"{word}_{k}",
                    "secretmanager.googleapis.com/Secret": f"//secretmanager.googleapis.com/projects/{proj.number}"
                                                           f"/secrets/{word}-{k}",
                    "pubsub.googleapis.com/Topic": f"//pubsub.googleapis.com/projects/{proj.id}/topics/"
                                                   f"{word}-{k}"}[asset]
            grants = {}
            for _ in range(rng.choice((1, 1, 2, 3))):
                grants.setdefault((roles[rng.randrange(len(roles))], ""), []).append(
                    f"serviceAccount:{emails[rng.randrange(len(emails))]}")
            if asset == "storage.googleapis.com/Bucket":
                grants[("roles/storage.legacyBucketOwner", "")] = [f"projectOwner:{proj.id}",
                                                                    f"projectEditor:{proj.id}"]
            out.add({"assetType": asset, "folders": [folder], "organization": org_id,
                     "policy": {"bindings": _bindings(grants)}, "project": f"projects/{proj.number}",
                     "resource": name})
        out.close()


def _keys(ctx: Ctx, rng, proj: Project, email: str, mode: str, reaches: bool) -> None:
    planted, cat = ctx.planted, ctx.catalog
    n = 0
    if rng.chance(0.35):
        n = rng.choices((1, 2, 3, 4, 7, 10), (50, 22, 12, 8, 5, 3))[0]
    keys = []
    for _ in range(n):
        kid = rng.hex(40)
        created = ctx.when(rng.uniform(3, 1800))
        key: dict[str, Any] = {"keyAlgorithm": "KEY_ALG_RSA_2048", "keyOrigin": "GOOGLE_PROVIDED",
                               "keyType": "USER_MANAGED",
                               "name": f"projects/{proj.id}/serviceAccounts/{email}/keys/{kid}",
                               "validAfterTime": z(created),
                               "validBeforeTime": NO_EXPIRY if rng.chance(0.85) else z(created + timedelta(days=365))}
        active = True
        if rng.chance(0.01) or not planted.counts.get("gcp_exposed_keys_disabled"):
            key.update({"disabled": True, "disableReason": "SERVICE_ACCOUNT_KEY_DISABLE_REASON_EXPOSED",
                        "extendedStatus": [{"key": "SERVICE_ACCOUNT_KEY_EXTENDED_STATUS_KEY_EXPOSED",
                                            "value": f"exposed at: https://github.com/corp/{email.split('@')[0]}"}]})
            active = False
            planted.add("gcp_exposed_keys_disabled", f"gcp:key:{kid}")
        elif rng.chance(0.08):
            key["disabled"] = True
            active = False
        keys.append(key)
        cred = f"gcp:key:{kid}"
        if reaches and mode in ("none", "departed"):
            planted.add("unowned_credentials", cred)
        if active and email.split("-")[0] in ("etl", "sync", "export", "ingest", "warehouse", "lake"):
            cat.integration_creds.add((cred, f"gcp:{proj.id}", proj.bu))
    # every account also has a Google-managed key, listed and skipped by nhigraph
    sys_created = ctx.when(rng.uniform(0, 14))
    keys.append({"keyAlgorithm": "KEY_ALG_RSA_2048", "keyOrigin": "GOOGLE_PROVIDED", "keyType": "SYSTEM_MANAGED",
                 "name": f"projects/{proj.id}/serviceAccounts/{email}/keys/{rng.hex(40)}",
                 "validAfterTime": z(sys_created), "validBeforeTime": z(sys_created + timedelta(days=16))})
    if n:
        ctx.write_json(keys, "gcp", proj.id, "keys", f"{email}.json", sort_keys=True)


def write(ctx: Ctx) -> None:
    rng = ctx.rng("gcp-org")
    org_id = f"organizations/{rng.digits(12)}"
    folders = [f"folders/{rng.digits(12)}" for _ in range(4)]
    for proj in ctx.plan.projects:
        _project(ctx, proj, org_id, folders[proj.index % len(folders)])
