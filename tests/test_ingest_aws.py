"""AWS ingesters: real `get-account-authorization-details` samples, a hand-built account whose assumption paths
and reach are known (tests/fixtures/aws/README.md), the credential report and key listings ending as the
right nodes, and bad input."""

from __future__ import annotations

import base64
import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner

from nhigraph.analysis.debt import DebtAnalysis
from nhigraph.analysis.estate import Estate
from nhigraph.analysis.reach import ReachIndex
from nhigraph.cli import cli
from nhigraph.errors import InputError
from nhigraph.ingest import registry
from nhigraph.ingest.aws import access_key_last_used, access_keys, authz, common, credential_report, policy
from nhigraph.workspace.ingest import ingest

FIXTURES = Path(__file__).parent / "fixtures"
OBSERVED = datetime(2026, 1, 31, 12, 0, tzinfo=timezone.utc)
AWS = FIXTURES / "aws"
EXAMPLE = AWS / "authz-details-cloudsplaining-example.json"
V2 = AWS / "authz-details-cloudsplaining-v2.json"
CHAIN = AWS / "111122223333"
ACCT = "aws:111122223333"
SAMPLE_ACCT = "aws:200611803367"


def U(name: str, acct: str = ACCT) -> str:
    return f"{acct}:user/{name}"


def R(name: str, acct: str = ACCT) -> str:
    return f"{acct}:role/{name}"


def edges(estate: Estate, type_: str) -> dict[tuple[str, str], dict]:
    return {(u, v): d for u, v, d in estate.g.edges(data=True) if d["type"] == type_}


def into(estate: Estate, node: str, type_: str) -> dict[str, dict]:
    return {u: d for u, d in estate.into(node, type_)}


def out(estate: Estate, node: str, type_: str) -> dict[str, dict]:
    return {v: d for v, d in estate.out(node, type_)}


def load(ws, *paths: Path, **kw) -> Estate:
    result = ingest(list(paths), ws, observed_at=OBSERVED, **kw)
    assert result.ok, [str(e) for e in result.errors]
    return Estate.load(ws)


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Estate:
    from nhigraph.workspace.store import Workspace

    ws = Workspace(tmp_path_factory.mktemp("sample") / "ws")
    return load(ws, EXAMPLE)


@pytest.fixture(scope="module")
def chain(tmp_path_factory) -> Estate:
    from nhigraph.workspace.store import Workspace

    ws = Workspace(tmp_path_factory.mktemp("chain") / "ws")
    return load(ws, CHAIN)


# ---------------------------------------------------------------------------------------------- detection


@pytest.mark.parametrize("path, name", [
    (EXAMPLE, "aws-iam-authorization-details"), (V2, "aws-iam-authorization-details"),
    (CHAIN / "authz.json", "aws-iam-authorization-details"),
    (CHAIN / "credential-report.csv", "aws-credential-report"),
    (CHAIN / "list-access-keys-ci-bot.json", "aws-list-access-keys"),
    (CHAIN / "last-used-AKIAIOSFODNN7EXAMPLE.json", "aws-access-key-last-used"),
])
def test_each_export_is_detected(path, name):
    assert registry.detect(path).name == name


def test_inventory_tables_are_not_taken_for_aws_exports(tmp_path):
    inv = tmp_path / "credentials.csv"
    inv.write_text("id,kind,name\ncred:x,api_token,X\n")
    assert registry.detect(inv).name == "inventory-csv"
    # a report named like an inventory table is still a report: its header says so
    report = tmp_path / "credentials.csv"
    shutil.copy(CHAIN / "credential-report.csv", report)
    assert registry.detect(report).name == "aws-credential-report"


def test_formats_name_the_command_that_produces_them():
    for fmt in (authz.FORMAT, credential_report.FORMAT, access_keys.FORMAT, access_key_last_used.FORMAT):
        assert fmt.produced_by.startswith("`aws iam ") and "|" not in fmt.produced_by
        assert fmt in registry.FORMATS


# ---------------------------------------------------------------------------------------------- real samples


def test_real_samples_ingest_without_error_one_batch_per_account():
    batches = authz.parse(EXAMPLE)
    assert [b.source for b in batches] == ["aws:authz:200611803367", "aws:authz:200611803367:tags",
                                           "aws:authz:012345678901", "aws:authz:012345678901:tags"]
    assert not any(b.errors or b.warnings or b.partial for b in batches)
    ids = {n["id"]: n for b in batches for n in b.nodes if n["label"] == "Identity" and not n.get("_stub")}
    assert sum(1 for i in ids if i.startswith(SAMPLE_ACCT + ":user/")) == 41
    assert sum(1 for i in ids if i.startswith(SAMPLE_ACCT + ":role/")) == 75
    assert sum(1 for i in ids if i.startswith("aws:012345678901:") and ":workload/" not in i) == 6
    node = ids[U("privesc-sre-user", SAMPLE_ACCT)]
    assert node["kind"] == "iam_user" and node["provider_id"] == "arn:aws:iam::200611803367:user/privesc-sre-user"
    assert node["created_at"].isoformat() == "2023-03-09T10:41:38+00:00"


