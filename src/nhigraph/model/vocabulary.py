"""The nhigraph vocabulary: every node label and edge type, declared once.

Add a label, a sub-kind or a property here and the workspace columns, validation, Neo4j constraints and
MERGE statements, the inventory format and the README model table all follow.
"""

from __future__ import annotations

from .schema import EdgeKind, Model, NodeKind, Prop

LEVELS = ("read", "write", "admin")
RACI_ROLES = ("approve", "implement", "monitor", "revoke")
ENVIRONMENTS = ("prod", "staging", "dev", "test", "shared", "unknown")

_env = Prop("environment", "str", "prod, staging, dev, test, shared or unknown", choices=ENVIRONMENTS)
_bu = Prop("business_unit", "str", "business unit that built or runs it")
_status = Prop("status", "str", "active, inactive, disabled, revoked, expired or deleted",
               choices=("active", "inactive", "disabled", "revoked", "expired", "deleted"))
_created = Prop("created_at", "datetime", "creation time (UTC)")
_last_used = Prop("last_used_at", "datetime", "last recorded use (UTC)")
_desc = Prop("description", "str", "free text")
_provider_id = Prop("provider_id", "str", "the provider's own identifier (ARN, object id, client id, ...)")
_external = Prop("external", "bool", "lives outside the organisation (third party)")

IDENTITY = NodeKind(
    "Identity",
    "A non-human identity: something that authenticates and acts without a person at the keyboard.",
    kinds=("service_account", "iam_user", "iam_role", "app_registration", "service_principal",
           "managed_identity", "k8s_service_account", "github_app", "oauth_app", "bot", "ai_agent",
           "federated_principal", "workload", "human_user", "other"),
    props=(_env, _bu, _status, _created, _last_used, _desc, _provider_id, _external,
           Prop("human_used", "bool", "a person is known to use this identity interactively (NHI10)"),
           Prop("rules", "list", "of a policy-like identity (a Vault ACL policy): its path rules, one "
                "`<path pattern> <capability,...>` each; matching secret stores get HAS_ACCESS edges")),
    indexed=("provider_id", "kind"),
)

CREDENTIAL = NodeKind(
    "Credential",
    "A secret or key material an identity authenticates with. Its value is never stored: only the "
    "provider's key id and a SHA-256 fingerprint.",
    kinds=("access_key", "api_token", "client_secret", "certificate", "ssh_key", "pat", "oauth_grant",
           "deploy_key", "webhook_secret", "password", "service_account_key", "k8s_token",
           "app_private_key", "connection_string", "other"),
    props=(
        Prop("key_id", "str", "the provider's key id (e.g. an AWS access key id, an Azure keyId)"),
        Prop("fingerprint", "str", "SHA-256 hex of the secret value, or the provider's fingerprint"),
        Prop("secret", "str", "input only: a raw value is fingerprinted and dropped, never stored",
             secret=True),
        _status, _created, _last_used, _env, _bu, _desc,
        Prop("last_rotated_at", "datetime", "last rotation (UTC); creation time if never rotated"),
        Prop("expires_at", "datetime", "expiry (UTC); empty means it never expires"),
        Prop("scopes", "list", "scopes or permissions granted to the token"),
        Prop("usage_tracked", "bool", "false when the export never reports last use (unknown, not unused)"),
        Prop("leaked", "bool", "found by a secret scanner or reported leaked"),
        Prop("leaked_at", "datetime", "when the leak was found (UTC)"),
        Prop("leak_location", "str", "where it leaked (repo, file, commit)"),
    ),
    indexed=("key_id", "fingerprint"),
)

OWNER = NodeKind(
    "Owner",
    "A team or person accountable for something. `active` false means departed or disbanded.",
    kinds=("team", "person"),
    props=(
        Prop("active", "bool", "still employed / team still exists"),
        Prop("email", "str", "contact address"),
        Prop("team", "str", "team id of a person"),
        _bu,
        Prop("escalation_contact", "str", "who to call when this owner is unreachable"),
        Prop("departed_at", "datetime", "when the person left (UTC)"),
    ),
)

RESOURCE = NodeKind(
    "Resource",
    "Something an identity can reach: a bucket, database, repository, cluster, secret path, tenant, ...",
    kinds=("bucket", "database", "repo", "cluster", "namespace", "secret_path", "saas_tenant", "queue",
           "topic", "function", "vm", "storage_account", "key_vault", "dataset", "api", "project",
           "account_wildcard", "other"),
    props=(_env, _bu, _provider_id, _desc,
           Prop("sensitivity", "str", "public, internal, confidential or restricted",
                choices=("public", "internal", "confidential", "restricted"))),
    indexed=("provider_id",),
)

SYSTEM = NodeKind(
    "System",
    "An account, tenant, project, cluster or platform that holds identities and resources.",
    kinds=("aws_account", "gcp_project", "azure_tenant", "azure_subscription", "k8s_cluster",
           "github_org", "okta_org", "slack_workspace", "vault_cluster", "saas", "database_platform",
           "on_prem", "oidc_provider", "other"),
    props=(_env, _bu, _provider_id, _external, _desc,
           Prop("platform", "str", "product name, e.g. Salesforce, Snowflake; used to find duplicate connectors")),
    indexed=("platform",),
)

