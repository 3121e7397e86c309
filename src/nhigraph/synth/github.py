"""GitHub, as ``tests/fixtures/github/README.md`` names the files::

    github/api/<org>__actions-secrets.json                 gh api --paginate /orgs/ORG/actions/secrets
    github/api/<org>__actions-variables.json               gh api --paginate /orgs/ORG/actions/variables
    github/api/<org>__<repo>__actions-secrets.json         gh api --paginate /repos/ORG/REPO/actions/secrets
    github/api/<org>__<repo>__actions-variables.json       gh api --paginate /repos/ORG/REPO/actions/variables
    github/workflows/<org>__<repo>__<file>.yml             copies of .github/workflows/<file>

(workflow copies are flat, ``ORG__REPO__FILE.yml``, because ``nhigraph ingest`` skips hidden ``.github``
folders inside a folder it is given). Repositories deploy to AWS with OIDC (``role-to-assume`` a
``gha-deploy-<repo>`` role), or with static keys: the org's shared CI key (``vars.AWS_ACCESS_KEY_ID`` at org
level, the secret half in an org secret) or the repository's own; some authenticate to GCP with workload
identity federation; CI jobs read org secrets such as ``NPM_TOKEN``.
"""

from __future__ import annotations

import json
from typing import Any

from .common import Ctx, Rng, z
from .plan import Org, Repo, gcp_sa_email, repo

ORG_SECRETS = ("AWS_SECRET_ACCESS_KEY", "NPM_TOKEN", "SLACK_WEBHOOK", "SONAR_TOKEN", "DOCKERHUB_TOKEN",
               "SNYK_TOKEN", "PYPI_TOKEN", "SENTRY_AUTH_TOKEN")
REPO_SECRETS = ("CODECOV_TOKEN", "DB_PASSWORD", "SENTRY_DSN", "STRIPE_TEST_KEY", "MAPS_API_KEY")
PAGE = 30


def _pages(kind: str, items: list[dict[str, Any]]) -> str:
    """What ``gh api --paginate`` writes: one JSON document per page of 30, back to back."""
    pages = [items[i:i + PAGE] for i in range(0, len(items), PAGE)] or [[]]
    return "".join(json.dumps({"total_count": len(items), kind: page}) for page in pages) + "\n"


def _item(ctx: Ctx, rng: Rng, name: str, **extra: Any) -> dict[str, Any]:
    created = ctx.when(rng.uniform(30, 1500))
    updated = ctx.when(rng.uniform(0, (ctx.as_of - created).days))
    return {"name": name, **extra, "created_at": z(created), "updated_at": z(max(created, updated))}


def _steps_aws(rp: Repo, ctx: Ctx, oidc: bool, region: str) -> list[dict[str, Any]]:
    if oidc:
        arn = f"arn:aws:iam::{ctx.plan.accounts[rp.account].id}:role/gha-deploy-{rp.name}"
        creds = {"role-to-assume": arn, "aws-region": region}
    else:
        creds = {"aws-access-key-id": "${{ vars.AWS_ACCESS_KEY_ID }}",
                 "aws-secret-access-key": "${{ secrets.AWS_SECRET_ACCESS_KEY }}", "aws-region": region}
    return [{"uses": "actions/checkout@v4"},
            {"name": "Configure AWS credentials", "uses": "aws-actions/configure-aws-credentials@v4", "with": creds}]


def _workflow(ctx: Ctx, rng: Rng, rp: Repo, file: str, repo_secrets: list[str]) -> dict[str, Any]:
    region = ctx.plan.accounts[rp.account].region
    if file == "ci.yml":
        env = {"NPM_TOKEN": "${{ secrets.NPM_TOKEN }}"} if rng.chance(0.5) else {}
        if "CODECOV_TOKEN" in repo_secrets:
            env["CODECOV_TOKEN"] = "${{ secrets.CODECOV_TOKEN }}"
        test: dict[str, Any] = {"runs-on": "ubuntu-latest", "steps": [
            {"uses": "actions/checkout@v4"}, {"uses": "actions/setup-node@v4", "with": {"node-version": 20}},
            {"run": "npm ci && npm test"}]}
        if env:
            test["env"] = env
        return {"name": "ci", "on": {"push": {"branches": ["main"]}, "pull_request": None}, "jobs": {"test": test}}
    if file == "deploy.yml":
        env_name = "production" if rng.chance(0.8) else "staging"
        steps = _steps_aws(rp, ctx, rp.oidc, region) + [{"run": "./scripts/deploy.sh"}]
        if rng.chance(0.4):
            steps.append({"name": "Notify", "run": "curl -X POST \"$SLACK_WEBHOOK\" -d '{\"text\":\"deployed\"}'",
                          "env": {"SLACK_WEBHOOK": "${{ secrets.SLACK_WEBHOOK }}"}})
        doc: dict[str, Any] = {"name": "deploy", "on": {"push": {"branches": ["main"]}, "workflow_dispatch": None},
                               "jobs": {"deploy": {"runs-on": "ubuntu-latest", "environment": env_name,
                                                   "steps": steps}}}
        if rp.oidc:
            doc["permissions"] = {"id-token": "write", "contents": "read"}
        return doc
    if file == "integration.yml":
        return {"name": "integration tests", "on": {"pull_request": None},
                "jobs": {"integration": {"runs-on": "ubuntu-latest", "environment": "staging",
                                         "steps": _steps_aws(rp, ctx, False, region) + [{"run": "make it"}]}}}
    # nightly.yml
    steps: list[dict[str, Any]] = [{"uses": "actions/checkout@v4"}]
    if rp.gcp_project is not None:
        proj = ctx.plan.projects[rp.gcp_project]
        sa = gcp_sa_email(ctx.plan, proj.index, rng.randrange(proj.n_sas))
        steps.append({"uses": "google-github-actions/auth@v2", "with": {
            "workload_identity_provider": f"projects/{proj.number}/locations/global/workloadIdentityPools/github/"
                                          "providers/github", "service_account": sa}})
        steps.append({"run": "bq query --use_legacy_sql=false < reports/nightly.sql"})
    else:
        steps.append({"run": "./scripts/nightly.sh", "env": {"SLACK_WEBHOOK": "${{ secrets.SLACK_WEBHOOK }}"}})
    return {"name": "nightly", "on": {"schedule": [{"cron": f"{rng.randrange(60)} {rng.randrange(24)} * * *"}]},
            "jobs": {"nightly": {"runs-on": "ubuntu-latest", "steps": steps}}}


