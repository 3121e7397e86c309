"""HashiCorp Vault, named ``CLUSTER__<vault path with / as __>`` as ``tests/fixtures/vault/README.md`` says::

    vault/<c>__auth-list.json                        vault auth list -format=json
    vault/<c>__auth__approle__role__<name>.json      vault read -format=json auth/approle/role/<name>
    vault/<c>__auth__<k8s cluster>__role__<name>.json  vault read -format=json auth/<k8s cluster>/role/<name>
    vault/<c>__auth__jwt__role__<name>.json          vault read -format=json auth/jwt/role/<name>
    vault/<c>__policy__<name>.hcl                    vault policy read <name>   (or .json: -format=json)
    vault/<c>__kv__secret__<path>.json               vault kv metadata get -format=json -mount=secret <path>

AppRoles for CI and batch jobs, Kubernetes auth roles (one mount per cluster, named after it) binding service
accounts, JWT roles for GitHub Actions, team policies with globs, and KV metadata, some naming the AWS access
key kept there (``custom_metadata.key_id``): the second-order reach of whoever can read the path.
"""

from __future__ import annotations

import json
from typing import Any

from .common import WORDS, Ctx, Rng, z
from .plan import VaultCluster, cluster_accounts, repo

SECRET_NAMES = ("db", "api-key", "token", "smtp", "stripe", "signing-key", "webhook", "password")


def _envelope(rng: Rng, data: dict[str, Any]) -> dict[str, Any]:
    return {"request_id": rng.guid(), "lease_id": "", "lease_duration": 0, "renewable": False, "data": data,
            "warnings": None}


def _token_fields(policies: list[str], ttl: int) -> dict[str, Any]:
    return {"token_bound_cidrs": [], "token_explicit_max_ttl": 0, "token_max_ttl": 0,
            "token_no_default_policy": False, "token_num_uses": 0, "token_period": 0,
            "token_policies": policies, "token_ttl": ttl, "token_type": "default"}


def _hcl(rules: list[tuple[str, list[str]]], comment: str) -> str:
    out = [f"# {comment}"]
    for path, caps in rules:
        out += [f'path "{path}" {{', "  capabilities = [" + ", ".join(f'"{c}"' for c in caps) + "]", "}", ""]
    return "\n".join(out)


