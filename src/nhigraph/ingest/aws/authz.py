"""``aws iam get-account-authorization-details``: IAM users and roles as identities, their effective
permissions as grants, and role trust and ``iam:PassRole`` as assumption paths.

What becomes what (the policy rules are in :mod:`.policy`, the full list in ``tests/fixtures/aws/README.md``):

- each user and role is an ``Identity`` (``iam_user``/``iam_role``, id ``aws:<account>:user/<name>``, ARN as
  ``provider_id``) ``PART_OF`` its account (``System`` ``aws:<account>``); a user gets its groups' policies
  (groups are not nodes); the account comes from the ARNs, so one file may hold several accounts (one
  batch each, source ``aws:authz:<account>``);
- permissions from inline, attached managed and group policies are ``HAS_ACCESS`` edges;
- a role's trust policy gives ``CAN_ASSUME`` edges (``via`` trust; ``oidc`` for web identity) from what it
  trusts: a user or role (same account: the trust alone suffices; another account in the file: that
  principal also needs ``sts:AssumeRole`` on the role), an account (``:root``: every identity of that account
  allowed ``sts:AssumeRole`` on the role), anyone (``"AWS": "*"``: every identity of the file allowed to call
  it, plus the external ``aws:anyone`` System), a service (``System`` ``aws:service:<principal>``), an OIDC
  or SAML provider (``System``); an account outside the file becomes an external ``System`` stub, and a
  ``Vendor`` stub (``unknown_external``, id ``vendor:aws:<account>``) that ``HOLDS`` the role;
- ``iam:PassRole`` on a role plus an action that runs code as a passed role (:data:`PASSROLE_COMPUTE`) is
  ``CAN_ASSUME`` ``via`` passrole, when the role trusts that compute service; who may pass every role goes
  through one ``workload`` Identity per account and service (``aws:<account>:workload/<service>``), so the
  edges grow with principals plus roles, not their product;
- ``owner``/``team``/``vendor`` tags are ``OWNS``/``HOLDS`` edges from stubs, in a separate batch (source
  ``aws:authz:<account>:tags``); ``env`` and ``business_unit`` tags are properties.

Large files: the export is never held whole. It is read twice, an item at a time (:mod:`..stream`): policies
and groups are indexed first, then each user and role is turned into records on its own; only the trust and
PassRole resolution needs every principal's statements, unique id and trust policy, which are small.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...errors import InputError
from ...model import ids
from ...model.records import Batch, Origin
from .. import stream
from ..base import Format, looks_like_json
from . import common
from .common import Arn, as_list, compact_json, parse_arn
from .policy import (LEVEL_RANK, ROLE_USE_ACTIONS, Pair, Statement, all_of, allowed_pairs, allows,
                     allows_anywhere, canonical_resource, condition_json, glob, level_of, parse_statements,
                     condition_keys, resource_kind, target_of, wildcard_id)

EXPORT = "authz"
SECTIONS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")

#: AWS managed policies an export may leave out (a filtered export), with their published document
KNOWN_MANAGED = {
    "AdministratorAccess": {"Version": "2012-10-17",
                            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
}

#: actions that run code as a role passed to them, and the service principal that role must trust
PASSROLE_COMPUTE = {
    "lambda:createfunction": "lambda.amazonaws.com",
    "lambda:updatefunctionconfiguration": "lambda.amazonaws.com",
    "ec2:runinstances": "ec2.amazonaws.com",
    "ecs:runtask": "ecs-tasks.amazonaws.com",
    "ecs:starttask": "ecs-tasks.amazonaws.com",
    "ecs:registertaskdefinition": "ecs-tasks.amazonaws.com",
    "ecs:createservice": "ecs-tasks.amazonaws.com",
    "glue:createjob": "glue.amazonaws.com",
    "glue:createdevendpoint": "glue.amazonaws.com",
    "cloudformation:createstack": "cloudformation.amazonaws.com",
    "cloudformation:updatestack": "cloudformation.amazonaws.com",
    "sagemaker:createnotebookinstance": "sagemaker.amazonaws.com",
    "sagemaker:createtrainingjob": "sagemaker.amazonaws.com",
    "sagemaker:createprocessingjob": "sagemaker.amazonaws.com",
    "codebuild:createproject": "codebuild.amazonaws.com",
    "datapipeline:createpipeline": "datapipeline.amazonaws.com",
}

ASSUME = "sts:assumerole"
WEB_IDENTITY = "sts:assumerolewithwebidentity"
SAML = "sts:assumerolewithsaml"
ANYONE = "aws:anyone"
_MFA_BLOCK = '{"Bool":{"aws:MultiFactorAuthPresent":"true"}}'


@dataclass
class Principal:
    kind: str  # "user" or "role"
    account: str
    name: str
    arn: str
    origin: Origin
    record: dict[str, Any]
    statements: list[Statement] = field(default_factory=list)
    id: str = ""

    def __post_init__(self) -> None:
        self.id = ids.aws_principal(self.account, self.kind, self.name)


class _Run:
    """The state of one file's parse: a batch per account, dedupe of emitted records, reported problems."""

    def __init__(self, path: Path, scope: str | None, owner_role: str) -> None:
        self.path = path
        self.scope = scope
        self.owner_role = owner_role
        self.batches: dict[str, Batch] = {}
        self.tag_batches: dict[str, Batch] = {}
        self._nodes: dict[str, set[str]] = {}
        self._edges: dict[str, set[tuple]] = {}
        self._reported: set[str] = set()
        self.first_account: str | None = None

    def origin(self, record: str) -> Origin:
        return Origin(str(self.path), record)

    def batch(self, account: str) -> Batch:
        if account not in self.batches:
            b = Batch(source=common.source_name(EXPORT, account, self.scope))
            self.batches[account] = b
            self.tag_batches[account] = Batch(source=b.source + common.TAG_SOURCE_SUFFIX)
            self._nodes[account] = set()
            self._edges[account] = set()
            self.first_account = self.first_account or account
            self.node(account, common.account_node(account), self.origin("account"))
        return self.batches[account]

    def node(self, account: str, record: dict[str, Any], origin: Origin, stub: bool = False) -> bool:
        """Add a node once per batch; False when the record is bad (its error is kept)."""
        b = self.batch(account)
        if record["id"] in self._nodes[account]:
            return True
        self._nodes[account].add(record["id"])
        return b.add_node(record, origin, stub=stub) is not None

    def edge(self, account: str, record: dict[str, Any], origin: Origin) -> None:
        b = self.batch(account)
        key = (record["type"], record["start"], record["end"], record.get("role"))
        if key in self._edges[account]:
            return
        self._edges[account].add(key)
        b.add_edge(record, origin)

    def fail(self, account: str | None, error: InputError) -> None:
        key = str(error)
        if key in self._reported:
            return
        self._reported.add(key)
        if account is None:
            account = self.first_account
        if account is None:
            raise error
        self.batch(account).fail(error)

    def warn(self, account: str | None, message: str) -> None:
        text = f"{self.path}: {message}"
        if text in self._reported:
            return
        self._reported.add(text)
        target = account or self.first_account
        if target is not None:
            self.batch(target).warnings.append(text)

    def results(self) -> list[Batch]:
        out = []
        for account in self.batches:
            out += [self.batches[account], self.tag_batches[account]]
        return out