def test_sample_group_policies_are_flattened_to_admin_on_the_account(sample):
    sre = out(sample, U("privesc-sre-user", SAMPLE_ACCT), "HAS_ACCESS")
    assert {k: (d["level"], d["actions"]) for k, d in sre.items()} == {
        SAMPLE_ACCT: ("admin", ["iam:*"]),
        f"{SAMPLE_ACCT}:wildcard/ec2": ("admin", ["ec2:*"]),
        f"{SAMPLE_ACCT}:wildcard/s3": ("admin", ["s3:*"]),
    }
    assert sample.node(f"{SAMPLE_ACCT}:wildcard/s3")["kind"] == "account_wildcard"
    obama = out(sample, U("obama", "aws:012345678901"), "HAS_ACCESS")  # AdministratorAccess, own and group's
    assert {k: (d["level"], d["actions"]) for k, d in obama.items()} == {"aws:012345678901": ("admin", ["*"])}


@pytest.mark.parametrize("user", ["fp1-allow-and-deny-user", "fp2-allow-and-deny-multiple-policies-user",
                                  "fp3-deny-iam-user"])
def test_sample_explicit_denies_remove_the_grants(sample, user):
    assert out(sample, U(user, SAMPLE_ACCT), "HAS_ACCESS") == {}


def test_sample_notaction_and_conditions(sample):
    [(target, d)] = out(sample, U("fn4-exploitableNotAction-user", SAMPLE_ACCT), "HAS_ACCESS").items()
    assert target == SAMPLE_ACCT and d["level"] == "admin"
    assert d["actions"] == ["!iam:Attach*", "!iam:Create*", "!iam:Update*", "*"]
    [(target, d)] = out(sample, U("fn3-exploitableConditionConstraint-user", SAMPLE_ACCT), "HAS_ACCESS").items()
    assert (target, d["level"], d["actions"]) == (SAMPLE_ACCT, "admin", ["iam:CreatePolicyVersion"])
    assert json.loads(d["condition"]) == {"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}}


def test_sample_concrete_resources_keep_their_arn(sample):
    role = R("AWS-QuickSetup-EnableCRecording-1clff_us-east-1", SAMPLE_ACCT)
    bucket = "arn:aws:s3:::aws-quick-setup-config-recording-200611803367-1clff"
    grant = out(sample, role, "HAS_ACCESS")[bucket]
    assert grant["level"] == "write" and "s3:ListBucket" in grant["actions"]
    assert sample.node(bucket)["kind"] == "bucket"
    assert SAMPLE_ACCT in out(sample, bucket, "PART_OF")
    assert out(sample, role, "HAS_ACCESS")[f"{SAMPLE_ACCT}:wildcard/kms"]["level"] == "write"


def test_sample_trust_chain_and_sessions(sample):
    assume = edges(sample, "CAN_ASSUME")
    start, mid, end = (R(f"privesc-AssumeRole-{x}-role", SAMPLE_ACCT) for x in ("starting", "intermediate", "ending"))
    assert assume[(start, mid)]["via"] == "trust" and assume[(mid, end)]["via"] == "trust"
    sso = R("AWSReservedSSO_AdministratorAccess_dc6414f7f2ab04fc", SAMPLE_ACCT)
    assert json.loads(assume[(sso, start)]["condition"]) == {
        "StringEquals": {"sts:RoleSessionName": "elad@codsec.io"}}
    saml = f"{SAMPLE_ACCT}:saml-provider/AWSSSO_b937d2dff24f2774_DO_NOT_DELETE"
    assert (saml, sso) in assume and sample.node(saml)["platform"] == "SAML"
    assert assume[(U("privesc-sre-user", SAMPLE_ACCT), R("privesc-sre-role", SAMPLE_ACCT))]["via"] == "trust"
    # the chain's end has admin: the starting role reaches it
    index = ReachIndex(sample)
    assert end in nx.descendants(index.r, start)
    assert index.access[end][SAMPLE_ACCT] == 3


def test_sample_account_root_trust_needs_the_callers_permission(sample):
    trusted = set(into(sample, R("privesc-permissive-role-trust", SAMPLE_ACCT), "CAN_ASSUME"))
    assert R("AWSReservedSSO_AdministratorAccess_dc6414f7f2ab04fc", SAMPLE_ACCT) in trusted  # AdministratorAccess
    assert U("fn4-exploitableNotAction-user", SAMPLE_ACCT) in trusted  # NotAction leaves sts:AssumeRole
    assert U("privesc-sre-user", SAMPLE_ACCT) not in trusted  # iam, ec2, s3 only
    assert U("fp2-allow-and-deny-multiple-policies-user", SAMPLE_ACCT) not in trusted  # allow * then deny *


def test_sample_foreign_account_is_external_with_an_unknown_vendor(sample):
    role = R("OrganizationAccountAccessRole", SAMPLE_ACCT)
    [(start, d)] = into(sample, role, "CAN_ASSUME").items()
    assert start == "aws:072528804237" and d["external_id_required"] is False
    assert sample.node(start)["external"] is True and sample.node(start)["kind"] == "aws_account"
    assert set(into(sample, role, "HOLDS")) == {"vendor:aws:072528804237"}
    assert sample.node("vendor:aws:072528804237")["kind"] == "unknown_external"
    foreign = "aws:072528804237:role/AWSServiceRoleForCloudFormationStackSetsOrgAdmin"
    assert set(into(sample, R("stacksets-exec-b5520cb2730c2f54b523d6375a319abb", SAMPLE_ACCT), "CAN_ASSUME")) == {
        foreign}
    assert sample.node(foreign)["external"] is True and "aws:072528804237" in out(sample, foreign, "PART_OF")
    debt = {m.id: m for m in DebtAnalysis(sample).metrics()}
    assert {o["subject"] for o in debt["third_party.no_external_id"].offenders} == {
        role, R("stacksets-exec-b5520cb2730c2f54b523d6375a319abb", SAMPLE_ACCT)}


def test_sample_passrole_to_roles_trusting_the_compute_service(sample):
    target = R("privesc-high-priv-service-role", SAMPLE_ACCT)
    lam, ec2 = (f"{SAMPLE_ACCT}:workload/{s}.amazonaws.com" for s in ("lambda", "ec2"))
    # PassRole on every role: through one workload node per service, which assumes each role trusting it
    assert into(sample, target, "CAN_ASSUME")[lam]["via"] == "passrole"
    assert sample.node(lam)["kind"] == "workload"
    passers = {u for u, d in into(sample, lam, "CAN_ASSUME").items() if d["via"] == "passrole"}
    assert U("privesc15-PassExistingRoleToNewLambdaThenInvoke-user", SAMPLE_ACCT) in passers  # lambda
    assert U("privesc4-CreateAccessKey-user", SAMPLE_ACCT) not in passers
    assert U("fn1-privesc3-partial-user", SAMPLE_ACCT) in into(sample, ec2, "CAN_ASSUME")  # RunInstances
    assert U("privesc-sre-user", SAMPLE_ACCT) in into(sample, ec2, "CAN_ASSUME")  # ec2:* and iam:*
    # the lambda workloads only become roles that trust lambda
    assert set(out(sample, lam, "CAN_ASSUME")) == {target}
    services = {u for u, d in into(sample, target, "CAN_ASSUME").items() if d["via"] == "trust"}
    assert "aws:service:lambda.amazonaws.com" in services and "aws:service:ec2.amazonaws.com" in services
    index = ReachIndex(sample)
    assert target in nx.descendants(index.r, U("privesc15-PassExistingRoleToNewLambdaThenInvoke-user", SAMPLE_ACCT))


def test_v2_sample_admin_policy_missing_from_the_export(ws):
    estate = load(ws, V2)
    acct = "aws:012345678901"
    assert out(estate, U("BlakeBortles", acct), "HAS_ACCESS")[acct]["level"] == "admin"  # via group GOAT
    for role in ("GOAT", "MyOtherRole"):
        assert set(into(estate, R(role, acct), "CAN_ASSUME")) == {"aws:service:ssm.amazonaws.com"}
        assert out(estate, R(role, acct), "HAS_ACCESS")[f"{acct}:wildcard/s3"]["level"] == "write"


# ---------------------------------------------------------------------------------------------- the hand-built account


def test_chain_can_assume_edges(chain):
    gh = f"{ACCT}:oidc-provider/token.actions.githubusercontent.com"
    eks = f"{ACCT}:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
    got = {(u, v, d["via"]) for (u, v), d in edges(chain, "CAN_ASSUME").items()}
    assert got == {
        (gh, R("deploy"), "oidc"), (eks, R("eks-workload"), "oidc"),
        (U("ci-bot"), R("deploy"), "trust"), (U("legacy"), R("deploy"), "trust"),
        (R("lambda-admin"), R("deploy"), "trust"),
        (R("deploy"), R("lambda-admin"), "passrole"),
        ("aws:service:lambda.amazonaws.com", R("lambda-admin"), "trust"),
        ("aws:anyone", R("open-role"), "trust"), (U("legacy"), R("open-role"), "trust"),
        (R("lambda-admin"), R("open-role"), "trust"),
        ("aws:999988887777", R("partner-role"), "trust"),
    }
    assume = edges(chain, "CAN_ASSUME")
    oidc = assume[(gh, R("deploy"))]
    assert json.loads(oidc["condition"])["StringLike"] == {
        "token.actions.githubusercontent.com:sub": "repo:example-org/app:ref:refs/heads/main"}
    assert oidc["external_id_required"] is True
    assert chain.node(gh)["kind"] == "oidc_provider" and chain.node(gh)["external"] is True
    assert chain.node(gh)["platform"] == "GitHub Actions" and chain.node(eks)["external"] is False
    assert json.loads(assume[(R("deploy"), R("lambda-admin"))]["condition"]) == {
        "StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}


def test_chain_admin_reach_from_the_ci_key(chain):
    br = ReachIndex(chain).blast_radius("aws:key:AKIAIOSFODNN7EXAMPLE")
    account = br.targets[ACCT]
    assert account.level == "admin"
    assert account.path == ["aws:key:AKIAIOSFODNN7EXAMPLE", U("ci-bot"), R("deploy"), R("lambda-admin"), ACCT]
    assert set(br.identities) == {U("ci-bot"), R("deploy"), R("lambda-admin"), R("open-role")}
    # admin on the account reaches every resource in it, at admin
    assert br.targets["arn:aws:dynamodb:us-east-1:111122223333:table/orders"].level == "admin"
    assert br.counts()["admin"] == br.counts()["total"] == chain_resources(chain)


def chain_resources(estate: Estate) -> int:
    return sum(1 for n in estate.nodes_of("Resource") if ACCT in out(estate, n, "PART_OF"))


def test_anyone_trust_is_reachable_from_every_identity_that_may_call_assume_role(chain):
    assert set(into(chain, R("open-role"), "CAN_ASSUME")) == {"aws:anyone", U("legacy"), R("lambda-admin")}
    assert chain.node("aws:anyone")["external"] is True
    index = ReachIndex(chain)
    for who in (U("legacy"), R("lambda-admin")):
        assert R("open-role") in nx.descendants(index.r, who)
    # ci-bot may only assume deploy; the auditor and the OIDC-only roles may not call sts:AssumeRole at all
    for who in (U("ci-bot"), U("auditor"), R("eks-workload"), R("partner-role")):
        assert (who, R("open-role")) not in edges(chain, "CAN_ASSUME")
    legacy = index.blast_radius(f"{U('legacy')}/access-key-1")
    assert R("open-role") in legacy.identities


def test_chain_external_account_with_external_id(chain):
    [(start, d)] = into(chain, R("partner-role"), "CAN_ASSUME").items()
    assert start == "aws:999988887777" and d["external_id_required"] is True
    assert json.loads(d["condition"]) == {"StringEquals": {"sts:ExternalId": "example-external-id"}}
    assert set(into(chain, R("partner-role"), "HOLDS")) == {"vendor:aws:999988887777", "vendor:acme-corp"}
    debt = {m.id: m for m in DebtAnalysis(chain).metrics()}
    assert {o["subject"] for o in debt["third_party.no_external_id"].offenders} == {R("open-role")}
    assert debt["third_party.no_external_id"].denominator == 3  # aws:anyone, 999988887777, GitHub OIDC


def test_chain_grants_levels_and_resources(chain):
    legacy = out(chain, U("legacy"), "HAS_ACCESS")
    assert {k: d["level"] for k, d in legacy.items()} == {
        f"{ACCT}:wildcard/s3": "read", f"{ACCT}:wildcard/sts": "write", f"{ACCT}:wildcard/dynamodb": "admin"}
    assert ACCT not in legacy  # v1 of ops-access allowed "*", but v2 is the default version
    assert "arn:aws:s3:::audit-logs" not in chain.g  # removed by the URL-encoded Deny
    [(table, grant)] = out(chain, R("open-role"), "HAS_ACCESS").items()
    assert table == "arn:aws:dynamodb:us-east-1:111122223333:table/orders"  # the index ARN folds into it
    assert (grant["level"], chain.node(table)["kind"]) == ("read", "database")
    assert out(chain, R("eks-workload"), "HAS_ACCESS")["arn:aws:sqs:eu-west-1:111122223333:orders"]["level"] == "write"
    admin = out(chain, R("lambda-admin"), "HAS_ACCESS")
    assert {k: (d["level"], d["actions"]) for k, d in admin.items()} == {ACCT: ("admin", ["*"])}
    # grants of sts:AssumeRole / iam:PassRole on a specific role are assumption paths, not resources
    assert not any(n.startswith("arn:aws:iam::") for n in chain.nodes_of("Resource"))


def test_chain_mfa_only_grant_is_human_only(chain):
    [(bucket, grant)] = out(chain, U("auditor"), "HAS_ACCESS").items()
    assert bucket == "arn:aws:s3:::finance-reports" and grant["human_only"] is True
    assert chain.node(U("auditor"))["human_used"] is True  # console password used (credential report)
    assert not out(chain, U("ci-bot"), "HAS_ACCESS")["arn:aws:s3:::artifacts-bucket"].get("human_only")


def test_chain_tags_environment_and_owner_stubs(chain, ws):
    assert chain.node(U("ci-bot"))["environment"] == "prod"  # "production"
    assert chain.node(R("deploy"))["environment"] == "prod"
    assert chain.node(R("eks-workload"))["environment"] == "staging"
    owns = {(u, v, d["role"]) for (u, v), d in edges(chain, "OWNS").items()}
    assert owns == {("team:platform", U("ci-bot"), "implement"), ("owner:platform-team", R("deploy"), "implement")}
    assert chain.node("owner:platform-team")["kind"] == "team"
    assert all(common.tag_only(chain.node(o)) for o in ("team:platform", "owner:platform-team"))
    # an owner the register also lists is verified
    estate = load(ws, CHAIN, FIXTURES / "inventory" / "csv" / "owners.csv")
    assert not common.tag_only(estate.node("team:platform"))
    assert common.tag_only(estate.node("owner:platform-team"))


def test_owner_role_is_configurable():
    batches = authz.parse(CHAIN / "authz.json", owner_role="approve")
    owns = [e for b in batches for e in b.edges if e["type"] == "OWNS"]
    assert {e["role"] for e in owns} == {"approve"}
    assert all(b.source.endswith(":tags") for b in batches if any(e["type"] == "OWNS" for e in b.edges))


# ---------------------------------------------------------------------------------------------- credentials


def test_credential_report_and_key_listing_end_as_the_right_nodes(chain):
    creds = {n: chain.node(n) for n in chain.nodes_of("Credential")}
    assert set(creds) == {"aws:key:AKIAIOSFODNN7EXAMPLE", "aws:key:AKIAI44QH8DHBEXAMPLE",
                          f"{U('legacy')}/access-key-1", f"{U('legacy')}/signing-certificate-1"}
    active = creds["aws:key:AKIAIOSFODNN7EXAMPLE"]
    assert (active["status"], active["key_id"], active["kind"]) == ("active", "AKIAIOSFODNN7EXAMPLE", "access_key")
    assert active["created_at"].isoformat() == active["last_rotated_at"].isoformat() == "2025-01-10T09:00:00+00:00"
    assert active["last_used_at"].isoformat() == "2026-01-20T08:15:00+00:00"
    assert active["sources"] == ["aws:access-key-last-used:AKIAIOSFODNN7EXAMPLE",
                                 "aws:credential-report:111122223333",
                                 "aws:list-access-keys:111122223333:list-access-keys-ci-bot"]
    inactive = creds["aws:key:AKIAI44QH8DHBEXAMPLE"]
    assert inactive["status"] == "inactive" and inactive["last_used_at"].isoformat() == "2024-09-30T17:00:00+00:00"
    assert set(into(chain, U("ci-bot"), "AUTHENTICATES")) == {"aws:key:AKIAIOSFODNN7EXAMPLE",
                                                              "aws:key:AKIAI44QH8DHBEXAMPLE"}
    slot = creds[f"{U('legacy')}/access-key-1"]
    assert slot["status"] == "active" and "key_id" not in slot
    assert slot["description"] == "last used with dynamodb in us-east-1"
    assert creds[f"{U('legacy')}/signing-certificate-1"]["kind"] == "certificate"
    root = chain.node(f"{ACCT}:root")
    assert root["human_used"] is True and out(chain, f"{ACCT}:root", "HAS_ACCESS")[ACCT]["level"] == "admin"
    assert into(chain, f"{ACCT}:root", "AUTHENTICATES") == {}  # no keys for the root user


def test_report_slot_becomes_the_key_once_the_listing_is_beside_it(ws, tmp_path):
    folder = tmp_path / "111122223333"
    folder.mkdir()
    shutil.copy(CHAIN / "credential-report.csv", folder)
    first = load(ws, folder)
    assert set(into(first, U("ci-bot"), "AUTHENTICATES")) == {f"{U('ci-bot')}/access-key-1",
                                                              f"{U('ci-bot')}/access-key-2"}
    shutil.copy(CHAIN / "list-access-keys-ci-bot.json", folder)
    second = load(ws, folder)
    assert set(into(second, U("ci-bot"), "AUTHENTICATES")) == {"aws:key:AKIAIOSFODNN7EXAMPLE",
                                                               "aws:key:AKIAI44QH8DHBEXAMPLE"}
    assert f"{U('ci-bot')}/access-key-1" not in second.g
    assert second.node("aws:key:AKIAIOSFODNN7EXAMPLE")["last_used_at"].isoformat() == "2026-01-20T08:15:00+00:00"


def test_report_json_output_reads_like_the_csv(tmp_path):
    content = base64.b64encode((CHAIN / "credential-report.csv").read_bytes()).decode()
    folder = tmp_path / "111122223333"
    folder.mkdir()
    out_json = folder / "get-credential-report.json"
    out_json.write_text(json.dumps({"Content": content, "ReportFormat": "text/csv",
                                    "GeneratedTime": "2026-01-30T10:00:00Z"}))
    assert registry.detect(out_json).name == "aws-credential-report"
    from_json = credential_report.parse(out_json)
    from_csv = credential_report.parse(CHAIN / "credential-report.csv")
    strip = lambda bs: sorted((n["id"], n.get("status")) for b in bs for n in b.nodes)  # noqa: E731
    assert [n for n in strip(from_json) if "access-key" in n[0]] == [
        (f"{U('ci-bot')}/access-key-1", "active"), (f"{U('ci-bot')}/access-key-2", "inactive"),
        (f"{U('legacy')}/access-key-1", "active")]
    assert len(strip(from_csv)) == len(strip(from_json))


def test_key_listing_takes_the_account_from_scope_or_name(tmp_path):
    plain = tmp_path / "keys" / "bob.json"
    plain.parent.mkdir()
    shutil.copy(CHAIN / "list-access-keys-ci-bot.json", plain)
    with pytest.raises(InputError) as exc:
        access_keys.parse(plain)
    assert str(exc.value).startswith(f"{plain}: cannot tell the AWS account of these keys")
    [batch] = access_keys.parse(plain, scope="444455556666")
    assert {e["end"] for e in batch.edges if e["type"] == "AUTHENTICATES"} == {"aws:444455556666:user/ci-bot"}
    named = tmp_path / "keys" / "444455556666-bob.json"
    shutil.copy(plain, named)
    [batch] = access_keys.parse(named)
    assert batch.source == "aws:list-access-keys:444455556666:444455556666-bob"


def test_last_used_needs_the_key_id_in_the_file_name(tmp_path):
    bad = tmp_path / "last-used.json"
    shutil.copy(CHAIN / "last-used-AKIAIOSFODNN7EXAMPLE.json", bad)
    with pytest.raises(InputError) as exc:
        access_key_last_used.parse(bad)
    assert "put the access key id in the file name" in str(exc.value)
    nameless = tmp_path / "AKIAIOSFODNN7EXAMPLE.json"
    shutil.copy(bad, nameless)
    [batch] = access_key_last_used.parse(nameless)
    assert [n["id"] for n in batch.nodes] == ["aws:key:AKIAIOSFODNN7EXAMPLE"] and batch.edges == []
    assert "the key's user ci-bot is not linked" in batch.warnings[0]


def test_never_used_key(tmp_path):
    f = tmp_path / "111122223333" / "AKIAI44QH8DHBEXAMPLE.json"
    f.parent.mkdir()
    f.write_text(json.dumps({"UserName": "ci-bot", "AccessKeyLastUsed": {"Region": "N/A", "ServiceName": "N/A"}}))
    [batch] = access_key_last_used.parse(f)
    [key] = [n for n in batch.nodes if n["label"] == "Credential"]
    assert "last_used_at" not in key and "description" not in key


# ---------------------------------------------------------------------------------------------- bad input


def _write(tmp_path: Path, name: str, doc) -> Path:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return path


def _chain_doc() -> dict:
    return json.loads((CHAIN / "authz.json").read_text())


def test_truncated_json_is_one_error_naming_the_file(ws, tmp_path):
    text = (CHAIN / "authz.json").read_text()
    bad = _write(tmp_path, "authz.json", text[: len(text) // 2])
    result = ingest([bad], ws)
    assert [str(e) for e in result.errors] == [f"{bad}: line 239: invalid JSON: Unterminated string starting at"]
    assert result.snapshot is None


def test_url_encoded_trust_and_plain_json_string_policies_are_decoded(tmp_path):
    from urllib.parse import quote

    doc = _chain_doc()
    for role in doc["RoleDetailList"]:
        role["AssumeRolePolicyDocument"] = quote(json.dumps(role["AssumeRolePolicyDocument"]), safe="")
        for p in role["RolePolicyList"]:
            p["PolicyDocument"] = json.dumps(p["PolicyDocument"])
    encoded = authz.parse(_write(tmp_path, "authz.json", doc))
    original = authz.parse(CHAIN / "authz.json")
    edge_set = lambda bs: sorted((e["type"], e["start"], e["end"]) for b in bs for e in b.edges)  # noqa: E731
    assert edge_set(encoded) == edge_set(original)
    assert not any(b.errors for b in encoded)


def test_unknown_fields_and_missing_optional_sections_are_fine(tmp_path):
    doc = _chain_doc()
    doc["SomethingNew"] = {"x": 1}  # a field AWS may add later: ignored
    doc["UserDetailList"][0]["SomethingNew"] = [1, 2]
    same = authz.parse(_write(tmp_path, "authz.json", doc))
    assert sorted(n["id"] for b in same for n in b.nodes) == sorted(
        n["id"] for b in authz.parse(CHAIN / "authz.json") for n in b.nodes)
    roles_only = {"RoleDetailList": doc["RoleDetailList"]}  # `--filter Role`
    batches = authz.parse(_write(tmp_path, "roles.json", roles_only))
    assert not any(b.errors for b in batches)
    # the users a trust names are missing: the account root trust finds nobody, deploy still has its OIDC trust
    assume = {(e["start"], e["end"]) for b in batches for e in b.edges if e["type"] == "CAN_ASSUME"}
    assert (f"{ACCT}:oidc-provider/token.actions.githubusercontent.com", R("deploy")) in assume
    assert not any(s.startswith(f"{ACCT}:user/") for s, _ in assume)
    assert [w for b in batches for w in b.warnings] == []  # AdministratorAccess is known without its document
    users_only = {"UserDetailList": doc["UserDetailList"]}
    batches = authz.parse(_write(tmp_path, "users.json", users_only))
    assert any("group 'ops' is not in GroupDetailList" in w for b in batches for w in b.warnings)


def test_empty_account(tmp_path):
    empty = {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": []}
    with pytest.raises(InputError) as exc:
        authz.parse(_write(tmp_path, "authz.json", empty))
    assert "no user, group, role or policy ARN to take the account id from" in str(exc.value)
    batches = authz.parse(_write(tmp_path, "111122223333-authz.json", empty))
    assert [(b.source, [n["id"] for n in b.nodes]) for b in batches] == [
        ("aws:authz:111122223333", [ACCT]), ("aws:authz:111122223333:tags", [])]
    assert authz.parse(_write(tmp_path, "x.json", empty), scope="111122223333")[0].source == "aws:authz:111122223333"


def test_bad_records_are_one_error_each_and_the_rest_is_ingested(ws, tmp_path):
    doc = _chain_doc()
    del doc["RoleDetailList"][3]["Arn"]  # partner-role
    doc["RoleDetailList"][2]["RolePolicyList"][0]["PolicyDocument"]["Statement"][0]["Effect"] = "Permit"
    doc["UserDetailList"][1]["UserPolicyList"][0]["PolicyDocument"] = "%7Bnot json"
    doc["RoleDetailList"][4]["CreateDate"] = "yesterday"  # eks-workload
    path = _write(tmp_path, "authz.json", doc)
    result = ingest([path], ws)
    assert sorted(str(e) for e in result.errors) == sorted([
        f"{path}: RoleDetailList[3] (partner-role): missing required 'Arn'",
        f"{path}: RoleDetailList[2] (open-role): inline policy orders-read: statement 1: Effect must be Allow "
        "or Deny, got 'Permit'",
        f"{path}: UserDetailList[1] (auditor): inline policy reports-with-mfa: policy document is not JSON: "
        "Expecting property name enclosed in double quotes (column 2)",
        f"{path}: RoleDetailList[4] (eks-workload): Identity created_at: not an ISO 8601 date or date-time: "
        "'yesterday' (use e.g. 2026-01-31 or 2026-01-31T12:00:00Z)",
    ])
    estate = Estate.load(ws)
    assert R("partner-role") not in estate.g and R("eks-workload") not in estate.g and R("open-role") in estate.g
    assert out(estate, R("open-role"), "HAS_ACCESS") == {}
    assert out(estate, R("lambda-admin"), "HAS_ACCESS")[ACCT]["level"] == "admin"
    assert ws.load().manifest["sources"]["aws:authz:111122223333"]["partial"] is True


def test_not_an_export(tmp_path):
    with pytest.raises(InputError) as exc:
        authz.parse(_write(tmp_path, "a.json", {"UserDetailList": {"UserName": "x"}}))
    assert str(exc.value) == f"{tmp_path / 'a.json'}: UserDetailList: expected a list, got dict"
    with pytest.raises(InputError):
        authz.parse(_write(tmp_path, "b.json", [1, 2]))


def test_bad_credential_report_rows(tmp_path):
    text = (CHAIN / "credential-report.csv").read_text().splitlines()
    text[2] = text[2].replace("2025-01-10T09:00:00+00:00", "10/01/2025")
    text.append("ghost,not-an-arn," + ",".join(["N/A"] * 20))
    path = _write(tmp_path, "111122223333-report.csv", "\n".join(text) + "\n")
    [batch] = credential_report.parse(path)
    assert [str(e) for e in batch.errors] == [
        f"{path}: line 3: access_key_1_last_rotated: not an ISO 8601 date or date-time: '10/01/2025' "
        "(use e.g. 2026-01-31 or 2026-01-31T12:00:00Z)",
        f"{path}: line 6: arn 'not-an-arn' is not an IAM user or root ARN"]
    assert batch.partial
    ragged = _write(tmp_path, "r.csv", "\n".join(text[:2] + [text[3] + ",extra"]) + "\n")
    with pytest.raises(InputError) as exc:
        credential_report.parse(ragged)
    assert str(exc.value) == f"{ragged}: line 3: has 23 fields but the header has 22"


def test_truncated_listing_is_ingested_without_cleanup(tmp_path):
    doc = json.loads((CHAIN / "list-access-keys-ci-bot.json").read_text())
    doc["IsTruncated"] = True
    doc["Marker"] = "EXAMPLE"
    [batch] = access_keys.parse(_write(tmp_path, "111122223333-keys.json", doc))
    assert batch.partial and "truncated" in batch.warnings[0]
    assert len([n for n in batch.nodes if n["label"] == "Credential"]) == 2


def test_cli_ingest_of_the_account_folder(tmp_path):
    r = CliRunner().invoke(cli, ["ingest", str(CHAIN), "-w", str(tmp_path / "ws"), "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert set(doc["files"].values()) == {"aws-iam-authorization-details", "aws-credential-report",
                                          "aws-list-access-keys", "aws-access-key-last-used"}


# ---------------------------------------------------------------------------------------------- policy rules


def _pair(action: str, resource: str = "*", excluded=()) -> policy.Pair:
    return policy.Pair(action.lower(), action, resource, None, False, list(excluded))


@pytest.mark.parametrize("action, level", [
    ("*", "admin"), ("s3:*", "admin"), ("iam:PutRolePolicy", "admin"), ("iam:Put*", "admin"),
    ("iam:CreateAccessKey", "admin"), ("s3:GetObject", "read"), ("s3:Get*", "read"), ("ec2:DescribeInstances", "read"),
    ("dynamodb:Query", "read"), ("s3:PutObject", "write"), ("s3:*Object", "write"), ("lambda:InvokeFunction", "write"),
    ("iam:PassRole", "write"), ("sts:AssumeRole", "write"), ("*:Get*", "read"),
])
def test_levels(action, level):
    assert policy.level_of(_pair(action)) == level


def test_notaction_excluding_iam_is_write_not_admin():
    assert policy.level_of(_pair("*", excluded=["!iam:*", "!organizations:*"])) == "write"  # PowerUserAccess
    assert policy.level_of(_pair("*", excluded=["!iam:Update*"])) == "admin"


@pytest.mark.parametrize("action, resource, target", [
    ("*", "*", ("account", "")), ("iam:*", "*", ("account", "")), ("iam:AttachUserPolicy", "*", ("account", "")),
    ("iam:GetRole", "*", ("wildcard", "iam")), ("s3:GetObject", "*", ("wildcard", "s3")),
    ("s3:GetObject", "arn:aws:s3:::logs-*", ("wildcard", "s3")),
    ("s3:GetObject", "arn:aws:s3:::logs/*", ("resource", "s3")),
    ("sns:Publish", "arn:aws:sns:*:*:*", ("wildcard", "sns")),
    ("*:Describe*", "*", ("account", "")),
])
def test_targets(action, resource, target):
    pair = _pair(action, resource)
    t = policy.target_of(pair, policy.level_of(pair))
    assert (t.what, t.service) == target


def test_canonical_resources():
    for arn, expected in [
        ("arn:aws:s3:::bucket/a/b.txt", ("arn:aws:s3:::bucket", "bucket")),
        ("arn:aws:dynamodb:eu-west-1:1:table/t/stream/2020", ("arn:aws:dynamodb:eu-west-1:1:table/t", "t")),
        ("arn:aws:lambda:eu-west-1:1:function:f:prod", ("arn:aws:lambda:eu-west-1:1:function:f", "f")),
        ("arn:aws:secretsmanager:eu-west-1:1:secret:db-AbCdEf", ("arn:aws:secretsmanager:eu-west-1:1:secret:db-AbCdEf",
                                                                 "db-AbCdEf")),
    ]:
        assert policy.canonical_resource(common.parse_arn(arn)) == expected
    assert policy.resource_kind(common.parse_arn("arn:aws:secretsmanager:eu-west-1:1:secret:x")) == "secret_path"
    assert policy.resource_kind(common.parse_arn("arn:aws:ec2:eu-west-1:1:instance/i-1")) == "vm"


def test_partial_deny_of_a_star_grant_is_an_exclusion():
    doc = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"},
                         {"Effect": "Deny", "Action": ["iam:*", "aws-portal:*"], "Resource": "*"}]}
    [pair] = policy.allowed_pairs(policy.parse_statements(doc, "p"))
    assert pair.excluded == ["!iam:*", "!aws-portal:*"] and policy.level_of(pair) == "write"


def test_deny_rules():
    doc = {"Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::b/*"},
        {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::c"},
        {"Effect": "Deny", "Action": "s3:Put*", "Resource": "*"},  # removes PutObject on b
        {"Effect": "Deny", "Action": "s3:Get*", "Resource": "arn:aws:s3:::c"},  # partial: s3:* on c is kept
        {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*",
         "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]}  # conditional: not applied
    pairs = policy.allowed_pairs(policy.parse_statements(doc, "p"))
    assert sorted((p.written, p.resource) for p in pairs) == [("s3:*", "arn:aws:s3:::c"),
                                                              ("s3:GetObject", "arn:aws:s3:::b/*")]


def test_username_variable_and_notresource():
    doc = {"Statement": [
        {"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": "arn:aws:iam::1:user/${aws:username}"},
        {"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::secret/*"}]}
    st = policy.parse_statements(doc, "p", username="bob")
    assert st[0].resources == ("arn:aws:iam::1:user/bob",)
    assert [p.resource for p in policy.allowed_pairs(st)] == ["arn:aws:iam::1:user/bob", "*"]
    assert policy.allows(st, "iam:CreateAccessKey", "arn:aws:iam::1:user/bob")[0]
    assert not policy.allows(st, "iam:CreateAccessKey", "arn:aws:iam::1:user/alice")[0]


def test_mfa_conditions():
    allow_mfa = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    assert policy.requires_mfa(allow_mfa)
    assert not policy.requires_mfa({"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}})  # keys pass
    assert policy.denies_without_mfa({"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}})
    assert not policy.denies_without_mfa({"Bool": {"aws:MultiFactorAuthPresent": "false"}})  # keys pass
    ok, cond, human = policy.allows(policy.parse_statements(
        {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*", "Condition": allow_mfa}]},
        "p"), "sts:AssumeRole", "arn:aws:iam::1:role/r")
    assert ok and human and json.loads(cond) == allow_mfa


def test_environment_words():
    assert [common.environment(v) for v in ("Production", "PRD", "stage", "UAT", "sandbox", "blue")] == [
        "prod", "prod", "staging", "test", "dev", "unknown"]
    assert common.owner_id("Platform Team") == "owner:platform-team"
    assert common.owner_id("person:alice") == "person:alice"