def _cluster(ctx: Ctx, v: VaultCluster) -> None:
    rng = ctx.rng("vault", v.index)
    plan, owners, planted, cat = ctx.plan, ctx.owners, ctx.planted, ctx.catalog
    c = v.name

    mounts = {"approle/": ("approle", ""), "jwt/": ("jwt", "GitHub Actions OIDC"),
              "token/": ("token", "token based credentials")}
    for k in v.k8s_clusters:
        mounts[f"{plan.clusters[k].name}/"] = ("kubernetes", f"Kubernetes cluster {plan.clusters[k].name}")
    ctx.write_json({m: {"accessor": f"auth_{t}_{rng.hex(8)}", "config": {"default_lease_ttl": 0,
                                                                        "force_no_cache": False, "max_lease_ttl": 0,
                                                                        "token_type": "default-service"},
                        "description": d, "external_entropy_access": False, "local": False, "options": None,
                        "plugin_version": "", "running_plugin_version": f"v1.15.2+builtin.{t}",
                        "running_sha256": "", "seal_wrap": False, "type": t, "uuid": rng.guid()}
                    for m, (t, d) in sorted(mounts.items())}, "vault", f"{c}__auth-list.json")

    # KV paths, grouped by team (the first segment), some naming the AWS key they keep
    teams = sorted({WORDS[(v.index * 11 + i * 3) % len(WORDS)] for i in range(max(2, v.n_kv // 8))} - {"auth"})
    keys = [k for i, k in enumerate(cat.vault_keys) if i % len(plan.vaults) == v.index]
    stored_paths: list[tuple[str, str]] = []
    if v.index == 0 and 0 in cat.org_ci_key:
        org = plan.orgs[0].name
        _kv(ctx, rng, c, f"ci/{org}/aws", cat.org_ci_key[0], "prod")
        stored_paths.append((f"ci/{org}/aws", cat.org_ci_key[0]))
        keys = [k for k in keys if k != cat.org_ci_key[0]]
    n_kv = max(v.n_kv, len(keys))
    for i in range(n_kv):
        team = teams[i % len(teams)]
        path = f"{team}/{WORDS[rng.randrange(len(WORDS))]}/{SECRET_NAMES[rng.randrange(len(SECRET_NAMES))]}-{i}"
        key = keys[i] if i < len(keys) else None
        if key:
            path = f"{team}/{WORDS[rng.randrange(len(WORDS))]}/aws-{i}"
            stored_paths.append((path, key))
        _kv(ctx, rng, c, path, key, rng.choice(("production", "staging", "dev")))

    # policies: a read policy per team, write policies for some, CI and an operator policy
    policies: list[str] = []
    for team in teams:
        name = f"{team}-read"
        _policy(ctx, rng, c, name, [(f"secret/data/{team}/*", ["read", "list"]),
                                    (f"secret/metadata/{team}/*", ["list"])], f"read {team} secrets")
        policies.append(name)
        if rng.chance(0.3):
            name = f"{team}-write"
            _policy(ctx, rng, c, name, [(f"secret/data/{team}/*", ["create", "read", "update", "delete"]),
                                        (f"secret/data/{team}/break-glass", ["deny"])], f"manage {team} secrets")
            policies.append(name)
    _policy(ctx, rng, c, "ci-read", [("secret/data/ci/*", ["read"]), ("secret/metadata/ci/*", ["list"])],
            "CI reads its cloud keys")
    _policy(ctx, rng, c, "vault-operator", [("sys/*", ["create", "read", "update", "delete", "list", "sudo"]),
                                            ("secret/*", ["create", "read", "update", "delete", "list"])],
            "break-glass operators")
    for name in policies + ["ci-read", "vault-operator"]:
        owners.assign(f"vault:{c}:policy/{name}", rng, "Security", mode="team")
    ctx.count("vault", len(policies) + 2)

    # AppRoles
    for i in range(v.n_approles):
        name = "ci-deployer" if i == 0 else f"{WORDS[rng.randrange(len(WORDS))]}-batch-{i}"
        pols = ["ci-read"] if i == 0 else sorted(set(rng.pick(policies, rng.choice((1, 1, 2)))))
        if i and rng.chance(0.02):
            pols.append("vault-operator")
        ttl = 0 if rng.chance(0.7) else rng.choice((3600, 86400, 2592000))
        data = {"bind_secret_id": True, "local_secret_ids": False,
                "secret_id_bound_cidrs": None if rng.chance(0.8) else ["10.0.0.0/8"],
                "secret_id_num_uses": 0, "secret_id_ttl": ttl, **_token_fields(pols, 3600)}
        ctx.write_json(_envelope(rng, data), "vault", f"{c}__auth__approle__role__{name}.json")
        rid = f"vault:{c}:auth/approle/role/{name}"
        owners.assign(rid, rng, "Platform" if i == 0 else None, mode="team" if i == 0 else None)
        cat.exception_subjects.add((f"{rid}/secret-id", "credential"))
        if i == 0 and stored_paths and v.index == 0:
            path, key = stored_paths[0]
            planted.extra["vault_second_order"] = {
                "credential": f"{rid}/secret-id", "reaches_credential": f"aws:key:{key}",
                "via_store": f"vault:{c}:kv/secret/{path}"}
    ctx.count("vault", v.n_approles)

    # Kubernetes auth roles, one mount per cluster
    for i in range(v.n_k8s_roles):
        cl = plan.clusters[v.k8s_clusters[i % len(v.k8s_clusters)]]
        sas = [sa for sa in cluster_accounts(ctx, cl) if sa.namespace != "kube-system" and sa.name != "default"]
        if not sas:
            continue
        sa = sas[rng.randrange(len(sas))]
        names = sorted({sa.name} | ({sas[rng.randrange(len(sas))].name} if rng.chance(0.3) else set()))
        name = f"{sa.namespace}-{i}"
        data = {"alias_name_source": "serviceaccount_uid", "audience": "vault",
                "bound_service_account_names": names, "bound_service_account_namespaces": [sa.namespace],
                **_token_fields(sorted(set(rng.pick(policies, 1))), 3600)}
        ctx.write_json(_envelope(rng, data), "vault", f"{c}__auth__{cl.name}__role__{name}.json")
        owners.assign(f"vault:{c}:auth/{cl.name}/role/{name}", rng, cl.bu)
        ctx.count("vault")

    # JWT roles for GitHub Actions
    for i in range(v.n_jwt_roles):
        rp = repo(ctx, rng.randrange(plan.n_repos))
        name = f"gha-{rp.name}-{i}"
        data = {"allowed_redirect_uris": [], "bound_audiences": [f"https://github.com/{rp.org}"],
                "bound_claims": {"repository": f"{rp.org}/{rp.name}", "ref": "refs/heads/main"},
                "bound_claims_type": "string", "bound_subject": "", "claim_mappings": None, "clock_skew_leeway": 0,
                "expiration_leeway": 0, "groups_claim": "", "max_age": 0, "not_before_leeway": 0,
                "oidc_scopes": None, "role_type": "jwt", "user_claim": "actor", "user_claim_json_pointer": False,
                "verbose_oidc_logging": False, **_token_fields(sorted(set(rng.pick(policies, 1))), 900)}
        ctx.write_json(_envelope(rng, data), "vault", f"{c}__auth__jwt__role__{name}.json")
        owners.assign(f"vault:{c}:auth/jwt/role/{name}", rng, rp.bu)
        ctx.count("vault")


def _kv(ctx: Ctx, rng: Rng, c: str, path: str, key: str | None, env: str) -> None:
    age = rng.uniform(10, 1500)
    created = ctx.when(age)
    n = rng.choice((1, 1, 2, 3, 5))
    ages = [age] + sorted((rng.uniform(0, age) for _ in range(n - 1)), reverse=True)
    versions = {str(j): {"created_time": z(ctx.when(a)), "deletion_time": "", "destroyed": False}
                for j, a in enumerate(ages, 1)}
    if rng.chance(0.05):
        versions[str(n)]["deletion_time"] = z(ctx.when(rng.uniform(0, 5)))
    meta: dict[str, Any] = {"environment": env, "owner": path.split("/")[0]}
    if key:
        meta["key_id"] = key
    data = {"cas_required": False, "created_time": z(created), "current_version": n, "custom_metadata": meta,
            "delete_version_after": "0s", "max_versions": 0, "oldest_version": 0,
            "updated_time": versions[str(n)]["created_time"], "versions": versions}
    ctx.write_json(_envelope(rng, data), "vault", f"{c}__kv__secret__{path.replace('/', '__')}.json")


def _policy(ctx: Ctx, rng: Rng, c: str, name: str, rules: list[tuple[str, list[str]]], comment: str) -> None:
    text = _hcl(rules, comment)
    if rng.chance(0.5):
        ctx.write_text(text, "vault", f"{c}__policy__{name}.hcl")
    else:
        ctx.write_text(json.dumps({"policy": text}, indent=2) + "\n", "vault", f"{c}__policy__{name}.json")


def write(ctx: Ctx) -> None:
    for v in ctx.plan.vaults:
        _cluster(ctx, v)
