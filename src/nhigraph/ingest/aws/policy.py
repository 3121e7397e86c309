"""IAM policy evaluation, as far as an offline graph needs it: which actions an identity may call on which
resources, and at what level.

Rules (also in ``tests/fixtures/aws/README.md``):

- **Matching.** Actions match case-insensitively, resources case-sensitively, with ``*`` and ``?`` anywhere
  (a ``*`` may span ``:`` and ``/``, which over-approximates IAM's per-segment rule). ``${aws:username}`` in
  a resource is the user's name; any other policy variable matches anything.
- **Allow.** Every Allow statement gives (action, resource) pairs. ``NotResource`` counts as ``*``
  (over-approximation); ``NotAction`` is ``*`` minus the listed actions.
- **Deny.** An unconditional Deny removes an allowed pair when its actions and resources cover the pair's
  (exact or wildcard: ``s3:*`` covers ``s3:Get*``, ``*`` covers everything). A Deny that covers only part of an
  ``*`` grant is kept as an exclusion (``!iam:*`` in ``actions``). Other partial overlaps (Deny ``s3:Get*`` on
  an Allow ``s3:*``) are not subtracted, and a conditional Deny is not applied (it may not hold), except a
  Deny unless MFA is present (``BoolIfExists aws:MultiFactorAuthPresent false``, ``Null
  aws:MultiFactorAuthAge true``), which makes what it covers ``human_only``. Permission boundaries, SCPs,
  session policies and resource policies are not evaluated.
- **Level.** ``*``, ``service:*`` and IAM actions that grant permissions or take over another principal
  (:data:`ESCALATION`) are *admin*; actions whose name starts with a read verb (:data:`READ_VERBS`: Get, List,
  Describe, ...) are *read*; every other action (Put, Create, Delete, Update, Invoke, ...) is *write*. A
  pattern like ``s3:Get*`` takes the level of its literal prefix; ``s3:*Object`` is write.
- **Target.** ``*`` (on every service), ``iam:*`` and escalation actions on every resource, and NotAction
  grants are on the account itself (its ``System``). Other grants on ``*`` or on a wildcard ARN go to the
  account's wildcard resource for the service (``aws:<account>:wildcard/<service>``). A concrete ARN is a
  ``Resource`` keyed by its ARN, trimmed to the resource that holds it (an S3 object to its bucket, a
  DynamoDB index to its table, a Lambda alias to its function).
- **Conditions.** A grant keeps its statement's ``Condition`` as JSON; several conditional statements giving
  the same grant are ``{"AnyOf": [...]}``; an unconditional one wins. ``Bool aws:MultiFactorAuthPresent
  true`` (or ``Null aws:MultiFactorAuthAge false``, ``NumericLessThan aws:MultiFactorAuthAge``) makes the
  grant ``human_only``: access keys alone cannot use it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .common import Arn, as_list, compact_json, parse_arn

LEVEL_RANK = {"read": 1, "write": 2, "admin": 3}

#: action names (lower case, without the service) starting with these are read-only
READ_VERBS = ("get", "list", "describe", "head", "batchget", "query", "scan", "select", "search", "lookup",
              "view", "read", "download", "filter", "receive", "retrieve", "check", "validate", "estimate",
              "preview", "verify", "decrypt", "gitpull")

#: IAM actions that grant permissions or take over another principal: admin on what they apply to
ESCALATION = ("iam:attachuserpolicy", "iam:attachgrouppolicy", "iam:attachrolepolicy", "iam:putuserpolicy",
              "iam:putgrouppolicy", "iam:putrolepolicy", "iam:createpolicyversion", "iam:setdefaultpolicyversion",
              "iam:addusertogroup", "iam:updateassumerolepolicy", "iam:createaccesskey",
              "iam:createloginprofile", "iam:updateloginprofile", "iam:putuserpermissionsboundary",
              "iam:putrolepermissionsboundary", "iam:deleteuserpermissionsboundary",
              "iam:deleterolepermissionsboundary")

#: actions whose grant on a specific role is an assumption path, shown as CAN_ASSUME, not HAS_ACCESS
ROLE_USE_ACTIONS = ("sts:assumerole", "sts:assumerolewithwebidentity", "sts:assumerolewithsaml",
                    "sts:tagsession", "sts:setsourceidentity", "iam:passrole")

_MFA_KEYS = ("aws:multifactorauthpresent", "aws:multifactorauthage")


@lru_cache(maxsize=65536)
def _rx(pattern: str, fold: bool) -> re.Pattern[str]:
    out = []
    for ch in pattern:
        out.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
    return re.compile("".join(out), re.S | (re.I if fold else 0))


def glob(pattern: str, value: str, fold: bool = False) -> bool:
    """IAM wildcard match: ``*`` any run of characters, ``?`` one character."""
    return _rx(pattern, fold).fullmatch(value) is not None


def has_wildcard(value: str) -> bool:
    return "*" in value or "?" in value


_VAR = re.compile(r"\$\{[^}]*\}")


def resolve_variables(resource: str, username: str | None) -> str:
    if "${" not in resource:
        return resource

    def sub(m: re.Match[str]) -> str:
        if m.group(0).lower() == "${aws:username}" and username:
            return username
        return "*"

    return _VAR.sub(sub, resource)


@dataclass(frozen=True)
class Statement:
    """One statement of an identity policy, normalised."""

    effect: str
    #: action patterns in lower case (``*`` for a NotAction statement, with :attr:`excluded`)
    actions: tuple[str, ...]
    #: the patterns as written, for the ``actions`` property
    written: tuple[str, ...]
    not_action: bool
    resources: tuple[str, ...]
    not_resource: bool
    condition: dict[str, Any] | None
    policy: str

    def matches_action(self, action: str) -> bool:
        hit = any(glob(p, action, fold=True) for p in self.actions)
        return not hit if self.not_action else hit

    def matches_resource(self, resource: str) -> bool:
        hit = any(glob(p, resource) for p in self.resources)
        return not hit if self.not_resource else hit


def parse_statements(doc: dict[str, Any], policy: str, username: str | None = None) -> list[Statement]:
    """The statements of an identity policy document; raises ValueError naming what is wrong."""
    out = []
    for i, st in enumerate(as_list(doc.get("Statement"))):
        where = f"statement {i + 1}" + (f" ({st.get('Sid')})" if isinstance(st, dict) and st.get("Sid") else "")
        if not isinstance(st, dict):
            raise ValueError(f"{where} is not an object")
        effect = st.get("Effect")
        if effect not in ("Allow", "Deny"):
            raise ValueError(f"{where}: Effect must be Allow or Deny, got {effect!r}")
        if ("Action" in st) == ("NotAction" in st):
            raise ValueError(f"{where}: needs exactly one of Action and NotAction")
        if ("Resource" in st) == ("NotResource" in st):
            raise ValueError(f"{where}: needs exactly one of Resource and NotResource")
        acts = as_list(st.get("Action", st.get("NotAction")))
        ress = as_list(st.get("Resource", st.get("NotResource")))
        if not all(isinstance(a, str) for a in acts) or not all(isinstance(r, str) for r in ress):
            raise ValueError(f"{where}: actions and resources must be strings")
        cond = st.get("Condition")
        if cond is not None and not isinstance(cond, dict):
            raise ValueError(f"{where}: Condition must be an object")
        out.append(Statement(effect, tuple(a.strip().lower() for a in acts), tuple(a.strip() for a in acts),
                             "NotAction" in st,
                             tuple(resolve_variables(r.strip(), username) for r in ress), "NotResource" in st,
                             cond or None, policy))
    return out


# -- conditions ------------------------------------------------------------------------------------------


def condition_keys(cond: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    """(operator, key, values) triples of a Condition block, operator and key in lower case."""
    out = []
    for op, kv in cond.items():
        if isinstance(kv, dict):
            for k, v in kv.items():
                out.append((str(op).lower(), str(k).lower(), [str(x).lower() for x in as_list(v)]))
    return out


def requires_mfa(cond: dict[str, Any] | None) -> bool:
    """An Allow condition that only holds for a session signed in with MFA."""
    for op, key, values in condition_keys(cond or {}):
        if key == "aws:multifactorauthpresent" and op == "bool" and values == ["true"]:
            return True
        if key == "aws:multifactorauthage" and ((op == "null" and values == ["false"])
                                                or op.startswith("numericless")):
            return True
    return False


def denies_without_mfa(cond: dict[str, Any] | None) -> bool:
    """A Deny condition made only of 'no MFA' checks (it denies access keys, not people with MFA)."""
    triples = condition_keys(cond or {})
    if not triples or any(k not in _MFA_KEYS for _, k, _ in triples):
        return False
    return any((k == "aws:multifactorauthpresent" and op == "boolifexists" and v == ["false"])
               or (k == "aws:multifactorauthage" and op == "null" and v == ["true"]) for op, k, v in triples)


def condition_json(conditions: list[dict[str, Any] | None]) -> str | None:
    """One condition, or ``{"AnyOf": [...]}`` for alternatives; None when any alternative is unconditional."""
    if not conditions or any(c is None for c in conditions):
        return None
    unique = sorted({compact_json(c) for c in conditions})
    if len(unique) == 1:
        return unique[0]
    return '{"AnyOf":[' + ",".join(unique) + "]}"


def all_of(*parts: str | None) -> str | None:
    """Conditions that must all hold, as ``{"AllOf": [...]}`` (or the only one)."""
    present = [p for p in parts if p]
    if not present:
        return None
    if len(present) == 1:
        return present[0]
    return '{"AllOf":[' + ",".join(present) + "]}"


# -- grants ----------------------------------------------------------------------------------------------


@dataclass
class Pair:
    """One allowed (action, resource) after the Denies."""

    action: str  # lower case pattern
    written: str
    resource: str
    condition: dict[str, Any] | None
    human_only: bool
    excluded: list[str] = field(default_factory=list)


def _deny_covers_action(deny: Statement, pair: Pair) -> bool:
    if pair.excluded or pair.action == "*":
        return not deny.not_action and "*" in deny.actions
    if deny.not_action:
        return not has_wildcard(pair.action) and not any(glob(p, pair.action, fold=True) for p in deny.actions)
    return any(glob(p, pair.action, fold=True) for p in deny.actions)


def _deny_touches_action(deny: Statement, pair: Pair) -> bool:
    """Whether a Deny applies to some of a pair's actions (for marking, not removing)."""
    if deny.not_action:
        return pair.action == "*" or not any(glob(p, pair.action, fold=True) for p in deny.actions)
    return any(glob(p, pair.action, fold=True) or glob(pair.action, p, fold=True) for p in deny.actions)