# -- reading the export ----------------------------------------------------------------------------------


def _default_document(policy: dict[str, Any]) -> Any:
    versions = [v for v in as_list(policy.get("PolicyVersionList")) if isinstance(v, dict)]
    for v in versions:
        if v.get("IsDefaultVersion") is True:
            return v.get("Document")
    for v in versions:
        if v.get("VersionId") and v.get("VersionId") == policy.get("DefaultVersionId"):
            return v.get("Document")
    if len(versions) == 1:
        return versions[0].get("Document")
    return None


class _Policies:
    """Policy documents by label, parsed once per user name (for ``${aws:username}``), errors reported once."""

    def __init__(self, run: _Run) -> None:
        self.run = run
        self.managed: dict[str, tuple[str, Any, Origin]] = {}
        self._cache: dict[tuple[str, str | None], list[Statement] | None] = {}

    def statements(self, label: str, document: Any, origin: Origin, account: str | None,
                   username: str | None) -> list[Statement]:
        uses_vars = "${" in (document if isinstance(document, str) else compact_json(document))
        key = (f"{origin.record} {label}", username if uses_vars else None)
        if key not in self._cache:
            try:
                doc = common.decode_document(document)
                self._cache[key] = parse_statements(doc, label, username)
            except ValueError as exc:
                self.run.fail(account, origin.error(f"{label}: {exc}"))
                self._cache[key] = None
        return self._cache[key] or []

    def attached(self, ref: Any, origin: Origin, account: str, username: str | None) -> list[Statement]:
        if not isinstance(ref, dict) or not isinstance(ref.get("PolicyArn"), str):
            self.run.fail(account, origin.error("AttachedManagedPolicies entry needs a PolicyArn"))
            return []
        arn = ref["PolicyArn"]
        if arn in self.managed:
            name, document, porigin = self.managed[arn]
            return self.statements(f"managed policy {name}", document, porigin, account, username)
        name = arn.rsplit("/", 1)[-1]
        if arn.startswith("arn:aws:iam::aws:policy/") and name in KNOWN_MANAGED:
            return self.statements(f"managed policy {name}", KNOWN_MANAGED[name], origin, account, username)
        self.run.warn(account, f"managed policy {arn} is attached but not in Policies; its permissions are "
                               "unknown (export without --filter, or include AWSManagedPolicy)")
        return []


