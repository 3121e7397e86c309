"""The demo estate: a small, realistic company ("Acme") written as real inventory export files.

Every debt the product measures is planted here at least once, with a known answer (see
``PLANTED``), so the demo shows each category and tests can assert exact results:

- a CI access key that is old, leaked, shared by a prod and a dev pipeline, copied into a CI variable
  and a committed ``.env`` file, and whose user can assume a deploy role that reaches an admin role
  through a cycle of ops roles (``ops-a`` <-> ``ops-b``), where ``ops-b`` is owned only by a person who
  left (a departed owner in the middle of the path);
- a backup user owned only by a person who left, reading customer data with a never-used key;
- two Salesforce -> Snowflake connectors built by Sales and Finance (duplicate connectors);
- a support AI agent calling Salesforce with its own token and no broker;
- a Vault AppRole that reads a KV path storing a prod payments key (second-order blast radius);
- Datadog trusted to assume an audit role without an external id;
- policy exceptions that expired or never expire.
"""

from __future__ import annotations

import csv
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

P111 = "aws:111111111111"
D222 = "aws:222222222222"

PLANTED = {
    "duplicate_connector_group": ("salesforce", "snowflake"),
    "leaked_credential": "aws:key:AKIAACMECIDEPLOY0001",
    "departed_owner_identity": f"{P111}:user/legacy-backup",
    "second_order_credential": "aws:key:AKIAACMEPAYMENTS0001",
    "vendor_trust_role": f"{P111}:role/datadog-audit",
}