def _deny_covers_resource(deny: Statement, resource: str) -> bool:
    if deny.not_resource:
        return not has_wildcard(resource) and not any(glob(p, resource) for p in deny.resources)
    return any(glob(p, resource) for p in deny.resources)


def allowed_pairs(statements: list[Statement]) -> list[Pair]:
    """Every allowed (action, resource) pair, after Denies (see the module rules)."""
    denies = [s for s in statements if s.effect == "Deny"]
    pairs: list[Pair] = []
    for st in statements:
        if st.effect != "Allow":
            continue
        resources = ("*",) if st.not_resource else st.resources
        human = requires_mfa(st.condition)
        if st.not_action:
            grants = [Pair("*", "*", r, st.condition, human, [f"!{a}" for a in st.written]) for r in resources]
        else:
            grants = [Pair(a, w, r, st.condition, human) for a, w in zip(st.actions, st.written) for r in resources]
        for pair in grants:
            removed = False
            for d in denies:
                if not _deny_covers_resource(d, pair.resource):
                    continue
                if d.condition is None:
                    if _deny_covers_action(d, pair):
                        removed = True
                        break
                    if pair.action == "*" and not d.not_action:
                        pair.excluded += [f"!{w}" for w in d.written if f"!{w}" not in pair.excluded]
                elif denies_without_mfa(d.condition) and _deny_touches_action(d, pair):
                    pair.human_only = True
            if not removed:
                pairs.append(pair)
    return pairs