def _inline(policies: _Policies, items: Any, kind: str, origin: Origin, account: str,
            username: str | None) -> list[Statement]:
    out = []
    for p in as_list(items):
        if not isinstance(p, dict) or "PolicyDocument" not in p:
            policies.run.fail(account, origin.error(f"{kind} entry needs a PolicyName and a PolicyDocument"))
            continue
        label = f"inline policy {p.get('PolicyName')}"
        out += policies.statements(label, p["PolicyDocument"], origin, account, username)
    return out


def _principal(path: Path, item: Any, section: str, i: int, kind: str) -> Principal | InputError:
    name_key = {"user": "UserName", "role": "RoleName", "group": "GroupName"}[kind]
    name = item.get(name_key) if isinstance(item, dict) else None
    origin = Origin(str(path), f"{section}[{i}]" + (f" ({name})" if isinstance(name, str) else ""))
    if not isinstance(item, dict):
        return origin.error("expected an object")
    try:
        name, arn_text = item[name_key], item["Arn"]
    except KeyError as exc:
        return origin.error(f"missing required {exc.args[0]!r}")
    arn = parse_arn(arn_text)
    if not isinstance(name, str) or arn is None or not common.ACCOUNT_ID.match(arn.account):
        return origin.error(f"Arn {arn_text!r} is not an IAM {kind} ARN")
    return Principal(kind, arn.account, name, arn.raw, origin, item)


# -- parse -----------------------------------------------------------------------------------------------

#: what a trust needs of a principal's record once its identity and grants are emitted
_TRUST_KEYS = ("UserId", "RoleId", "AssumeRolePolicyDocument")
_KINDS = {"UserDetailList": "user", "GroupDetailList": "group", "RoleDetailList": "role"}


@dataclass
class _Scan:
    """What the first pass over an export keeps: everything but the users' and roles' records."""

    present: list[str] = field(default_factory=list)  # sections, in the file's order
    occurrence: dict[str, int] = field(default_factory=dict)  # how often each section appeared
    accounts: dict[str, list[str]] = field(default_factory=dict)  # section -> accounts of its ARNs
    truncated: bool = False
    policies: list[tuple[Origin, Any]] = field(default_factory=list)  # (origin, (arn, name, doc) or error)
    groups: list[Principal | InputError] = field(default_factory=list)
    principals: dict[str, list[Principal | InputError]] = field(default_factory=dict)


def _scan(path: Path) -> _Scan:
    """Pass one: accounts, policies, groups, and which users and roles are readable (records dropped).

    A section named twice counts once, the last time, as a whole-document read would take it."""
    scan = _Scan()
    entries = stream.json_entries(path)
    if next(entries).value is not stream.OBJECT:
        raise _not_authz(path)
    for key, i, value in entries:
        if key == "IsTruncated" and i is None:
            scan.truncated = value is True
        if key not in SECTIONS:
            continue
        if i is None:
            if value is not stream.ARRAY and value is not None:
                raise InputError(path, key, f"expected a list, got {type(value).__name__}")
            if key in scan.present:
                scan.present.remove(key)
            scan.present.append(key)
            scan.occurrence[key] = scan.occurrence.get(key, 0) + 1
            scan.accounts[key] = []
            if key == "Policies":
                scan.policies = []
            elif key == "GroupDetailList":
                scan.groups = []
            else:
                scan.principals[key] = []
            continue
        arn = parse_arn(value.get("Arn")) if isinstance(value, dict) else None
        if arn and common.ACCOUNT_ID.match(arn.account) and arn.account not in scan.accounts[key]:
            scan.accounts[key].append(arn.account)
        if key == "Policies":
            scan.policies.append(_policy(path, value, i))
        elif key == "GroupDetailList":
            scan.groups.append(_principal(path, value, key, i, "group"))
        else:
            p = _principal(path, value, key, i, _KINDS[key])
            if isinstance(p, Principal):
                p.record = {}  # read again in pass two
            scan.principals[key].append(p)
    return scan


def _policy(path: Path, p: Any, i: int) -> tuple[Origin, Any]:
    origin = Origin(str(path), f"Policies[{i}]" + (f" ({p.get('PolicyName')})" if isinstance(p, dict) else ""))
    if not isinstance(p, dict) or not isinstance(p.get("Arn"), str):
        return origin, origin.error("a policy needs an Arn")
    document = _default_document(p)
    if document is None:
        return origin, origin.error("no default version document in PolicyVersionList")
    return origin, (p["Arn"], p.get("PolicyName") or p["Arn"], document)


def _not_authz(path: Path) -> InputError:
    return InputError(path, None, "not an `aws iam get-account-authorization-details` export: needs one of "
                                  + ", ".join(SECTIONS))