def _d(as_of: datetime, days_ago: int | None) -> str:
    if days_ago is None:
        return ""
    return (as_of - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def tables(as_of: datetime) -> dict[str, list[dict[str, Any]]]:
    """The estate as inventory tables (rows are dicts keyed by the inventory columns)."""
    d = lambda n: _d(as_of, n)  # noqa: E731
    t: dict[str, list[dict[str, Any]]] = {}
    t["systems"] = [
        dict(id=P111, kind="aws_account", name="acme-prod", environment="prod", platform="AWS",
             business_unit="Platform", provider_id="111111111111"),
        dict(id=D222, kind="aws_account", name="acme-dev", environment="dev", platform="AWS",
             business_unit="Platform", provider_id="222222222222"),
        dict(id="github:acme", kind="github_org", name="acme (GitHub)", environment="shared", platform="GitHub"),
        dict(id="saas:salesforce", kind="saas", name="Salesforce", environment="prod", platform="Salesforce",
             business_unit="Sales"),
        dict(id="saas:snowflake-data", kind="saas", name="Snowflake (Data)", environment="prod",
             platform="Snowflake", business_unit="Data"),
        dict(id="saas:snowflake-finance", kind="saas", name="Snowflake (Finance)", environment="prod",
             platform="Snowflake", business_unit="Finance"),
        dict(id="slack:acme", kind="slack_workspace", name="acme Slack", environment="prod", platform="Slack"),
        dict(id="vault:acme", kind="vault_cluster", name="Vault", environment="prod", platform="Vault"),
        dict(id="aws:464622532012", kind="aws_account", name="Datadog integration account", external="true",
             platform="AWS", provider_id="464622532012"),
    ]
    t["owners"] = [
        dict(id="team:platform", kind="team", name="Platform team", active="true", business_unit="Platform"),
        dict(id="team:data", kind="team", name="Data team", active="true", business_unit="Data"),
        dict(id="team:sales-ops", kind="team", name="Sales Ops", active="true", business_unit="Sales"),
        dict(id="team:finance-eng", kind="team", name="Finance Engineering", active="true",
             business_unit="Finance"),
        dict(id="team:security", kind="team", name="Security", active="true", business_unit="Security"),
        dict(id="person:alice", kind="person", name="Alice Ng", active="true", email="alice@acme.example",
             member_of="team:platform"),
        dict(id="person:bob", kind="person", name="Bob Ortiz", active="false", email="bob@acme.example",
             member_of="team:data", departed_at=d(120)),
        dict(id="person:carol", kind="person", name="Carol Diaz", active="true", email="carol@acme.example",
             member_of="team:security"),
        dict(id="person:dave", kind="person", name="Dave Kim", active="false", email="dave@acme.example",
             member_of="team:finance-eng", departed_at=d(40)),
    ]
    ident = lambda sys, name, kind, env, **kw: dict(  # noqa: E731
        id=f"{sys}:{name}", kind=kind, name=name, system=sys, environment=env, **kw)
    t["identities"] = [
        ident(P111, "user/ci-deployer", "iam_user", "prod", approver="team:platform",
              implementer="person:alice", revoker="team:security", created_at=d(700), last_used_at=d(1)),
        ident(P111, "role/deployer", "iam_role", "prod", approver="team:platform", implementer="team:platform",
              monitor="team:security", revoker="team:platform"),
        ident(P111, "role/ops-a", "iam_role", "prod", implementer="team:platform"),
        ident(P111, "role/ops-b", "iam_role", "prod", implementer="person:dave"),
        ident(P111, "role/admin", "iam_role", "prod", approver="team:security", implementer="team:platform",
              monitor="team:security", revoker="team:security"),
        ident(P111, "user/legacy-backup", "iam_user", "prod", implementer="person:bob", created_at=d(900)),
        ident(P111, "user/payments-svc", "iam_user", "prod", approver="team:finance-eng",
              implementer="person:dave", monitor="team:security", revoker="team:finance-eng"),
        ident(P111, "role/datadog-audit", "iam_role", "prod", approver="team:security",
              implementer="team:platform", monitor="team:security", revoker="team:security"),
        ident(D222, "user/dev-ci", "iam_user", "dev", implementer="team:platform", revoker="team:platform"),
        ident("github:acme", "app/release-bot", "github_app", "shared", approver="team:platform",
              implementer="team:platform", monitor="team:security", revoker="team:platform"),
        ident("saas:salesforce", "user/integration-sync", "service_account", "prod",
              approver="team:sales-ops", implementer="team:data", monitor="team:finance-eng",
              revoker="team:security"),
        ident("saas:snowflake-data", "user/svc_loader", "service_account", "prod", implementer="person:bob",
              approver="team:data"),
        ident("slack:acme", "bot/deploy-notifier", "bot", "prod", implementer="team:platform"),
        ident("saas:salesforce", "agent/support-copilot", "ai_agent", "prod", implementer="team:sales-ops",
              human_used="true"),
        ident("vault:acme", "approle/payments", "service_account", "prod", approver="team:finance-eng",
              implementer="team:finance-eng", monitor="team:security", revoker="team:finance-eng"),
    ]
    cred = lambda cid, kind, name, identity, **kw: dict(  # noqa: E731
        id=cid, kind=kind, name=name, identity=identity, **kw)
    t["credentials"] = [
        cred("aws:key:AKIAACMECIDEPLOY0001", "access_key", "ci-deployer key", f"{P111}:user/ci-deployer",
             key_id="AKIAACMECIDEPLOY0001", status="active", created_at=d(420), last_used_at=d(1),
             environment="prod", leaked="true", leaked_at=d(3), leak_location="github:acme/api .env (commit 9f1c2e7)"),
        cred("aws:key:AKIAACMELEGACYBKP001", "access_key", "legacy backup key", f"{P111}:user/legacy-backup",
             key_id="AKIAACMELEGACYBKP001", status="active", created_at=d(500), environment="prod"),
        cred("aws:key:AKIAACMEPAYMENTS0001", "access_key", "payments service key", f"{P111}:user/payments-svc",
             key_id="AKIAACMEPAYMENTS0001", status="active", created_at=d(30), last_used_at=d(0),
             environment="prod"),
        cred("aws:key:AKIAACMEDEVCI0000001", "access_key", "dev-ci key 1", f"{D222}:user/dev-ci",
             key_id="AKIAACMEDEVCI0000001", status="active", created_at=d(20), last_used_at=d(2), environment="dev"),
        cred("aws:key:AKIAACMEDEVCI0000002", "access_key", "dev-ci key 2", f"{D222}:user/dev-ci",
             key_id="AKIAACMEDEVCI0000002", status="active", created_at=d(10), last_used_at=d(5), environment="dev"),
        cred("github:acme:app/release-bot/key-1", "app_private_key", "release-bot private key",
             "github:acme:app/release-bot", status="active", created_at=d(30), last_used_at=d(0)),
        cred("saas:salesforce:token/sync-sales", "api_token", "Salesforce sync token (Sales)",
             "saas:salesforce:user/integration-sync", status="active", created_at=d(200), last_used_at=d(1)),
        cred("saas:salesforce:token/sync-finance", "api_token", "Salesforce sync token (Finance)",
             "saas:salesforce:user/integration-sync", status="active", created_at=d(60), last_used_at=d(1)),
        cred("saas:snowflake-data:password/svc_loader", "password", "svc_loader password",
             "saas:snowflake-data:user/svc_loader", status="active", created_at=d(365), last_used_at=d(1),
             stored_in="vault:acme:kv/data/snowflake"),
        cred("slack:acme:token/deploy-notifier", "api_token", "xoxb bot token",
             "slack:acme:bot/deploy-notifier", status="active", created_at=d(45), last_used_at=d(0)),
        cred("saas:salesforce:token/support-copilot", "api_token", "copilot Salesforce token",
             "saas:salesforce:agent/support-copilot", status="active", created_at=d(15), last_used_at=d(0),
             held_by="vendor:llm-hosting"),
        cred("vault:acme:approle/payments/secret-id", "client_secret", "payments AppRole secret-id",
             "vault:acme:approle/payments", status="active", created_at=d(10), last_used_at=d(0)),
    ]
    res = lambda sys, name, kind, env, **kw: dict(id=f"{sys}:{name}", kind=kind, name=name, system=sys,  # noqa: E731
                                                  environment=env, **kw)
    t["resources"] = [
        res(P111, "s3/acme-customer-data", "bucket", "prod", sensitivity="restricted"),
        res(P111, "s3/acme-logs", "bucket", "prod", sensitivity="internal"),
        res(P111, "rds/payments-db", "database", "prod", sensitivity="restricted"),
        res(P111, "lambda/api", "function", "prod"),
        res(D222, "s3/dev-scratch", "bucket", "dev"),
        res("github:acme", "repo/api", "repo", "shared"),
        res("github:acme", "repo/infra", "repo", "shared"),
        res("saas:salesforce", "tenant/acme", "saas_tenant", "prod", sensitivity="confidential"),
        res("saas:snowflake-data", "db/analytics", "database", "prod", sensitivity="confidential"),
        res("saas:snowflake-finance", "db/finance", "database", "prod", sensitivity="restricted"),
        res("slack:acme", "channel/deploys", "topic", "prod"),
    ]
    t["secret_stores"] = [
        dict(id="github:acme:repo/api/actions-secret/AWS_ACCESS_KEY_ID", kind="ci_variable",
             name="AWS_ACCESS_KEY_ID (acme/api)", system="github:acme", environment="prod",
             stores="aws:key:AKIAACMECIDEPLOY0001"),
        dict(id="github:acme:repo/api/file/.env", kind="env_file", name=".env in acme/api", system="github:acme",
             environment="dev", stores="aws:key:AKIAACMECIDEPLOY0001"),
        dict(id="vault:acme:kv/data/payments", kind="vault_path", name="kv/data/payments", system="vault:acme",
             environment="prod", stores="aws:key:AKIAACMEPAYMENTS0001"),
        dict(id="vault:acme:kv/data/snowflake", kind="vault_path", name="kv/data/snowflake",
             system="vault:acme", environment="prod"),
    ]
    grant = lambda i, tgt, level, actions="": dict(identity=i, target=tgt, level=level, actions=actions)  # noqa: E731
    t["grants"] = [
        grant(f"{P111}:user/ci-deployer", f"{P111}:s3/acme-logs", "write", "s3:PutObject"),
        grant(f"{P111}:role/deployer", f"{P111}:lambda/api", "write", "lambda:UpdateFunctionCode"),
        grant(f"{P111}:role/deployer", f"{P111}:s3/acme-customer-data", "read", "s3:GetObject"),
        grant(f"{P111}:role/admin", P111, "admin", "*"),
        grant(f"{P111}:user/legacy-backup", f"{P111}:s3/acme-customer-data", "read", "s3:GetObject;s3:ListBucket"),
        grant(f"{P111}:user/payments-svc", f"{P111}:rds/payments-db", "write", "rds-data:ExecuteStatement"),
        grant(f"{P111}:role/datadog-audit", f"{P111}:s3/acme-logs", "read", "s3:GetObject"),
        grant(f"{D222}:user/dev-ci", f"{D222}:s3/dev-scratch", "write", "s3:*"),
        grant("github:acme:app/release-bot", "github:acme:repo/api", "write", "contents:write"),
        grant("github:acme:app/release-bot", "github:acme:repo/infra", "read", "contents:read"),
        grant("saas:salesforce:user/integration-sync", "saas:salesforce:tenant/acme", "read", "api"),
        grant("saas:snowflake-data:user/svc_loader", "saas:snowflake-data:db/analytics", "write", "INSERT"),
        grant("saas:snowflake-data:user/svc_loader", "saas:snowflake-finance:db/finance", "write", "INSERT"),
        grant("slack:acme:bot/deploy-notifier", "slack:acme:channel/deploys", "write", "chat:write"),
        grant("saas:salesforce:agent/support-copilot", "saas:salesforce:tenant/acme", "write", "api;refresh_token"),
        grant("vault:acme:approle/payments", "vault:acme:kv/data/payments", "read", "read;list"),
    ]
    t["trusts"] = [
        {"from": f"{P111}:user/ci-deployer", "to": f"{P111}:role/deployer", "via": "trust"},
        {"from": f"{P111}:role/deployer", "to": f"{P111}:role/ops-a", "via": "trust"},
        {"from": f"{P111}:role/ops-a", "to": f"{P111}:role/ops-b", "via": "trust"},
        {"from": f"{P111}:role/ops-b", "to": f"{P111}:role/ops-a", "via": "trust"},
        {"from": f"{P111}:role/ops-b", "to": f"{P111}:role/admin", "via": "trust"},
        {"from": "aws:464622532012", "to": f"{P111}:role/datadog-audit", "via": "trust",
         "external_id_required": "false"},
    ]
    t["vendors"] = [
        dict(id="vendor:datadog", kind="saas_provider", name="Datadog", risk_tier="medium",
             external_ids="464622532012", holds=f"{P111}:role/datadog-audit"),
        dict(id="vendor:llm-hosting", kind="saas_provider", name="LLM hosting provider", risk_tier="high"),
    ]
    wf = lambda wid, kind, name, env, **kw: dict(id=wid, kind=kind, name=name, environment=env, **kw)  # noqa: E731
    t["workflows"] = [
        wf("github:acme:repo/api/workflow/deploy.yml", "ci_pipeline", "api deploy", "prod", repo="acme/api",
           system="github:acme", credentials="aws:key:AKIAACMECIDEPLOY0001", implementer="team:platform",
           business_unit="Platform", triggers="push"),
        wf("github:acme:repo/api/workflow/integration-test.yml", "ci_pipeline", "api integration tests", "dev",
           repo="acme/api", system="github:acme", credentials="aws:key:AKIAACMECIDEPLOY0001",
           implementer="team:platform", business_unit="Platform", triggers="pull_request"),
        wf("github:acme:repo/infra/workflow/release.yml", "ci_pipeline", "release", "prod", repo="acme/infra",
           system="github:acme", credentials="github:acme:app/release-bot/key-1", approver="team:platform",
           monitor="team:security", has_rollback="true", has_telemetry="true", requires_approval="true",
           business_unit="Platform"),
        wf("ops:nightly-backup", "scheduled_job", "nightly backup", "prod",
           credentials="aws:key:AKIAACMELEGACYBKP001", implementer="person:bob", business_unit="Data"),
        wf("ops:payments-reconcile", "scheduled_job", "payments reconciliation", "prod",
           credentials="vault:acme:approle/payments/secret-id", approver="team:finance-eng",
           monitor="team:security", has_rollback="true", has_telemetry="true", business_unit="Finance"),
        wf("agents:support-copilot", "ai_agent", "support copilot", "prod",
           credentials="saas:salesforce:token/support-copilot", implementer="team:sales-ops",
           business_unit="Sales"),
    ]
    con = lambda cid, name, frm, to, creds, bu, **kw: dict(  # noqa: E731
        id=cid, kind=kw.pop("kind", "sync"), name=name, from_system=frm, to_system=to, credentials=creds,
        business_unit=bu, **kw)
    t["connectors"] = [
        con("connector:sfdc-snowflake-sales", "Salesforce -> Snowflake nightly (Sales)", "saas:salesforce",
            "saas:snowflake-data", "saas:salesforce:token/sync-sales", "Sales", implementer="team:sales-ops",
            schedule="nightly"),
        con("connector:sfdc-snowflake-finance", "Salesforce -> Snowflake revenue sync (Finance)",
            "saas:salesforce", "saas:snowflake-finance", "saas:salesforce:token/sync-finance", "Finance",
            implementer="person:dave", schedule="hourly"),
        con("connector:snowflake-loader", "Snowflake loader", "vault:acme", "saas:snowflake-data",
            "saas:snowflake-data:password/svc_loader", "Data", kind="etl", approver="team:data",
            implementer="team:data", monitor="team:data", revoker="team:data"),
        con("connector:support-copilot-sfdc", "Support copilot -> Salesforce tool", "slack:acme",
            "saas:salesforce", "saas:salesforce:token/support-copilot", "Sales", kind="agent_tool",
            implementer="team:sales-ops"),
    ]
    t["exceptions"] = [
        dict(id="exception:EXC-2025-014", kind="waiver", name="CI key rotation waiver",
             reason="legacy deploy tool cannot use OIDC", approver="person:carol", rule="NHIG-SEC-001",
             created_at=d(300), expires_at=d(45), subject="aws:key:AKIAACMECIDEPLOY0001"),
        dict(id="exception:EXC-2024-002", kind="risk_acceptance", name="backup user admin review skipped",
             reason="vendor backup appliance", approver="person:bob", created_at=d(600),
             subject=f"{P111}:user/legacy-backup"),
        dict(id="exception:EXC-2026-031", kind="waiver", name="dev-ci second key during migration",
             reason="key rollover", approver="person:alice", rule="NHIG-SEC-003", created_at=d(10),
             expires_at=d(-60), subject=f"{D222}:user/dev-ci"),
    ]
    return t


def write_inventory(out: Path, as_of: datetime | None = None) -> list[Path]:
    """Write the demo estate as inventory CSV files into ``out``; return the files written."""
    as_of = as_of or datetime.now(timezone.utc)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, rows in tables(as_of).items():
        columns = list(dict.fromkeys(k for row in rows for k in row))
        path = out / f"{name}.csv"
        with open(path, "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=columns)
            w.writeheader()
            for row in rows:
                w.writerow(row)
        written.append(path)
    return written
