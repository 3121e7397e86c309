"""GitHub Actions workflow files (``.github/workflows/*.yml``).

The repository is the folder holding ``.github``: ``<org>/<repo>/.github/workflows/x.yml`` (an org folder of
clones: ``gh repo clone ORG/REPO ORG/REPO``), or ``<org>__<repo>/.github/workflows/x.yml``, or a flat copy
named ``ORG__REPO__x.yml``.

One workflow file is one ``Workflow`` (``github:<org>/<repo>:workflow/<file>``; kind scheduled_job when
``schedule`` is its only trigger, else ci_pipeline) with:

- ``USES`` (with the ``jobs`` that read it) of the credential kept in every Actions secret it reads
  (``${{ secrets.NAME }}``, ``${{ secrets['NAME'] }}``, ``secrets[matrix.KEY]`` expanded over the matrix,
  and ``vars.NAME``): the stored value of ``github:<org>/<repo>:secret/NAME``, or of the environment's
  secret for a job that names an ``environment``, which the link step resolves to the real credential and,
  failing an environment or repository secret of that name, to the org secret. ``GITHUB_TOKEN`` is the
  job's own token and is not a stored credential. Every workflow reading a secret points at the same node;
- ``CAN_ASSUME`` via ``oidc`` of the cloud identities it federates into without a stored secret:
  ``aws-actions/configure-aws-credentials`` ``role-to-assume`` (``aws:<account>:role/<name>``),
  ``google-github-actions/auth`` ``service_account`` (``gcp:sa:<email>``) and ``azure/login``
  ``client-id`` (``azure:app:<client id>``) when given literally (ids of :mod:`nhigraph.model.ids`);
- a literal value of a secret-looking ``env`` entry (``*_TOKEN``, ``*_SECRET``, ``*PASSWORD``, ``*_KEY``):
  a secret committed in the file, so a leaked credential known by its fingerprint (the value is dropped);
  a literal provider key id (``AKIA...``) is used as that key (``aws:key:<id>``);
- a ``Connector`` (``.../connector``) from the GitHub org to each AWS account or GCP project it deploys to.

Reusable workflows it calls (``uses: org/repo/.github/workflows/x.yml@ref``) are listed in its description
and added as workflows; ``secrets: inherit`` is noted. YAML anchors and aliases work; ``on`` stays a key
(YAML 1.1 would read it as ``true``).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any, Callable, Iterator

import yaml

from ...errors import InputError
from ...model.ids import (aws_account, aws_principal_from_arn, azure_app, credential_for_key_id, gcp_project,
                          gcp_service_account, secret_by_fingerprint)
from ...model.records import Batch
from ...secrets import fingerprint
from ..base import Format, read_text
from ..exports import SEP, Emitter, environment_of, list_of, source_name
from ..links import stored_value
from .ids import add_org, store_id, workflow_id


class _Loader(yaml.SafeLoader):
    """YAML as GitHub reads it: only true/false are booleans, so ``on:`` stays the key ``on``."""


_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:bool"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))

_EXPR = re.compile(r"\$\{\{(.*?)\}\}", re.S)
_SECRET_DOT = re.compile(r"\bsecrets\.([A-Za-z_][A-Za-z0-9_\-]*)")
_SECRET_IDX = re.compile(r"\bsecrets\[\s*['\"]([^'\"]+)['\"]\s*\]")
_SECRET_MATRIX = re.compile(r"\bsecrets\[\s*matrix\.([A-Za-z_][A-Za-z0-9_\-]*)\s*\]")
_SECRET_DYNAMIC = re.compile(r"\bsecrets\[(?!\s*['\"])(?!\s*matrix\.[A-Za-z_][A-Za-z0-9_\-]*\s*\])")
_VARS_DOT = re.compile(r"\bvars\.([A-Za-z_][A-Za-z0-9_\-]*)")
_MATRIX_REF = re.compile(r"^\s*\$\{\{\s*matrix\.([A-Za-z_][A-Za-z0-9_\-]*)\s*\}\}\s*$")
_SECRETISH = re.compile(r"(SECRET|TOKEN|PASSWORD|PASSWD|PASSPHRASE|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|"
                        r"CLIENT_?KEY|CREDENTIAL)", re.I)
_ROLE_ARN = re.compile(r"^arn:aws[a-z\-]*:iam::(\d{12}):role/(?:.*/)?([^/]+)$")
_GCP_SA = re.compile(r"^([^@\s]+)@([a-z0-9\-]+)\.iam\.gserviceaccount\.com$")
_REUSABLE = re.compile(r"^(?:(?P<org>[^/\s]+)/(?P<repo>[^/\s]+)/)?\.?/?\.github/workflows/(?P<file>[^@\s]+)"
                       r"(?:@(?P<ref>\S+))?$")
AUTOMATIC = frozenset({"GITHUB_TOKEN"})
#: GitHub runs at most 256 jobs per matrix; a larger one (say 14 axes of 6 values) is not expanded
MAX_MATRIX = 256


def repo_of(path: Path) -> tuple[str, str, str]:
    """(org, repo, workflow file name) of a workflow file, from its folder or its file name."""
    parts = path.resolve().parts
    for i in range(len(parts) - 2, 0, -1):
        if parts[i] == ".github" and parts[i + 1] == "workflows":
            file = "/".join(parts[i + 2:])
            repo_dir = parts[i - 1]
            if SEP in repo_dir:
                org, repo = repo_dir.split(SEP, 1)
                return org, repo, file
            if i >= 2:
                return parts[i - 2], repo_dir, file
    pieces = path.name.split(SEP)
    if len(pieces) >= 3 and all(pieces):
        return pieces[0], pieces[1], SEP.join(pieces[2:])
    raise InputError(path, None, "cannot tell the repository of this workflow: keep it under "
                     "ORG/REPO/.github/workflows/ or name it ORG__REPO__FILE.yml")


def load_yaml(path: Path) -> Any:
    text = read_text(path)
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else None
        problem = getattr(exc, "problem", None) or "could not parse"
        return_msg = f"invalid YAML: {problem}"
        raise InputError(path, where, return_msg) from None
    except RecursionError:
        raise InputError(path, None, "invalid YAML: nested too deeply") from None


def _strings(value: Any, seen: set[int] | None = None) -> Iterator[str]:
    """Every string in a YAML value (keys too), each shared (aliased) container visited once."""
    seen = set() if seen is None else seen
    if isinstance(value, str):
        yield value
    elif isinstance(value, (dict, list)):
        if id(value) in seen:
            return
        seen.add(id(value))
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for k, v in items:
            if isinstance(k, str):
                yield k
            yield from _strings(v, seen)


def matrix_combinations(job: dict[str, Any]) -> list[dict[str, str]] | None:
    """The job's matrix combinations, as GitHub expands them (``include``/``exclude`` too); None when
    the job has no literal matrix (a computed one, ``${{ fromJSON(...) }}``, cannot be known)."""
    strategy = job.get("strategy") if isinstance(job.get("strategy"), dict) else {}
    matrix = strategy.get("matrix")
    if not isinstance(matrix, dict):
        return None
    axes = {str(k): [str(v) for v in vals if isinstance(v, (str, int, float))]
            for k, vals in matrix.items() if k not in ("include", "exclude") and isinstance(vals, list)}
    if math.prod(len(vals) for vals in axes.values() if vals) > MAX_MATRIX:
        return None  # more jobs than GitHub would run: a hostile file must not make ingest expand it
    combos: list[dict[str, str]] = [{}] if axes else []
    for key, vals in axes.items():
        combos = [{**c, key: v} for c in combos for v in vals] if vals else combos
    for exc in list_of(matrix.get("exclude")):
        if isinstance(exc, dict):
            combos = [c for c in combos if not all(c.get(str(k)) == str(v) for k, v in exc.items())]
    added: list[dict[str, str]] = []
    for inc in list_of(matrix.get("include")):
        if not isinstance(inc, dict):
            continue
        inc = {str(k): str(v) for k, v in inc.items() if isinstance(v, (str, int, float))}
        hit = False
        for c in combos:
            if all(c.get(k) == v for k, v in inc.items() if k in axes):
                c.update({k: v for k, v in inc.items() if k not in axes})
                hit = True
        if not hit:
            added.append(inc)
    return combos + added or None


def _refs(value: Any, em: Emitter, where: str) -> tuple[set[str], set[str], set[str]]:
    """(secret names, variable names, matrix keys naming secrets) read anywhere in a job (or env block)."""
    secrets: set[str] = set()
    variables: set[str] = set()
    matrix_keys: set[str] = set()
    for text in _strings(value):
        for expr in _EXPR.findall(text):
            secrets.update(_SECRET_DOT.findall(expr))
            secrets.update(_SECRET_IDX.findall(expr))
            variables.update(_VARS_DOT.findall(expr))
            matrix_keys.update(_SECRET_MATRIX.findall(expr))
            if _SECRET_DYNAMIC.search(expr):
                em.warn(where, "a secret is read by a computed name (secrets[...]); not resolved")
    if isinstance(value, dict) and isinstance(value.get("if"), str):
        secrets.update(_SECRET_DOT.findall(value["if"]))
    return secrets - AUTOMATIC, variables, matrix_keys


def _job_runs(job: dict[str, Any], em: Emitter, where: str,
              static: set[str], matrix_keys: set[str]) -> list[tuple[str | None, set[str]]]:
    """(environment, secret names) of each way the job runs: one per matrix combination that changes them."""
    env = job.get("environment")
    if isinstance(env, dict):
        env = env.get("name")
    env = None if env is None or env == "" else str(env)
    env_key = None
    if env and "${{" in env:
        m = _MATRIX_REF.match(env)
        env_key = m.group(1) if m else None
        if env_key is None:
            em.warn(where, "the job's environment is computed; its secrets are taken as repository secrets")
        env = None
    if not (env_key or matrix_keys):
        return [(env, set(static))]
    combos = matrix_combinations(job)
    if not combos:
        em.warn(where, f"the job's matrix is computed (or has more than {MAX_MATRIX} combinations); secrets and "
                "environment named by it are not resolved")
        return [(env, set(static))]
    runs: dict[tuple, tuple[str | None, set[str]]] = {}
    for c in combos:
        c_env = c.get(env_key) if env_key else env
        names = set(static) | {c[k] for k in matrix_keys if k in c}
        for k in sorted(matrix_keys - set(c)):
            em.warn(where, f"secrets[matrix.{k}] has no value in a matrix combination; not resolved")
        runs[(c_env, tuple(sorted(names)))] = (c_env, names - AUTOMATIC)
    return list(runs.values())


def _env_blocks(doc: dict[str, Any], job: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(job.get("env"), dict):
        yield "env", job["env"]
    for i, step in enumerate(list_of(job.get("steps")), 1):
        if isinstance(step, dict) and isinstance(step.get("env"), dict):
            yield f"steps[{i}].env", step["env"]


def parse(path: Path, scope: str | None = None) -> list[Batch]:
    org, repo, file = repo_of(path)
    doc = load_yaml(path)
    if not isinstance(doc, dict) or "jobs" not in doc or not ("on" in doc or True in doc):
        raise InputError(path, None, "not a GitHub Actions workflow (needs `on:` and `jobs:` at the top level)")
    batch = Batch(source=source_name("github-actions", scope, f"{org}/{repo}:{file}"))
    em = Emitter(batch, path)
    oid = add_org(em, org, "file")
    wid = workflow_id(org, repo, file)
    on = doc.get("on", doc.get(True))
    if isinstance(on, str):
        triggers = [on]
    elif isinstance(on, list):
        triggers = [str(t) for t in on]
    elif isinstance(on, dict):
        triggers = [str(t) for t in on]
    else:
        triggers = []
        em.warn("on", "no trigger could be read")
    jobs = doc.get("jobs")
    if not isinstance(jobs, dict) or not jobs:
        raise InputError(path, "jobs", "`jobs:` must be a mapping of job ids to jobs")

    notes: list[str] = []
    uses: dict[str, set[str]] = {}      # credential id -> job ids
    stubs: dict[str, dict[str, Any]] = {}
    assumes: dict[str, set[str]] = {}   # identity id -> job ids
    targets: set[tuple[str, str, str]] = set()  # (system id, kind, name)
    envs_seen: set[str] = set()
    top_env = doc.get("env") if isinstance(doc.get("env"), dict) else {}

    def use(cred: str, job_id: str, record: dict[str, Any]) -> None:
        uses.setdefault(cred, set()).add(job_id)
        stubs.setdefault(cred, record)

    for job_id, job in jobs.items():
        job_id = str(job_id)
        where = f"jobs.{job_id}"
        if not isinstance(job, dict):
            em.fail(where, "a job must be a mapping")
            continue
        static, variables, matrix_keys = _refs(job, em, where)
        if top_env:
            static |= _refs(top_env, em, "env")[0]
        runs = _job_runs(job, em, where, static, matrix_keys)
        envs_seen.update(env for env, _ in runs if env)
        for env, secrets in runs:
            for name in sorted(secrets):
                sid = store_id(org, repo, name, "secret", env)
                use(stored_value(sid), job_id, {"label": "Credential", "id": stored_value(sid), "kind": "other",
                                                "name": f"value of Actions secret {name}",
                                                "environment": environment_of(env)})
        for name in sorted(variables):
            sid = store_id(org, repo, name, "variable")
            use(stored_value(sid), job_id, {"label": "Credential", "id": stored_value(sid), "kind": "other",
                                            "name": f"value of Actions variable {name}"})
        reusable = job.get("uses")
        if isinstance(reusable, str):
            m = _REUSABLE.match(reusable.strip())
            if m:
                c_org, c_repo = (m["org"], m["repo"]) if m["org"] else (org, repo)
                callee = workflow_id(c_org, c_repo, m["file"])
                em.stub({"label": "Workflow", "id": callee, "kind": "ci_pipeline", "name": m["file"],
                         "repo": f"{c_org}/{c_repo}", "triggers": ["workflow_call"]}, where)
                em.edge("PART_OF", callee, add_org(em, c_org, where), where)
                notes.append(f"job {job_id} calls {c_org}/{c_repo}/.github/workflows/{m['file']}"
                             + (f"@{m['ref']}" if m["ref"] else "")
                             + (" with secrets: inherit" if job.get("secrets") == "inherit" else ""))
            else:
                em.warn(where, "`uses:` is not a reusable workflow reference (org/repo/.github/workflows/"
                        "FILE@ref or ./.github/workflows/FILE)")
        for i, step in enumerate(list_of(job.get("steps")), 1):
            if isinstance(step, dict) and isinstance(step.get("uses"), str):
                _step_identity(em, step, f"{where}.steps[{i}]", job_id, assumes, targets)
        for block_where, block in _env_blocks(doc, job):
            _literal_env(em, block, f"{where}.{block_where}", job_id, org, repo, file, use)
    if top_env:
        for job_id in [str(j) for j, job in jobs.items() if isinstance(job, dict)]:
            _literal_env(em, top_env, "env", job_id, org, repo, file, use)

    kinds = {t.split(":")[0] for t in triggers}
    env_names = sorted(envs_seen)
    mapped = {environment_of(e) for e in env_names} - {None}
    em.node({"label": "Workflow", "id": wid, "kind": "scheduled_job" if kinds == {"schedule"} else "ci_pipeline",
             "name": str(doc.get("name") or file), "repo": f"{org}/{repo}", "triggers": triggers,
             "environment": "prod" if "prod" in mapped else (next(iter(mapped)) if len(mapped) == 1 else None),
             "description": "; ".join([f"jobs: {', '.join(str(j) for j in jobs)}"]
                                      + ([f"environments: {', '.join(env_names)}"] if env_names else [])
                                      + notes)}, "file")
    em.edge("PART_OF", wid, oid, "file")
    for cred, job_ids in sorted(uses.items()):
        em.stub(stubs[cred], f"jobs.{sorted(job_ids)[0]}")
        em.edge("USES", wid, cred, f"jobs.{sorted(job_ids)[0]}", jobs=sorted(job_ids))
    for ident, job_ids in sorted(assumes.items()):
        em.edge("CAN_ASSUME", wid, ident, f"jobs.{sorted(job_ids)[0]}", via="oidc",
                condition=json.dumps({"jobs": sorted(job_ids)}))
    for sys_id, sys_kind, sys_name in sorted(targets):
        conn = f"{wid}/connector"
        em.node({"label": "Connector", "id": conn, "kind": "other", "name": f"{doc.get('name') or file} deploy",
                 "description": f"GitHub Actions workflow {org}/{repo}/{file} acting on other systems"}, "file")
        em.stub({"label": "System", "id": sys_id, "kind": sys_kind, "name": sys_name}, "file")
        em.edge("CONNECTS_FROM", conn, oid, "file")
        em.edge("CONNECTS_TO", conn, sys_id, "file")
        for cred in uses:
            em.edge("USES", conn, cred, "file")
    return [batch]


def _step_identity(em: Emitter, step: dict[str, Any], where: str, job_id: str, assumes: dict[str, set[str]],
                   targets: set[tuple[str, str, str]]) -> None:
    action = step["uses"].split("@")[0].strip().lower()
    with_ = step.get("with") if isinstance(step.get("with"), dict) else {}

    def literal(key: str) -> str | None:
        v = with_.get(key)
        return v.strip() if isinstance(v, str) and v.strip() and "${{" not in v else None

    if action == "aws-actions/configure-aws-credentials":
        arn = literal("role-to-assume")
        if arn:
            m = _ROLE_ARN.match(arn)
            ident = aws_principal_from_arn(arn) if m else None
            if m and ident:
                em.stub({"label": "Identity", "id": ident, "kind": "iam_role", "name": m[2], "provider_id": arn},
                        where)
                assumes.setdefault(ident, set()).add(job_id)
                targets.add((aws_account(m[1]), "aws_account", m[1]))
            else:
                em.warn(where, "role-to-assume is not a role ARN; the role is not linked")
        elif with_.get("role-to-assume"):
            em.warn(where, "role-to-assume is computed; the role is not linked")
    elif action == "google-github-actions/auth":
        sa = literal("service_account")
        if sa:
            m = _GCP_SA.match(sa)
            if m:
                ident = gcp_service_account(sa)
                em.stub({"label": "Identity", "id": ident, "kind": "service_account", "name": sa}, where)
                if literal("workload_identity_provider") or not with_.get("credentials_json"):
                    assumes.setdefault(ident, set()).add(job_id)
                targets.add((gcp_project(m[2]), "gcp_project", m[2]))
    elif action == "azure/login":
        client = literal("client-id")
        if client:
            ident = azure_app(client)
            em.stub({"label": "Identity", "id": ident, "kind": "app_registration", "name": client}, where)
            assumes.setdefault(ident, set()).add(job_id)


def _literal_env(em: Emitter, block: dict[str, Any], where: str, job_id: str, org: str, repo: str, file: str,
                 use: Callable[[str, str, dict[str, Any]], None]) -> None:
    for key, value in block.items():
        if not isinstance(key, str) or not isinstance(value, (str, int, float)) or isinstance(value, bool):
            continue
        text = str(value).strip()
        if not text or "${{" in text:
            continue
        cred = credential_for_key_id(text)
        if cred:
            use(cred, job_id, {"label": "Credential", "id": cred, "kind": "access_key", "key_id": text})
            continue
        if _SECRETISH.search(key) and len(text) >= 8 and not text.lower().startswith(("http://", "https://")):
            fp = fingerprint(text)
            del text
            cid = secret_by_fingerprint(fp)
            use(cid, job_id, {"label": "Credential", "id": cid, "kind": "other", "fingerprint": fp,
                              "name": f"literal {key} in {org}/{repo}/.github/workflows/{file}", "leaked": True,
                              "leak_location": f"{org}/{repo}:.github/workflows/{file}"})
            em.warn(f"{where}.{key}", "holds a literal value: a secret written in a workflow file is leaked "
                    "(use ${{ secrets.NAME }}); recorded as a leaked credential, value not stored")


def _detect(path: Path, head: bytes) -> bool:
    name = path.name.lower()
    if not name.endswith((".yml", ".yaml")):
        return False
    if "/.github/workflows/" in path.resolve().as_posix():
        return True
    return SEP in name and re.search(rb"(?m)^jobs:", head) is not None and re.search(
        rb"""(?m)^(on|"on"|'on'|true):""", head) is not None


FORMAT = Format("github-actions", "GitHub Actions workflow files (YAML)",
                "`gh repo clone ORG/REPO ORG/REPO`, then ingest the folder `ORG/REPO/.github/workflows` (hidden "
                "folders are skipped when a parent folder is ingested); or copies named `ORG__REPO__FILE.yml`",
                _detect, parse)