def parse(path: Path, scope: str | None = None, *, owner_role: str = common.DEFAULT_OWNER_ROLE) -> list[Batch]:
    """Parse one export into a batch per account (plus its tag batch). ``owner_role`` is the RACI role an
    ``owner``/``team`` tag gives (default implement).

    The file is read twice, an item at a time, and never held whole: pass one indexes the policies and groups
    and checks every user and role; pass two turns each user and role into records as it is read, keeping only
    what trust resolution needs (its statements, its unique id and its trust policy)."""
    scan = _scan(path)
    if not scan.present:
        raise _not_authz(path)
    run = _Run(path, scope, owner_role)
    accounts: list[str] = []
    for key in SECTIONS:
        accounts += [a for a in scan.accounts.get(key, []) if a not in accounts]
    if not accounts:
        account = common.account_from_path(path, scope)
        if account is None:
            raise InputError(path, None, "no user, group, role or policy ARN to take the account id from: name "
                                         "the file after the account (123456789012-authz.json) or pass "
                                         "--scope <account id>")
        accounts = [account]
    for account in accounts:
        run.batch(account)
    if scan.truncated:
        run.warn(None, "the export is truncated (IsTruncated): records may be missing; stale records are kept")
        for b in run.batches.values():
            b.partial = True

    policies = _Policies(run)
    for origin, got in scan.policies:
        if isinstance(got, InputError):
            run.fail(None, got)
        else:
            arn, name, document = got
            policies.managed[arn] = (name, document, origin)

    groups: dict[tuple[str, str], Principal] = {}
    for g in scan.groups:
        if isinstance(g, InputError):
            run.fail(None, g)
        else:
            groups[(g.account, g.name)] = g

    wanted: dict[tuple[str, int], Principal] = {}
    seen: set[str] = set()
    for section in ("UserDetailList", "RoleDetailList"):
        for i, p in enumerate(scan.principals.get(section, [])):
            if isinstance(p, InputError):
                run.fail(None, p)
            elif p.id in seen:
                run.fail(p.account, p.origin.error(f"duplicate {p.kind} {p.name!r}: reported twice in one export"))
            else:
                seen.add(p.id)
                wanted[(section, i)] = p

    emitted = []
    order = [k for k in ("UserDetailList", "RoleDetailList") if k in scan.present]
    in_file = [k for k in scan.present if k in order]
    # users before roles, as the AWS CLI writes them; a file with roles first is read once per section
    passes = [tuple(order)] if in_file == order else [(k,) for k in order]
    for sections in passes:
        counts: dict[str, int] = {}
        for key, i, item in stream.json_entries(path):
            if key not in sections:
                continue
            if i is None:
                counts[key] = counts.get(key, 0) + 1
                continue
            p = wanted.get((key, i))
            if p is None or counts[key] != scan.occurrence[key]:
                continue
            p.record = item
            _statements_of(run, policies, p, groups)
            if _emit_identity(run, p):  # a bad record (e.g. an unreadable CreateDate) is one error, no more
                _emit_grants(run, p)
                emitted.append(p)
            p.record = {k: item[k] for k in _TRUST_KEYS if k in item}
    _Trusts(run, emitted).resolve()
    return run.results()


def _statements_of(run: _Run, policies: _Policies, p: Principal, groups: dict[tuple[str, str], Principal]) -> None:
    username = p.name if p.kind == "user" else None
    rec, acct = p.record, p.account
    inline_key = "UserPolicyList" if p.kind == "user" else "RolePolicyList"
    st = _inline(policies, rec.get(inline_key), inline_key, p.origin, acct, username)
    for ref in as_list(rec.get("AttachedManagedPolicies")):
        st += policies.attached(ref, p.origin, acct, username)
    for gname in as_list(rec.get("GroupList")) if p.kind == "user" else []:
        g = groups.get((acct, gname)) if isinstance(gname, str) else None
        if g is None:
            run.warn(acct, f"{p.origin.record}: group {gname!r} is not in GroupDetailList; its policies are "
                           "unknown")
            continue
        st += _inline(policies, g.record.get("GroupPolicyList"), "GroupPolicyList", g.origin, acct, username)
        for ref in as_list(g.record.get("AttachedManagedPolicies")):
            st += policies.attached(ref, g.origin, acct, username)
    p.statements = st


def _emit_identity(run: _Run, p: Principal) -> bool:
    rec = p.record
    tags = common.tag_pairs(rec.get("Tags"))
    last_used = rec.get("RoleLastUsed") if isinstance(rec.get("RoleLastUsed"), dict) else {}
    node = {"label": "Identity", "id": p.id, "kind": f"iam_{p.kind}", "name": p.name, "provider_id": p.arn,
            "created_at": rec.get("CreateDate"), "last_used_at": last_used.get("LastUsedDate"),
            "external": False, "description": rec.get("Description") if isinstance(rec.get("Description"), str)
            else None, **common.tag_properties(tags)}
    if not run.node(p.account, node, p.origin):
        return False
    run.edge(p.account, {"type": "PART_OF", "start": p.id, "end": ids.aws_account(p.account)}, p.origin)
    common.add_tag_links(run.tag_batches[p.account], p.id, tags, p.origin, run.owner_role)
    return True


