"""HashiCorp Vault: auth methods, auth roles, ACL policies and KV v2 metadata (never secret values).

Vault's CLI output does not say which cluster, mount or path it was read from, so the file name carries
it: ``CLUSTER__`` followed by the Vault path with ``/`` written as ``__``::

    vault auth list -format=json                              > prod__auth-list.json
    vault read -format=json auth/approle/role/ci              > prod__auth__approle__role__ci.json
    vault read -format=json auth/kubernetes/role/web          > prod__auth__kubernetes__role__web.json
    vault read -format=json auth/jwt/role/gha                 > prod__auth__jwt__role__gha.json
    vault policy read -format=json app-read                   > prod__policy__app-read.json
    vault policy read app-read                                > prod__policy__app-read.hcl
    vault kv metadata get -format=json -mount=secret app/db   > prod__kv__secret__app__db.json

What becomes of it (ids in parentheses):

- the cluster is a ``System`` (``vault:<cluster>``), each auth mount a ``Resource`` (``vault:<c>:auth/<mount>``);
- a role is an ``Identity`` (``vault:<c>:auth/<mount>/role/<name>``): AppRole roles are service accounts
  authenticated by a ``secret-id`` credential; Kubernetes roles are assumed (``CAN_ASSUME`` via
  ``workload_identity``) by the service accounts they bind, ``k8s:<k8s cluster>:<ns>/sa/<name>`` (stubs;
  the Kubernetes cluster is the auth mount's name, or the Vault cluster's name for the default
  ``kubernetes`` mount); JWT/OIDC roles whose bound claims name a GitHub repository or org are assumed via
  ``oidc`` from that GitHub org (``github:<org>``), with the claims as the condition;
- a role is a member (``CAN_ASSUME`` via ``membership``) of each of its token policies, an ``Identity`` of
  kind other (``vault:<c>:policy/<name>``) whose ``rules`` keep its paths and capabilities; the policy has
  ``HAS_ACCESS`` on every KV path its rules allow, level by capability: ``create``/``update``/``patch``/
  ``delete`` on the data path is write, ``read`` is read, ``deny`` on the most specific matching rule is
  none (exact paths are linked here; globs by :mod:`nhigraph.ingest.links` once the KV paths are known).
  ``sudo`` on ``sys/`` paths, or write on ``*``, is admin on the cluster; the ``root`` policy is admin;
- a KV path is a ``SecretStore`` of kind vault_path (``vault:<c>:kv/<mount>/<path>``) that ``STORES``
  the credential its custom metadata names (``key_id``: a provider key id such as an AWS access key id;
  or ``credential_id``: any nhigraph credential id), else its own stored value
  (``vault:<c>:kv/<mount>/<path>#value``, kind other) with the metadata's creation and update times.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterable

from ..errors import InputError
from ..model.ids import credential_for_key_id, k8s_service_account
from ..model.records import Batch
from .base import Format, load_json, looks_like_json, read_text
from .exports import SEP, Emitter, environment_of, list_of, max_level, obj_at, source_name, when
from .links import stored_value

LEGACY = {"deny": ["deny"], "read": ["read", "list"], "write": ["create", "read", "update", "delete", "list"],
          "sudo": ["create", "read", "update", "delete", "list", "sudo"]}
WRITE_CAPS = {"create", "update", "patch", "delete"}
METADATA_CREDENTIAL_KEYS = ("credential_id", "nhigraph_credential")
METADATA_KEY_ID_KEYS = ("key_id", "access_key_id", "aws_access_key_id")

Rule = tuple[str, frozenset[str]]


# ---------------------------------------------------------------------------------------------- names
def _parts(path: Path) -> tuple[str, list[str]]:
    stem = path.name
    for suffix in (".json", ".hcl"):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
    parts = stem.split(SEP)
    if len(parts) < 2 or not all(parts):
        raise InputError(path, None, "cannot tell the Vault cluster and path: name the file "
                         "CLUSTER__<vault path with / written as __>.json, e.g. prod__auth__approle__role__ci.json "
                         "(see `nhigraph formats`)")
    return parts[0], parts[1:]


# ---------------------------------------------------------------------------------------------- policy rules
def parse_hcl_rules(text: str, path: Path) -> list[Rule]:
    """The ``path "..." { capabilities = [...] }`` rules of a Vault policy in HCL (or its JSON form)."""
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            doc = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise InputError(path, f"line {exc.lineno}", f"invalid JSON policy: {exc.msg}") from None
        rules = []
        for pattern, body in ((doc.get("path") or {}) if isinstance(doc, dict) else {}).items():
            if isinstance(body, list):  # HCL-as-JSON may wrap blocks in lists
                body = body[0] if body else {}
            rules.append((pattern, _caps(body if isinstance(body, dict) else {})))
        return rules
    clean = _strip_comments(text)
    rules: list[Rule] = []
    pos = 0
    for m in re.finditer(r'\bpath\s+"((?:[^"\\]|\\.)*)"\s*=?\s*\{', clean):
        if m.start() < pos:
            continue
        depth, i = 1, m.end()
        in_str = False
        while i < len(clean) and depth:
            c = clean[i]
            if in_str:
                if c == "\\":
                    i += 1
                elif c == '"':
                    in_str = False
            elif c == '"':
                in_str = True
            elif c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
            i += 1
        if depth:
            line = clean.count("\n", 0, m.start()) + 1
            raise InputError(path, f"line {line}", f"policy block for path {m.group(1)!r} is not closed")
        body = clean[m.end(): i - 1]
        caps = re.search(r"\bcapabilities\s*=\s*\[([^\]]*)\]", body)
        legacy = re.search(r'\bpolicy\s*=\s*"(\w+)"', body)
        found = set(re.findall(r'"([^"]*)"', caps.group(1))) if caps else set()
        if legacy:
            found |= set(LEGACY.get(legacy.group(1).lower(), []))
        rules.append((m.group(1), frozenset(c.strip().lower() for c in found if c.strip())))
        pos = i
    if not rules and re.search(r"\bpath\b", clean):
        raise InputError(path, None, "no `path \"...\" { ... }` rule could be read from the policy")
    return rules


def _caps(body: dict[str, Any]) -> frozenset[str]:
    caps = {c for c in list_of(body.get("capabilities")) if isinstance(c, (str, int, float))}
    if isinstance(body.get("policy"), str):
        caps |= set(LEGACY.get(body["policy"].lower(), []))
    return frozenset(str(c).lower() for c in caps)


def _strip_comments(text: str) -> str:
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i: j + 1])
            i = j + 1
        elif c == "#" or text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, j))  # keep line numbers
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def rule_strings(rules: Iterable[Rule]) -> list[str]:
    return [f"{pattern} {','.join(sorted(caps)) or 'none'}" for pattern, caps in rules]


def parse_rule_strings(rules: Iterable[str]) -> list[Rule]:
    out = []
    for r in rules:
        pattern, _, caps = str(r).rpartition(" ")
        if pattern:
            out.append((pattern, frozenset(c for c in caps.split(",") if c and c != "none")))
    return out


def _pattern_re(pattern: str) -> re.Pattern[str]:
    body = pattern[:-1] if pattern.endswith("*") else pattern
    rx = "".join("[^/]+" if part == "+" else re.escape(part) for part in re.split(r"(\+)", body))
    return re.compile(rx + (".*" if pattern.endswith("*") else "") + r"\Z")


def _specificity(pattern: str) -> tuple:
    first = min([i for i in (pattern.find("*"), pattern.find("+")) if i >= 0], default=len(pattern))
    return (first, not pattern.endswith("*"), -pattern.count("+"), len(pattern), pattern)


def effective_caps(rules: Iterable[Rule], api_path: str) -> frozenset[str] | None:
    """The capabilities Vault grants on one API path: the most specific matching rule wins."""
    best = None
    for pattern, caps in rules:
        if _pattern_re(pattern).match(api_path) and (best is None or _specificity(pattern) > _specificity(best[0])):
            best = (pattern, caps)
    if best is None or "deny" in best[1]:
        return None
    return best[1]


def _level(caps: frozenset[str]) -> str | None:
    if caps & WRITE_CAPS:
        return "write"
    if "read" in caps:
        return "read"
    return None


def grant_on(rules: list[Rule], kv_path: str) -> tuple[str, list[str]] | None:
    """(level, capabilities) a policy grants on the secret at ``<mount>/<path>`` (KV v2 data path or v1)."""
    parts = kv_path.split("/")
    candidates = [kv_path] + ["/".join(parts[:i]) + "/data/" + "/".join(parts[i:]) for i in range(1, len(parts))]
    best: tuple[str, list[str]] | None = None
    for api_path in candidates:
        caps = effective_caps(rules, api_path)
        lvl = _level(caps) if caps else None
        if lvl and (best is None or max_level([best[0], lvl]) != best[0]):
            best = (lvl, sorted(caps))
    return best


# ---------------------------------------------------------------------------------------------- parse
def parse(path: Path, scope: str | None = None) -> list[Batch]:
    cluster, vpath = _parts(path)
    if path.suffix.lower() == ".hcl":
        return [_policy(path, cluster, _policy_name(path, vpath), read_text(path), scope)]
    doc = load_json(path)
    if not isinstance(doc, dict):
        raise InputError(path, None, "not Vault CLI JSON output (expected an object)")
    if isinstance(doc.get("policy"), str) and "data" not in doc:
        return [_policy(path, cluster, _policy_name(path, vpath), doc["policy"], scope)]
    data = doc.get("data")
    if isinstance(data, dict) and ("rules" in data or "policy" in data) and "name" in data:
        return [_policy(path, cluster, str(data["name"]), str(data.get("rules") or data.get("policy") or ""),
                        scope)]
    if isinstance(data, dict) and "versions" in data and "current_version" in data:
        return [_kv(path, cluster, vpath, data, scope)]
    if isinstance(data, dict) and "auth" in vpath and "role" in vpath:
        return [_role(path, cluster, vpath, data, scope)]
    if _is_auth_list(doc):
        return [_auth_list(path, cluster, doc, scope)]
    raise InputError(path, None, "not a recognised Vault export (auth list, auth role, policy or KV metadata)")


def _is_auth_list(doc: dict[str, Any]) -> bool:
    mounts = [v for k, v in doc.items() if k.endswith("/")]
    return bool(mounts) and all(isinstance(v, dict) and "type" in v for v in mounts)


def _cluster(em: Emitter, cluster: str, where: str) -> str:
    cid = f"vault:{cluster}"
    em.stub({"label": "System", "id": cid, "kind": "vault_cluster", "name": f"Vault {cluster}",
             "platform": "Vault"}, where)
    return cid


def _policy_name(path: Path, vpath: list[str]) -> str:
    marks = [i for i, part in enumerate(vpath) if part in ("policy", "policies", "acl")]
    if marks and marks[-1] < len(vpath) - 1:
        return "/".join(vpath[marks[-1] + 1:])
    if len(vpath) == 1:
        return vpath[0]
    raise InputError(path, None, "cannot tell the policy name: name the file CLUSTER__policy__NAME.json")


def _policy(path: Path, cluster: str, name: str, text: str, scope: str | None) -> Batch:
    batch = Batch(source=source_name("vault", scope, f"{cluster}:policy/{name}"))
    em = Emitter(batch, path)
    rules = parse_hcl_rules(text, path)
    cid = _cluster(em, cluster, "policy")
    pid = f"vault:{cluster}:policy/{name}"
    em.node({"label": "Identity", "id": pid, "kind": "other", "name": f"Vault policy {name}",
             "description": "Vault ACL policy", "rules": rule_strings(rules)}, "policy")
    em.edge("PART_OF", pid, cid, "policy")
    _policy_grants(em, cluster, pid, name, rules)
    return batch


def _policy_grants(em: Emitter, cluster: str, pid: str, name: str, rules: list[Rule]) -> None:
    cid = f"vault:{cluster}"
    if name == "root":
        em.edge("HAS_ACCESS", pid, cid, "policy", level="admin", actions=["root"])
        return
    for pattern, caps in rules:
        where = f"path {pattern!r}"
        if "deny" in caps:
            continue
        if (pattern.startswith("sys/") and "sudo" in caps) or (pattern in ("*", "+*") and caps & WRITE_CAPS):
            em.edge("HAS_ACCESS", pid, cid, where, level="admin", actions=sorted(caps))
            continue
        if "*" in pattern or "+" in pattern or "/data/" not in pattern:
            continue  # globs are matched against known KV paths by the link step
        mount, _, rest = pattern.partition("/data/")
        caps_here = effective_caps(rules, pattern)
        lvl = _level(caps_here) if caps_here else None
        if not lvl or not rest:
            continue
        sid = _kv_store(em, cluster, mount, rest, where)
        em.edge("HAS_ACCESS", pid, sid, where, level=lvl, actions=sorted(caps_here))


def _kv_store(em: Emitter, cluster: str, mount: str, rel: str, where: str) -> str:
    sid = f"vault:{cluster}:kv/{mount}/{rel}"
    em.stub({"label": "SecretStore", "id": sid, "kind": "vault_path", "name": f"{mount}/{rel}",
             "location": f"{mount}/{rel}"}, where)
    em.edge("PART_OF", sid, _cluster(em, cluster, where), where)
    return sid


def _role(path: Path, cluster: str, vpath: list[str], data: dict[str, Any], scope: str | None) -> Batch:
    i_auth = vpath.index("auth")
    i_role = len(vpath) - 1 - vpath[::-1].index("role")
    mount = "/".join(vpath[i_auth + 1: i_role])
    name = "/".join(vpath[i_role + 1:])
    if not mount or not name:
        raise InputError(path, None, "cannot tell the auth mount and role: name the file "
                         "CLUSTER__auth__MOUNT__role__NAME.json")
    batch = Batch(source=source_name("vault", scope, f"{cluster}:auth/{mount}/role/{name}"))
    em = Emitter(batch, path)
    cid = _cluster(em, cluster, "role")
    rid = f"vault:{cluster}:auth/{mount}/role/{name}"
    if any(k in data for k in ("bind_secret_id", "secret_id_ttl", "secret_id_num_uses", "secret_id_bound_cidrs")):
        kind, what = "service_account", "AppRole role"
    elif "bound_service_account_names" in data:
        kind, what = "workload", "Kubernetes auth role"
    elif any(k in data for k in ("role_type", "bound_audiences", "user_claim", "bound_claims", "bound_subject")):
        kind, what = "federated_principal", f"{str(data.get('role_type') or 'jwt').upper()} auth role"
    else:
        raise InputError(path, "data", "not an AppRole, Kubernetes or JWT/OIDC role (no bind_secret_id, "
                         "bound_service_account_names or bound_audiences/bound_claims)")
    em.node({"label": "Identity", "id": rid, "kind": kind, "name": f"{mount}/{name}",
             "description": f"Vault {what} at auth/{mount}/role/{name}"}, "data")
    em.edge("PART_OF", rid, cid, "data")
    em.stub({"label": "Resource", "id": f"vault:{cluster}:auth/{mount}", "kind": "api",
             "name": f"auth/{mount}"}, "data")
    em.edge("PART_OF", f"vault:{cluster}:auth/{mount}", cid, "data")

    policies = _str_list(data.get("token_policies")) + _str_list(data.get("policies"))
    for pol in sorted(set(policies)):
        pid = f"vault:{cluster}:policy/{pol}"
        em.stub({"label": "Identity", "id": pid, "kind": "other", "name": f"Vault policy {pol}",
                 "description": "Vault ACL policy"}, "data.token_policies")
        em.edge("PART_OF", pid, cid, "data.token_policies")
        em.edge("CAN_ASSUME", rid, pid, "data.token_policies", via="membership")
        if pol == "root":
            em.edge("HAS_ACCESS", pid, cid, "data.token_policies", level="admin", actions=["root"])

    if kind == "service_account" and data.get("bind_secret_id", True) is not False:
        cred = f"{rid}/secret-id"
        cidrs = _str_list(data.get("secret_id_bound_cidrs"))
        ttl = data.get("secret_id_ttl")
        desc = "AppRole secret ID" + (f"; bound to {', '.join(cidrs)}" if cidrs else "; no CIDR binding")
        desc += f"; secret_id_ttl {ttl}s" if ttl else "; secret IDs never expire (secret_id_ttl 0)"
        em.node({"label": "Credential", "id": cred, "kind": "client_secret", "name": f"{mount}/{name} secret ID",
                 "description": desc}, "data.bind_secret_id")
        em.edge("AUTHENTICATES", cred, rid, "data.bind_secret_id")
    elif kind == "workload":
        k8s_cluster = cluster if mount.split("/")[-1] in ("kubernetes", "k8s") else mount.split("/")[-1]
        names = _str_list(data.get("bound_service_account_names"))
        namespaces = _str_list(data.get("bound_service_account_namespaces"))
        if not names or not namespaces:
            em.warn("data", "role binds no service account name or namespace")
        for ns in namespaces:
            for sa in names:
                sid = k8s_service_account(k8s_cluster, ns, sa)
                em.stub({"label": "Identity", "id": sid, "kind": "k8s_service_account",
                         "name": f"{ns}/{sa}" if "*" not in (ns + sa) else f"{ns}/{sa} (any matching)"},
                        "data.bound_service_account_names")
                em.edge("CAN_ASSUME", sid, rid, "data.bound_service_account_names", via="workload_identity")
    else:
        claims = data.get("bound_claims") if isinstance(data.get("bound_claims"), dict) else {}
        cond = {k: v for k, v in (("bound_claims", claims), ("bound_subject", data.get("bound_subject")),
                                  ("bound_audiences", data.get("bound_audiences"))) if v}
        for org in sorted(_github_orgs(claims, data.get("bound_subject"))):
            gid = f"github:{org}"
            em.stub({"label": "System", "id": gid, "kind": "github_org", "name": org, "platform": "GitHub"},
                    "data.bound_claims")
            em.edge("CAN_ASSUME", gid, rid, "data.bound_claims", via="oidc",
                    condition=json.dumps(cond, sort_keys=True, default=str))
    return batch


def _github_orgs(claims: dict[str, Any], subject: Any) -> set[str]:
    orgs: set[str] = set()
    for key in ("repository", "repository_owner"):
        for v in _str_list(claims.get(key)):
            org = v.split("/")[0].strip()
            if org and not any(ch in org for ch in "*?"):
                orgs.add(org)
    for v in _str_list(claims.get("sub")) + _str_list(subject):
        m = re.match(r"^repo:([^/:*?]+)/", v)
        if m:
            orgs.add(m.group(1))
    return orgs


def _str_list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [str(value)]


def _kv(path: Path, cluster: str, vpath: list[str], data: dict[str, Any], scope: str | None) -> Batch:
    if "metadata" in vpath:
        i = vpath.index("metadata")
        mount, rel = "/".join(vpath[:i]), "/".join(vpath[i + 1:])
    elif vpath[0] == "kv" and len(vpath) >= 3:
        mount, rel = vpath[1], "/".join(vpath[2:])
    else:
        raise InputError(path, None, "cannot tell the KV mount and path: name the file "
                         "CLUSTER__kv__MOUNT__PATH.json (PATH's / written as __)")
    if not mount or not rel:
        raise InputError(path, None, "cannot tell the KV mount and path: name the file "
                         "CLUSTER__kv__MOUNT__PATH.json (PATH's / written as __)")
    batch = Batch(source=source_name("vault", scope, f"{cluster}:kv/{mount}/{rel}"))
    em = Emitter(batch, path)
    sid = f"vault:{cluster}:kv/{mount}/{rel}"
    meta = data.get("custom_metadata") if isinstance(data.get("custom_metadata"), dict) else {}
    meta_l = {str(k).lower(): v for k, v in meta.items()}
    versions = data.get("versions") if isinstance(data.get("versions"), dict) else {}
    current = obj_at(versions, str(data.get("current_version")))
    deleted = bool(current.get("destroyed")) or bool(when(current.get("deletion_time")))
    env = environment_of(str(meta_l.get("environment") or meta_l.get("env") or "")) or None
    em.node({"label": "SecretStore", "id": sid, "kind": "vault_path", "name": f"{mount}/{rel}",
             "location": f"{mount}/{rel}", "environment": env,
             "description": f"KV v2 secret, {len(versions)} version(s), current {data.get('current_version')}"},
            "data")
    em.edge("PART_OF", sid, _cluster(em, cluster, "data"), "data")
    times = {"created_at": when(data.get("created_time")),
             "last_rotated_at": when(data.get("updated_time")) or when(current.get("created_time"))}
    cred = None
    for key in METADATA_KEY_ID_KEYS:
        if meta_l.get(key):
            cred = credential_for_key_id(str(meta_l[key]).strip())
            if cred:
                em.stub({"label": "Credential", "id": cred, "kind": "access_key", "key_id": str(meta_l[key]).strip(),
                         **times}, f"data.custom_metadata.{key}")
                break
            em.warn(f"data.custom_metadata.{key}", "not a recognised provider key id; ignored")
    for key in METADATA_CREDENTIAL_KEYS:
        if cred is None and meta_l.get(key):
            cred = str(meta_l[key]).strip()
            em.stub({"label": "Credential", "id": cred, "kind": "other", **times}, f"data.custom_metadata.{key}")
    if cred is None:
        cred = stored_value(sid)
        em.node({"label": "Credential", "id": cred, "kind": "other", "name": f"value at {mount}/{rel}",
                 "status": "deleted" if deleted else "active", "environment": env, **times}, "data")
    em.edge("STORES", sid, cred, "data")
    return batch


def _auth_list(path: Path, cluster: str, doc: dict[str, Any], scope: str | None) -> Batch:
    batch = Batch(source=source_name("vault", scope, f"{cluster}:auth-list"))
    em = Emitter(batch, path)
    cid = _cluster(em, cluster, "auth list")
    for mount, info in sorted(doc.items()):
        if not mount.endswith("/") or not isinstance(info, dict):
            continue
        name = mount.rstrip("/")
        rid = f"vault:{cluster}:auth/{name}"
        em.node({"label": "Resource", "id": rid, "kind": "api", "name": f"auth/{name}",
                 "provider_id": info.get("accessor"),
                 "description": f"Vault {info.get('type')} auth method" + (
                     f": {info['description']}" if info.get("description") else "")}, mount)
        em.edge("PART_OF", rid, cid, mount)
    return batch


def _detect(path: Path, head: bytes) -> bool:
    name = path.name.lower()
    if name.endswith(".hcl"):
        return SEP in name and b"path" in head and (b"capabilities" in head or b"policy" in head)
    if not looks_like_json(head) or not name.endswith(".json"):
        return False
    if b'"data"' in head and (b'"request_id"' in head or SEP in name):
        # `vault read -format=json` output (or the HTTP API's, which has the same envelope)
        return (b'"current_version"' in head or b'"token_policies"' in head or b'"bind_secret_id"' in head
                or b'"bound_service_account_names"' in head or b'"bound_audiences"' in head
                or (b'"rules"' in head and b'"name"' in head))
    if re.match(rb'\s*\{\s*"policy"\s*:\s*"', head.lstrip(b"\xef\xbb\xbf")):
        return True
    return b'"accessor"' in head and b'"type"' in head and re.search(rb'"[A-Za-z0-9_.\-/]+/"\s*:\s*\{', head) is not None


FORMAT = Format(
    "vault", "HashiCorp Vault auth methods, roles, policies and KV metadata",
    "`vault auth list -format=json > CLUSTER__auth-list.json`; "
    "`vault read -format=json auth/MOUNT/role/NAME > CLUSTER__auth__MOUNT__role__NAME.json` (AppRole, "
    "Kubernetes, JWT/OIDC roles); `vault policy read -format=json NAME > CLUSTER__policy__NAME.json` (or "
    "`vault policy read NAME > CLUSTER__policy__NAME.hcl`); "
    "`vault kv metadata get -format=json -mount=MOUNT PATH > CLUSTER__kv__MOUNT__PATH.json` "
    "(`/` in PATH written as `__`)",
    _detect, parse)