def _yaml(doc: dict[str, Any]) -> str:
    import yaml

    text = yaml.safe_dump(doc, sort_keys=False, default_flow_style=False, width=120)
    return text.replace("'on':", "on:").replace(": null\n", ":\n")


def _org(ctx: Ctx, org: Org) -> None:
    rng = ctx.rng("github", org.index)
    cat, planted = ctx.catalog, ctx.planted
    secrets = [_item(ctx, rng, n, visibility=rng.choice(("all", "private"))) for n in ORG_SECRETS]
    ctx.write_text(_pages("secrets", secrets), "github", "api", f"{org.name}__actions-secrets.json")
    variables = [_item(ctx, rng, "AWS_REGION", value="eu-west-1"),
                 _item(ctx, rng, "DOCKER_REGISTRY", value=f"ghcr.io/{org.name}")]
    if org.index in cat.org_ci_key:
        variables.insert(0, _item(ctx, rng, "AWS_ACCESS_KEY_ID", value=cat.org_ci_key[org.index]))
    ctx.write_text(_pages("variables", variables), "github", "api", f"{org.name}__actions-variables.json")
    shared_users: list[str] = []
    for g in range(org.first_repo, org.first_repo + org.n_repos):
        rp = repo(ctx, g)
        rrng = ctx.rng("github-repo", g)
        repo_secrets = sorted(set(rrng.pick(REPO_SECRETS, rrng.choice((0, 0, 1, 2)))))
        if rp.key_mode == "own":
            repo_secrets = sorted(set(repo_secrets) | {"AWS_SECRET_ACCESS_KEY"})
            ctx.write_text(_pages("variables", [_item(ctx, rrng, "AWS_ACCESS_KEY_ID", value=cat.repo_ci_key[g])]),
                           "github", "api", f"{org.name}__{rp.name}__actions-variables.json")
        if repo_secrets:
            ctx.write_text(_pages("secrets", [_item(ctx, rrng, n) for n in repo_secrets]),
                           "github", "api", f"{org.name}__{rp.name}__actions-secrets.json")
        users = []
        for file in rp.workflows:
            doc = _workflow(ctx, rrng, rp, file, repo_secrets)
            ctx.write_text(_yaml(doc), "github", "workflows", f"{org.name}__{rp.name}__{file}")
            wid = f"github:{org.name}/{rp.name}:workflow/{file}"
            uses_key = (file == "deploy.yml" and not rp.oidc and rp.key_mode != "none") or file == "integration.yml"
            if uses_key:
                users.append(wid)
            if file == "deploy.yml" and rp.oidc:
                ctx.connectors.append((f"{wid}/connector", "github", "aws", None))
            if file == "nightly.yml" and rp.gcp_project is not None:
                ctx.connectors.append((f"{wid}/connector", "github", "gcp", None))
        if rp.key_mode == "org":
            shared_users += users
        elif rp.key_mode == "own" and len(users) > 1:
            planted.add("shared_ci_credentials", {"credential": f"aws:key:{cat.repo_ci_key[g]}",
                                                  "users": sorted(users)})
    if org.index in cat.org_ci_key and shared_users:
        item = {"credential": f"aws:key:{cat.org_ci_key[org.index]}", "users": sorted(shared_users)}
        if len(shared_users) > 1:
            planted.add("shared_ci_credentials", item)


def write(ctx: Ctx) -> None:
    for org in ctx.plan.orgs:
        _org(ctx, org)