def _is_role_use_on_role(pair: Pair, arn: Arn | None) -> bool:
    return (arn is not None and arn.service == "iam" and arn.resource_type == "role"
            and pair.action in ROLE_USE_ACTIONS)


def _emit_grants(run: _Run, p: Principal) -> None:
    acct = p.account
    grants: dict[str, dict[str, Any]] = {}
    for pair in allowed_pairs(p.statements):
        level = level_of(pair)
        target = target_of(pair, level)
        if target is None:
            run.warn(acct, f"{p.origin.record}: resource {pair.resource!r} is not an ARN; ignored")
            continue
        if target.what == "account":
            end = ids.aws_account(acct)
        elif target.what == "wildcard":
            end = wildcard_id(acct, target.service)
            run.node(acct, {"label": "Resource", "id": end, "kind": "account_wildcard",
                            "name": f"every {target.service} resource in {acct}"}, p.origin)
            run.edge(acct, {"type": "PART_OF", "start": end, "end": ids.aws_account(acct)}, p.origin)
        else:
            assert target.arn is not None
            if _is_role_use_on_role(pair, target.arn):
                continue  # an assumption path: CAN_ASSUME where the role's trust allows it
            end, name = canonical_resource(target.arn)
            run.node(acct, {"label": "Resource", "id": end, "kind": resource_kind(target.arn), "name": name,
                            "provider_id": end}, p.origin)
            if target.arn.account in ("", acct):
                run.edge(acct, {"type": "PART_OF", "start": end, "end": ids.aws_account(acct)}, p.origin)
        g = grants.setdefault(end, {"rank": 0, "actions": set(), "at_rank": []})
        g["actions"].add(pair.written)
        g["actions"].update(pair.excluded)
        rank = LEVEL_RANK[level]
        if rank > g["rank"]:
            g["rank"], g["at_rank"] = rank, []
        if rank == g["rank"]:
            g["at_rank"].append(pair)
    levels = {v: k for k, v in LEVEL_RANK.items()}
    for end, g in grants.items():
        at = g["at_rank"]
        edge = {"type": "HAS_ACCESS", "start": p.id, "end": end, "level": levels[g["rank"]],
                "actions": sorted(g["actions"]), "condition": condition_json([x.condition for x in at])}
        if all(x.human_only for x in at):
            edge["human_only"] = True
        run.edge(acct, edge, p.origin)


# -- trust and PassRole ----------------------------------------------------------------------------------


def _has_external_id(cond: dict[str, Any] | None) -> bool:
    return any(k == "sts:externalid" for _, k, _ in condition_keys(cond or {}))


def _oidc_checked(cond: dict[str, Any] | None, url: str) -> bool:
    """An OIDC trust checks who the workload is: a condition on the provider's ``sub`` claim (``aud`` for
    Cognito identity pools, whose identities are all of one pool)."""
    claim = "aud" if url.startswith("cognito-identity.amazonaws.com") else "sub"
    return any(k == f"{url.lower()}:{claim}" for _, k, _ in condition_keys(cond or {}))