def allows(statements: list[Statement], action: str, resource: str) -> tuple[bool, str | None, bool]:
    """(allowed, condition JSON, human only) for one concrete action on one concrete resource."""
    action = action.lower()
    conds: list[dict[str, Any] | None] = []
    human = []
    for st in statements:
        if st.effect == "Allow" and st.matches_action(action) and st.matches_resource(resource):
            conds.append(st.condition)
            human.append(requires_mfa(st.condition))
    if not conds:
        return False, None, False
    mfa_deny = False
    for st in statements:
        if st.effect == "Deny" and st.matches_action(action) and st.matches_resource(resource):
            if st.condition is None:
                return False, None, False
            if denies_without_mfa(st.condition):
                mfa_deny = True
    return True, condition_json(conds), mfa_deny or all(human)


def allows_anywhere(statements: list[Statement], action: str) -> bool:
    """Whether an action is allowed on some resource (an Allow matches it and no unconditional Deny on
    ``*`` removes it)."""
    action = action.lower()
    if not any(st.effect == "Allow" and st.matches_action(action) for st in statements):
        return False
    return not any(st.effect == "Deny" and st.condition is None and st.matches_action(action)
                   and not st.not_resource and "*" in st.resources for st in statements)


def level_of(pair: Pair) -> str:
    if pair.action == "*":
        if any(not any(glob(x[1:], e, fold=True) for x in pair.excluded) for e in ESCALATION):
            return "admin"
        return "write"
    service, _, verb = pair.action.partition(":")
    if verb == "*":
        return "admin"
    if service == "iam" and any(glob(pair.action, e, fold=True) for e in ESCALATION):
        return "admin"
    prefix = re.split(r"[*?]", verb, 1)[0]
    if prefix and any(prefix.startswith(v) for v in READ_VERBS):
        return "read"
    return "write"