CONNECTOR = NodeKind(
    "Connector",
    "An integration moving data or actions between two systems (sync job, webhook, iPaaS flow, agent tool).",
    kinds=("sync", "etl", "webhook", "api_integration", "sso", "scim", "ipaas", "agent_tool", "other"),
    props=(_bu, _env, _desc, _status,
           Prop("broker", "str", "the broker or gateway it goes through, if any (empty: point-to-point)"),
           Prop("schedule", "str", "when it runs")),
)

WORKFLOW = NodeKind(
    "Workflow",
    "Automation that acts: a CI/CD pipeline, scheduled job, bot or AI agent.",
    kinds=("ci_pipeline", "scheduled_job", "bot", "ai_agent", "script", "other"),
    props=(_bu, _env, _desc, _status,
           Prop("repo", "str", "repository that defines it"),
           Prop("triggers", "list", "events that start it"),
           Prop("has_rollback", "bool", "a rollback procedure is recorded"),
           Prop("has_telemetry", "bool", "its actions are logged and monitored"),
           Prop("requires_approval", "bool", "a human approval gate precedes its writes")),
)

VENDOR = NodeKind(
    "Vendor",
    "A third party that holds credentials or is trusted by identities.",
    kinds=("vendor", "saas_provider", "contractor", "msp", "unknown_external"),
    props=(_desc, Prop("risk_tier", "str", "low, medium, high", choices=("low", "medium", "high")),
           Prop("external_ids", "list", "account or tenant ids the vendor operates from")),
)

SECRET_STORE = NodeKind(
    "SecretStore",
    "A place a credential is kept: vault path, CI variable, .env file, repository file, k8s secret, ...",
    kinds=("vault_path", "ci_variable", "env_file", "repo_file", "k8s_secret", "secrets_manager",
           "key_vault", "password_manager", "config_file", "other"),
    props=(_env, _bu, _desc, Prop("location", "str", "path, repository or URL of the store"),
           Prop("keys", "list", "names of the entries it holds (never their values)")),
)

POLICY_EXCEPTION = NodeKind(
    "PolicyException",
    "A waiver of a policy for a subject, with an approver and an expiry.",
    kinds=("waiver", "risk_acceptance"),
    props=(Prop("reason", "str", "why the exception was granted"),
           Prop("approver", "str", "who approved it"),
           Prop("rule", "str", "the rule or policy it waives"),
           _created,
           Prop("expires_at", "datetime", "expiry (UTC); empty means it never expires")),
)

_ALL = ("Identity", "Credential", "Owner", "Resource", "System", "Connector", "Workflow", "Vendor",
        "SecretStore", "PolicyException")
_ANY_BUT_OWNER = tuple(label for label in _ALL if label not in ("Owner", "PolicyException"))

EDGES = (
    EdgeKind("AUTHENTICATES", "the credential authenticates as the identity",
             start=("Credential",), end=("Identity",)),
    EdgeKind("CAN_ASSUME", "may assume, impersonate or federate into the target identity",
             start=("Identity", "Workflow", "System", "Vendor"), end=("Identity",),
             props=(Prop("via", "str", "trust, passrole, impersonation, oidc, workload_identity or membership",
                         choices=("trust", "passrole", "impersonation", "oidc", "workload_identity",
                                  "membership", "other")),
                    Prop("condition", "str", "conditions on the trust, as JSON"),
                    Prop("external_id_required", "bool", "an sts:ExternalId-style check is enforced"))),
    EdgeKind("HAS_ACCESS", "the identity can act on the resource, secret store or system",
             start=("Identity",), end=("Resource", "SecretStore", "System"),
             props=(Prop("level", "str", "read, write or admin", required=True, choices=LEVELS),
                    Prop("actions", "list", "actions or scopes granted"),
                    Prop("condition", "str", "conditions, as JSON"),
                    Prop("human_only", "bool", "only usable with MFA, i.e. by a person"))),
    EdgeKind("PART_OF", "lives in the system",
             start=("Resource", "Identity", "SecretStore", "Workflow", "System"), end=("System",)),
    EdgeKind("STORES", "keeps a copy of the credential", start=("SecretStore", "Resource"),
             end=("Credential",)),
    EdgeKind("USES", "reads and uses the credential", start=("Workflow", "Connector"),
             end=("Credential",),
             props=(Prop("jobs", "list", "the CI jobs (or steps) that read it"),)),
    EdgeKind("CONNECTS_FROM", "the connector reads from the system", start=("Connector",), end=("System",)),
    EdgeKind("CONNECTS_TO", "the connector writes to the system", start=("Connector",), end=("System",)),
    EdgeKind("HOLDS", "the third party holds the credential or controls the identity", start=("Vendor",),
             end=("Credential", "Identity")),
    EdgeKind("OWNS", "the owner holds a RACI role for the subject", start=("Owner",), end=_ANY_BUT_OWNER,
             props=(Prop("role", "str", "approve, implement, monitor or revoke", required=True,
                         choices=RACI_ROLES),),
             key=("role",)),
    EdgeKind("MEMBER_OF", "the person belongs to the team", start=("Owner",), end=("Owner",)),
    EdgeKind("WAIVES", "the exception waives a policy for the subject", start=("PolicyException",),
             end=_ANY_BUT_OWNER),
)

MODEL = Model(
    nodes=(IDENTITY, CREDENTIAL, OWNER, RESOURCE, SYSTEM, CONNECTOR, WORKFLOW, VENDOR, SECRET_STORE,
           POLICY_EXCEPTION),
    edges=EDGES,
)