class _Trusts:
    """Resolves every role's trust policy, then PassRole paths, into CAN_ASSUME edges."""

    def __init__(self, run: _Run, principals: list[Principal]) -> None:
        self.run = run
        self.principals = principals
        self.by_name = {(p.account, p.kind, p.name): p for p in principals}
        self.by_unique_id = {}
        for p in principals:
            uid = p.record.get("UserId" if p.kind == "user" else "RoleId")
            if isinstance(uid, str):
                self.by_unique_id[uid] = p
        self.accounts = set(run.batches)
        self._hubs: set[tuple[str, str]] = set()
        #: each principal's statements about sts:AssumeRole, checked per trust
        self.assume_statements = {p.id: [st for st in p.statements if st.matches_action(ASSUME)]
                                  for p in principals}
        #: the principals that may call sts:AssumeRole on something at all (the candidates of a broad trust)
        self.assumers = [p for p in principals
                         if any(st.effect == "Allow" for st in self.assume_statements[p.id])]
        #: role id -> service principals its trust allows
        self.services: dict[str, set[str]] = {}
        #: (account, service principal) -> roles of the account that trust it, with the trust's condition
        self.trusting: dict[tuple[str, str], list[tuple[Principal, dict[str, Any] | None]]] = {}
        #: (start, end) -> edge properties gathered from every statement that gives it
        self.edges: dict[tuple[str, str], dict[str, Any]] = {}

    def resolve(self) -> None:
        for r in self.principals:
            if r.kind == "role":
                self._role(r)
        for p in self.principals:
            self._passrole(p)
        for (start, end), e in self.edges.items():
            edge = {"type": "CAN_ASSUME", "start": start, "end": end, "via": e["via"],
                    "condition": _any_of_json(e["conditions"])}
            if e["external_id"] is not None:
                edge["external_id_required"] = e["external_id"]
            self.run.edge(e["account"], edge, e["origin"])

    def _add(self, start: str, role: Principal, via: str, condition: Any, external_id: bool | None) -> None:
        self._add_to(start, role.id, role.account, role.origin, via, condition, external_id)

    def _add_to(self, start: str, end: str, account: str, origin: Origin, via: str, condition: Any,
                external_id: bool | None) -> None:
        e = self.edges.get((start, end))
        if e is None:
            self.edges[(start, end)] = {"account": account, "origin": origin, "via": via,
                                        "conditions": [condition], "external_id": external_id}
            return
        if e["via"] != via and via == "passrole":
            return  # a direct trust already gives this path
        e["conditions"].append(condition)
        if external_id is not None:
            e["external_id"] = external_id if e["external_id"] is None else e["external_id"] and external_id

    # one role's trust policy
    def _role(self, r: Principal) -> None:
        raw = r.record.get("AssumeRolePolicyDocument")
        if raw is None:
            return
        try:
            doc = common.decode_document(raw)
            statements = as_list(doc.get("Statement"))
            if not all(isinstance(s, dict) for s in statements):
                raise ValueError("every statement must be an object")
        except ValueError as exc:
            self.run.fail(r.account, r.origin.error(f"AssumeRolePolicyDocument: {exc}"))
            return
        denied: set[tuple[str, str]] = set()
        for s in statements:
            if s.get("Effect") == "Deny" and s.get("Condition") is None and self._assume_actions(s):
                for ptype, value in self._principal_values(s.get("Principal")):
                    denied.add((ptype, value))
        if ("AWS", "*") in denied:
            return
        for s in statements:
            if s.get("Effect") != "Allow":
                continue
            actions = self._assume_actions(s)
            if not actions:
                continue
            cond = s.get("Condition") if isinstance(s.get("Condition"), dict) else None
            if "NotPrincipal" in s:
                self._anyone(r, {"NotPrincipal": s["NotPrincipal"], **(cond or {})})
                continue
            for ptype, value in self._principal_values(s.get("Principal")):
                if (ptype, value) in denied:
                    continue
                if ptype == "AWS" and ASSUME in actions:
                    self._aws(r, value, cond)
                elif ptype == "Service" and ASSUME in actions:
                    self.services.setdefault(r.id, set()).add(value.lower())
                    self.trusting.setdefault((r.account, value.lower()), []).append((r, cond))
                    self._service(r, value, cond)
                elif ptype == "Federated" and actions & {WEB_IDENTITY, SAML}:
                    self._federated(r, value, cond, actions)
                elif ptype not in ("AWS", "Service", "Federated"):
                    self.run.warn(r.account, f"{r.origin.record}: trust principal type {ptype!r} is not "
                                             "supported; ignored")

    @staticmethod
    def _assume_actions(s: dict[str, Any]) -> set[str]:
        acts = [a.lower() for a in as_list(s.get("Action", s.get("NotAction"))) if isinstance(a, str)]
        hits = {a for a in (ASSUME, WEB_IDENTITY, SAML) if any(glob(p, a) for p in acts)}
        return {a for a in (ASSUME, WEB_IDENTITY, SAML) if a not in hits} if "NotAction" in s else hits

    @staticmethod
    def _principal_values(principal: Any) -> list[tuple[str, str]]:
        if principal == "*":
            return [("AWS", "*")]
        if not isinstance(principal, dict):
            return []
        return [(ptype, v.strip()) for ptype, values in principal.items() for v in as_list(values)
                if isinstance(v, str)]

    def _aws(self, r: Principal, value: str, cond: dict[str, Any] | None) -> None:
        acct = r.account
        if value == "*":
            self._anyone(r, cond)
            return
        if common.ACCOUNT_ID.match(value):
            self._account(r, value, cond)
            return
        arn = parse_arn(value)
        if arn is None:
            p = self.by_unique_id.get(value)
            if p is None:
                self.run.warn(acct, f"{r.origin.record}: trust principal {value!r} is a unique id of a deleted "
                                    "user or role; ignored")
                return
            self._specific(r, p.account, p.kind, p.name, p.arn, cond)
            return
        if arn.service == "iam" and arn.resource == "root":
            self._account(r, arn.account, cond)
        elif arn.service == "iam" and arn.resource_type in ("user", "role"):
            self._specific(r, arn.account, arn.resource_type, arn.name, arn.raw, cond)
        elif arn.service == "sts" and arn.resource_type == "assumed-role":
            parts = arn.resource.split("/")
            if len(parts) > 2:  # only that session of the role: kept as the equivalent condition
                equals = cond.get("StringEquals") if cond and isinstance(cond.get("StringEquals"), dict) else {}
                cond = {**(cond or {}), "StringEquals": {**equals, "sts:RoleSessionName": parts[2]}}
            role_arn = f"arn:{arn.partition}:iam::{arn.account}:role/{parts[1]}"
            self._specific(r, arn.account, "role", parts[1], role_arn, cond)
        else:
            self.run.warn(acct, f"{r.origin.record}: trust principal {value!r} is not a user, role or account; "
                                "ignored")

    def _specific(self, r: Principal, account: str, kind: str, name: str, arn: str,
                  cond: dict[str, Any] | None) -> None:
        p = self.by_name.get((account, kind, name))
        ext_id = _has_external_id(cond)
        if p is not None:
            if p.account != r.account:  # cross-account: the caller's own policies must allow it too
                ok, icond, human = allows(self.assume_statements[p.id], ASSUME, r.arn)
                if not ok:
                    return
                self._add(p.id, r, "trust", all_of(_json(cond), icond, _MFA_BLOCK if human else None), ext_id)
            else:
                self._add(p.id, r, "trust", cond, ext_id)
            return
        start = ids.aws_principal(account, kind, name)
        origin = r.origin
        if account in self.accounts:  # a principal of an exported account, missing from the export
            self.run.node(r.account, {"label": "Identity", "id": start, "kind": f"iam_{kind}", "name": name,
                                      "provider_id": arn, "external": False}, origin, stub=True)
            self.run.edge(r.account, {"type": "PART_OF", "start": start, "end": ids.aws_account(account)}, origin)
        else:
            self._external_account(r, account)
            self.run.node(r.account, {"label": "Identity", "id": start, "kind": f"iam_{kind}", "name": name,
                                      "provider_id": arn, "external": True}, origin, stub=True)
            self.run.edge(r.account, {"type": "PART_OF", "start": start, "end": ids.aws_account(account)}, origin)
        self._add(start, r, "trust", cond, ext_id)

    def _external_account(self, r: Principal, account: str) -> str:
        """A trusted account outside the file: an external System stub, and a Vendor stub holding the role."""
        system, vendor = common.external_account_node(account), common.vendor_node(account)
        self.run.node(r.account, system, r.origin, stub=True)
        self.run.node(r.account, vendor, r.origin, stub=True)
        self.run.edge(r.account, {"type": "HOLDS", "start": vendor["id"], "end": r.id}, r.origin)
        return system["id"]

    def _account(self, r: Principal, account: str, cond: dict[str, Any] | None) -> None:
        ext_id = _has_external_id(cond)
        if account not in self.accounts:
            self._add(self._external_account(r, account), r, "trust", cond, ext_id)
            return
        for p in self.assumers:
            if p.account == account and p.id != r.id:
                ok, icond, human = allows(self.assume_statements[p.id], ASSUME, r.arn)
                if ok:
                    self._add(p.id, r, "trust", all_of(_json(cond), icond, _MFA_BLOCK if human else None), ext_id)

    def _anyone(self, r: Principal, cond: dict[str, Any] | None) -> None:
        self.run.node(r.account, {"label": "System", "id": ANYONE, "kind": "other", "name": "any AWS principal",
                                  "platform": "AWS", "external": True,
                                  "description": 'anyone with AWS credentials ("AWS": "*" in a trust policy)'},
                      r.origin)
        ext_id = _has_external_id(cond)
        self._add(ANYONE, r, "trust", cond, ext_id)
        for p in self.assumers:
            if p.id != r.id:
                ok, icond, human = allows(self.assume_statements[p.id], ASSUME, r.arn)
                if ok:
                    self._add(p.id, r, "trust", all_of(_json(cond), icond, _MFA_BLOCK if human else None), ext_id)

    def _service(self, r: Principal, service: str, cond: dict[str, Any] | None) -> None:
        sid = f"aws:service:{service.lower()}"
        self.run.node(r.account, {"label": "System", "id": sid, "kind": "other", "name": service.lower(),
                                  "platform": "AWS", "external": False,
                                  "description": "AWS service principal: the service assumes roles that trust it"},
                      r.origin)
        self._add(sid, r, "trust", cond, None)

    def _federated(self, r: Principal, value: str, cond: dict[str, Any] | None, actions: set[str]) -> None:
        arn = parse_arn(value)
        if arn is not None and arn.resource.startswith("saml-provider/"):
            pid = f"aws:{arn.account}:{arn.resource}"
            node = {"label": "System", "id": pid, "kind": "other", "name": arn.name, "provider_id": arn.raw,
                    "platform": "SAML", "external": False, "description": "SAML identity provider"}
            via, ext_id = "trust", None
        else:
            url = arn.resource.split("/", 1)[1] if arn is not None and "/" in arn.resource else value
            host = url.split("/", 1)[0].lower()
            if arn is not None:
                pid = f"aws:{arn.account}:oidc-provider/{url}"
            else:
                pid = f"aws:federated:{url}"
            platform = ("GitHub Actions" if host == "token.actions.githubusercontent.com"
                        else "Amazon EKS" if host.startswith("oidc.eks.") else host)
            external = not (host.startswith("oidc.eks.") or host == "cognito-identity.amazonaws.com")
            node = {"label": "System", "id": pid, "kind": "oidc_provider", "name": url,
                    "provider_id": arn.raw if arn is not None else url, "platform": platform, "external": external,
                    "description": "OIDC identity provider"}
            via, ext_id = "oidc", _oidc_checked(cond, url)
        self.run.node(r.account, node, r.origin)
        if arn is not None and arn.account in self.accounts:
            self.run.edge(r.account, {"type": "PART_OF", "start": pid, "end": ids.aws_account(arn.account)},
                          r.origin)
        self._add(pid, r, via, cond, ext_id)

    # PassRole
    def _passrole(self, p: Principal) -> None:
        """CAN_ASSUME via passrole. Who may pass *every* role of the account (no Deny on PassRole) goes
        through one workload node per service (``aws:<account>:workload/<service>``), which assumes each
        role trusting the service: edges grow with principals plus roles, not their product."""
        services = {svc for action, svc in PASSROLE_COMPUTE.items() if allows_anywhere(p.statements, action)}
        if not services or not allows_anywhere(p.statements, "iam:PassRole"):
            return
        partition = (parse_arn(p.arn) or Arn("", "aws", "", "", "", "")).partition
        any_role = f"arn:{partition}:iam::{p.account}:role/*"
        denied = any(st.effect == "Deny" and st.matches_action("iam:passrole") for st in p.statements)
        ok, cond, _ = allows(p.statements, "iam:PassRole", any_role)
        direct = set()
        for svc in sorted(services):
            if not any(r.id != p.id for r, _ in self.trusting.get((p.account, svc), ())):
                continue
            if ok and not denied and _passable_to(p.statements, any_role, {svc}):
                hub = self._workload(p.account, svc, p.origin)
                self._add_to(p.id, hub, p.account, p.origin, "passrole", cond, None)
            else:
                direct.add(svc)
        for svc in sorted(direct):
            for r, _ in self.trusting[(p.account, svc)]:
                if r.id == p.id:
                    continue
                rok, rcond, _ = allows(p.statements, "iam:PassRole", r.arn)
                if rok and _passable_to(p.statements, r.arn, {svc}):
                    self._add(p.id, r, "passrole", rcond, None)

    def _workload(self, account: str, service: str, origin: Origin) -> str:
        """The code a compute service runs in the account as a role passed to it."""
        hub = f"{ids.aws_account(account)}:workload/{service}"
        if (account, service) in self._hubs:
            return hub
        self._hubs.add((account, service))
        self.run.node(account, {"label": "Identity", "id": hub, "kind": "workload",
                                "name": f"{service} workloads in {account}", "external": False,
                                "description": f"code {service} runs as a role passed to it (iam:PassRole): "
                                               "whoever may create it can act as every role trusting the "
                                               "service"}, origin)
        self.run.edge(account, {"type": "PART_OF", "start": hub, "end": ids.aws_account(account)}, origin)
        for r, cond in self.trusting[(account, service)]:
            self._add_to(hub, r.id, account, r.origin, "passrole", cond, None)
        return hub