# -- targets ---------------------------------------------------------------------------------------------

#: (service, resource type) -> Resource kind; a service alone applies to every type
_KINDS: dict[tuple[str, str | None], str] = {
    ("s3", None): "bucket", ("dynamodb", None): "database", ("rds", "db"): "database",
    ("rds", "cluster"): "database", ("rds-db", None): "database", ("redshift", "cluster"): "database",
    ("dax", None): "database", ("sqs", None): "queue", ("sns", None): "topic", ("kinesis", None): "queue",
    ("lambda", "function"): "function", ("ec2", "instance"): "vm", ("eks", "cluster"): "cluster",
    ("ecs", "cluster"): "cluster", ("secretsmanager", None): "secret_path", ("ssm", "parameter"): "secret_path",
    ("execute-api", None): "api", ("apigateway", None): "api", ("glue", "database"): "dataset",
    ("glue", "table"): "dataset", ("codecommit", None): "repo", ("ecr", "repository"): "repo",
    ("kms", None): "other",
}


def resource_kind(arn: Arn) -> str:
    return _KINDS.get((arn.service, arn.resource_type), _KINDS.get((arn.service, None), "other"))


def canonical_resource(arn: Arn) -> tuple[str, str]:
    """(id, name) of the resource an ARN points into: an S3 object's bucket, a table's index's table, ..."""
    base = f"arn:{arn.partition}:{arn.service}:{arn.region}:{arn.account}:"
    res = arn.resource
    if arn.service == "s3" and not arn.region and not arn.account:
        bucket = res.split("/", 1)[0]
        return base + bucket, bucket
    if arn.service == "dynamodb" and res.startswith("table/"):
        res = "/".join(res.split("/")[:2])
    elif arn.service == "lambda" and res.startswith("function:"):
        res = ":".join(res.split(":")[:2])
    name = re.split(r"[/:]", res)[-1] or res
    return base + res, name


def wildcard_id(account: str, service: str) -> str:
    return f"aws:{account}:wildcard/{service}"


@dataclass(frozen=True)
class Target:
    """Where a grant lands: ``account`` (the System), ``wildcard`` (per service) or ``resource`` (an ARN)."""

    what: str
    service: str = ""
    arn: Arn | None = None


def target_of(pair: Pair, level: str) -> Target | None:
    """Where an allowed pair lands (see the module rules); None for a resource that is not an ARN."""
    service = pair.action.partition(":")[0] if pair.action != "*" else "*"
    every_service = pair.action == "*" or has_wildcard(service)
    r = pair.resource
    arn = parse_arn(r) if r != "*" else None
    if r != "*" and arn is None:
        return None
    anything = r == "*" or (arn is not None and (has_wildcard(arn.service) or arn.service == ""))
    if anything or (arn is not None and has_wildcard(arn.resource) and arn.service == "iam"):
        if every_service or (service == "iam" and level == "admin"):
            return Target("account")
        if anything:
            return Target("wildcard", service)
    assert arn is not None
    if has_wildcard(arn.raw):
        canon, _ = canonical_resource(arn)
        if arn.service == "s3" and not has_wildcard(canon):
            return Target("resource", "s3", parse_arn(canon))
        return Target("wildcard", arn.service)
    return Target("resource", arn.service, arn)