def _passable_to(statements: list[Statement], role_arn: str, services: set[str]) -> bool:
    """Whether some statement allowing iam:PassRole on the role lets it go to one of the services
    (an ``iam:PassedToService`` condition restricts where it may go)."""
    for st in statements:
        if st.effect != "Allow" or not st.matches_action("iam:passrole") or not st.matches_resource(role_arn):
            continue
        targets = [v for op, k, vals in condition_keys(st.condition or {}) if k == "iam:passedtoservice" for v in vals]
        if not targets or any(glob(t, s) for t in targets for s in services):
            return True
    return False


def _json(cond: dict[str, Any] | None) -> str | None:
    return compact_json(cond) if cond else None


def _any_of_json(conditions: list[Any]) -> str | None:
    """Alternatives that are JSON text or condition objects, as one condition (None if any is unconditional)."""
    if any(c is None for c in conditions):
        return None
    texts = sorted({c if isinstance(c, str) else compact_json(c) for c in conditions})
    return texts[0] if len(texts) == 1 else '{"AnyOf":[' + ",".join(texts) + "]}"


def _detect(path: Path, head: bytes) -> bool:
    if not looks_like_json(head):
        return False
    return (any(k in head for k in (b'"UserDetailList"', b'"RoleDetailList"', b'"GroupDetailList"'))
            or (b'"Policies"' in head and b'"PolicyVersionList"' in head))


FORMAT = Format("aws-iam-authorization-details", "AWS IAM users, roles, groups and policies",
                "`aws iam get-account-authorization-details --output json > 123456789012-authz.json` "
                "(one file per account; the account id is taken from the ARNs)", _detect, parse)
