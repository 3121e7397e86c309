"""Secret scanner reports: gitleaks (``--report-format json``) and trufflehog v3 (``--json``, one object a line).

Each finding marks a credential as leaked (``leaked``, ``leaked_at`` from the commit date, ``leak_location``
``<repo>:<file>@<commit> (line N)``). The credential is found by its provider key id when the leaked value
is one (an AWS access key id gives ``aws:key:<id>``, see :mod:`nhigraph.model.ids`), else by the SHA-256
fingerprint of the value (``secret:sha256:<hex>``; the link step moves it onto a credential another
export knows by that fingerprint). It is written as a *stub*: it adds the leak to an existing credential
and never overrides its name or kind. A finding that matches nothing is a credential of its own, with no
owner. The file it was found in is a ``SecretStore`` that ``STORES`` it (``github:<org>/<repo>:file/<path>``
when the repository is known, from the finding's link, the scanned repository URL or the report's file name
``ORG__REPO__gitleaks.json``; else ``scan:<report name>:file/<path>``).

The raw value (gitleaks ``Secret``, ``Match``, ``Line``, ``Context``; trufflehog ``Raw``, ``RawV2``,
``Redacted``) is hashed to match and then dropped: it is never stored, logged, printed or put in a message.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable

from ..errors import InputError
from ..model.ids import aws_principal_from_arn, credential_for_key_id, secret_by_fingerprint
from ..model.records import Batch
from ..secrets import fingerprint
from . import stream
from .base import Format, first_char, load_json, looks_like_json
from .exports import NameScope, Emitter, source_name, when

#: (substring of a rule id or detector name, lower case) -> credential kind, first match wins
KINDS = (
    ("slack-webhook", "webhook_secret"), ("webhook", "webhook_secret"),
    ("aws", "access_key"), ("gcp", "service_account_key"), ("google", "service_account_key"),
    ("azure", "client_secret"), ("github-app", "api_token"), ("github-oauth", "oauth_grant"),
    ("github", "pat"), ("gitlab", "pat"), ("private-key", "other"), ("privatekey", "other"),
    ("password", "password"), ("connection", "connection_string"), ("uri", "connection_string"),
    ("jwt", "api_token"), ("token", "api_token"), ("key", "api_token"), ("secret", "client_secret"),
)
REDACTED = ("REDACTED", "")
MAX_LOCATIONS = 5


def _kind(rule: str) -> str:
    low = rule.lower()
    for sub, kind in KINDS:
        if sub in low:
            return kind
    return "other"


_GO_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d+)? ([+-]\d{2})(\d{2})(?: [A-Za-z]+)?$")
_US_DATE = re.compile(r"^(\d{2})-(\d{2})-(\d{4})$")


def scan_date(value: Any) -> datetime | None:
    """A finding's date as gitleaks and trufflehog write it: RFC 3339 (``2022-01-30T19:30:49Z``), Go's
    ``2022-06-16 10:17:40 -0700 PDT``, ``2006-01-02 15:04:05`` or ``10-19-2003`` (month first)."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    m = _GO_TIME.match(text)
    if m:
        text = f"{m[1]}T{m[2]}{m[3] or ''}{m[4]}:{m[5]}"
    m = _US_DATE.match(text)
    if m:
        text = f"{m[3]}-{m[1]}-{m[2]}"
    return when(text)


_REPO_URL = re.compile(r"^(?:https?://|ssh://git@|git@)(?P<host>[^/:]+)[/:](?P<path>[^?#]+?)(?:\.git)?/?$")
_GH_LINK = re.compile(r"^https?://github\.com/(?P<org>[^/]+)/(?P<repo>[^/]+)/(?:blob|commit|tree)/")


def repo_key(url: Any) -> str | None:
    """``github:<org>/<repo>`` for a GitHub URL, ``git:<host>/<path>`` for another remote, else None."""
    if not isinstance(url, str) or not url:
        return None
    m = _GH_LINK.match(url)
    if m:
        return f"github:{m['org']}/{m['repo']}"
    m = _REPO_URL.match(url.strip())
    if not m:
        return None
    if m["host"].lower() == "github.com":
        parts = m["path"].split("/")
        if len(parts) >= 2:
            return f"github:{parts[0]}/{parts[1]}"
    return f"git:{m['host'].lower()}/{m['path']}"


@dataclass
class Leak:
    """What one report says of one credential (several findings of one value become one leak)."""

    cred: str
    kind: str
    key_id: str | None = None
    fingerprint: str | None = None
    verified: bool = False
    first: datetime | None = None
    locations: set[str] = field(default_factory=set)
    stores: set[tuple[str, str, str | None]] = field(default_factory=set)  # (store id, file, repo)
    identities: set[str] = field(default_factory=set)
    where: str = ""


def _identify(value: str | None, rule: str, where: str, key_hint: str | None = None,
              fp_value: str | None = None) -> tuple[str, str | None, str | None]:
    """(credential id, key id, fingerprint) of a leaked value. Only the fingerprint leaves this function."""
    for candidate in (key_hint, value):
        if candidate:
            cid = credential_for_key_id(candidate.strip())
            if cid:
                fp = fingerprint(fp_value) if fp_value else None
                return cid, candidate.strip(), fp
    if value is not None and value.strip() not in REDACTED and not value.endswith("..."):
        fp = fingerprint(value)
        return secret_by_fingerprint(fp), None, fp
    digest = hashlib.sha256(f"{rule}|{where}".encode()).hexdigest()[:16]
    return f"secret:unidentified:{digest}", None, None


def _store(repo: str | None, scan: str, file: str) -> tuple[str, str]:
    base = file.rsplit("/", 1)[-1].lower()
    if base.startswith(".env") or base.endswith(".env"):
        kind = "env_file"
    elif re.search(r"\.(ya?ml|json|ini|toml|cfg|conf|properties|xml|tfvars|tf)$", base):
        kind = "config_file"
    else:
        kind = "repo_file"
    return (f"{repo}:file/{file}" if repo else f"scan:{scan}:file/{file}"), kind


def _relative(file: str) -> bool:
    return not file.startswith(("/", "\\")) and not re.match(r"^[A-Za-z]:[\\/]", file)


def _location(repo: str | None, file: str | None, commit: str | None, line: Any) -> str:
    where = repo.split(":", 1)[1] if repo else ""
    text = f"{where}:{file}" if where and file else (file or where or "?")
    if commit and set(commit) != {"0"}:
        text += f"@{commit[:12]}"
    if isinstance(line, int) and line > 0:
        text += f" (line {line})"
    return text


def _emit(em: Emitter, leaks: dict[str, Leak], scan: str) -> None:
    for leak in leaks.values():
        locs = sorted(leak.locations)
        location = "; ".join(locs[:MAX_LOCATIONS]) + (f"; … (+{len(locs) - MAX_LOCATIONS} more)"
                                                       if len(locs) > MAX_LOCATIONS else "")
        em.stub({"label": "Credential", "id": leak.cred, "kind": leak.kind, "key_id": leak.key_id,
                 "fingerprint": leak.fingerprint, "leaked": True, "leaked_at": leak.first,
                 "leak_location": location, "status": "active" if leak.verified else None,
                 "name": f"{leak.kind.replace('_', ' ')} found by {scan.split(':')[0]}"}, leak.where)
        for sid, file, repo in sorted(leak.stores, key=lambda s: s[0]):
            _, kind = _store(repo, scan, file)
            em.stub({"label": "SecretStore", "id": sid, "kind": kind, "name": file,
                     "location": f"{repo.split(':', 1)[1]}/{file}" if repo else file}, leak.where)
            if repo and repo.startswith("github:"):
                org = repo.split(":", 1)[1].split("/")[0]
                em.stub({"label": "System", "id": f"github:{org}", "kind": "github_org", "name": org,
                         "platform": "GitHub"}, leak.where)
                em.edge("PART_OF", sid, f"github:{org}", leak.where)
            em.edge("STORES", sid, leak.cred, leak.where)
        for ident in sorted(leak.identities):
            em.stub({"label": "Identity", "id": ident, "kind": "iam_user"}, leak.where)
            em.edge("AUTHENTICATES", leak.cred, ident, leak.where)


def _record(leaks: dict[str, Leak], cred: tuple[str, str | None, str | None], kind: str, where: str,
            date: datetime | None, location: str, store: tuple[str, str, str | None] | None,
            verified: bool = False) -> Leak:
    cid, key_id, fp = cred
    leak = leaks.get(cid)
    if leak is None:
        leak = leaks[cid] = Leak(cid, "access_key" if key_id else kind, key_id, fp, where=where)
    leak.fingerprint = leak.fingerprint or fp
    leak.verified = leak.verified or verified
    if date and (leak.first is None or date < leak.first):
        leak.first = date
    leak.locations.add(location)
    if store:
        leak.stores.add(store)
    return leak


# ---------------------------------------------------------------------------------------------- gitleaks
def parse_gitleaks(path: Path, scope: str | None = None) -> list[Batch]:
    findings = load_json(path)
    if not isinstance(findings, list):
        raise InputError(path, None, "not a gitleaks JSON report (expected an array of findings)")
    name = NameScope.of(path)
    named_repo = f"github:{name.parts[0]}/{name.parts[1]}" if len(name.parts) >= 2 else None
    links = {repo_key(f.get("Link")) for f in findings if isinstance(f, dict) and f.get("Link")} - {None}
    repo_default = named_repo or (next(iter(links)) if len(links) == 1 else None)
    scan = repo_default.split(":", 1)[1] if repo_default else path.stem
    batch = Batch(source=source_name("gitleaks", scope, scan))
    em = Emitter(batch, path)
    leaks: dict[str, Leak] = {}
    for i, f in enumerate(findings, 1):
        where = f"finding {i}"
        if not isinstance(f, dict):
            em.fail(where, "expected an object")
            continue
        rule, file = f.get("RuleID"), f.get("File")
        if not isinstance(rule, str) or not rule or not isinstance(file, str) or not file:
            em.fail(where, "a gitleaks finding needs RuleID and File")
            continue
        secret = f.get("Secret")
        cred = _identify(secret if isinstance(secret, str) else None, rule, f"{file}:{f.get('StartLine')}")
        del secret
        if cred[0].startswith("secret:unidentified:"):
            em.warn(where, "the value is redacted, so the finding cannot be matched to a known credential")
        repo = repo_key(f.get("Link")) or (repo_default if _relative(file) else None)
        commit = f.get("Commit") if isinstance(f.get("Commit"), str) else None
        date = scan_date(f.get("Date"))
        if f.get("Date") and date is None:
            em.warn(where, f"unreadable Date {str(f.get('Date'))[:40]!r}; leaked_at left empty")
        sid, _ = _store(repo, scan, file)
        _record(leaks, cred, _kind(rule), where, date, _location(repo, file, commit, f.get("StartLine")),
                (sid, file, repo))
    _emit(em, leaks, batch.source)
    return [batch]


# ---------------------------------------------------------------------------------------------- trufflehog
def parse_trufflehog(path: Path, scope: str | None = None) -> list[Batch]:
    name = NameScope.of(path)
    named_repo = f"github:{name.parts[0]}/{name.parts[1]}" if len(name.parts) >= 2 else None
    scan = named_repo.split(":", 1)[1] if named_repo else path.stem
    batch = Batch(source=source_name("trufflehog", scope, scan))
    em = Emitter(batch, path)
    leaks: dict[str, Leak] = {}
    lines: Iterable[str] = (line.splitlines()[0] for line in stream.text_lines(path))
    if first_char(path) == "[":
        # a JSON array of findings (some wrappers collect the lines into one array)
        try:
            items = load_json(path)
        except InputError as exc:
            if not exc.message.startswith("invalid JSON"):
                raise
            items = None
        if isinstance(items, list):
            lines = (json.dumps(x) for x in items)
    for n, line in enumerate(lines, 1):
        where = f"line {n}"
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            em.fail(where, f"not a JSON finding (invalid JSON: {exc.msg}); line skipped")
            continue
        except RecursionError:
            em.fail(where, "not a JSON finding (nested too deeply); line skipped")
            continue
        if not isinstance(obj, dict):
            em.fail(where, "not a trufflehog finding (expected a JSON object); line skipped")
            continue
        if "SourceMetadata" not in obj and "DetectorName" not in obj:
            if "level" in obj and ("msg" in obj or "message" in obj):
                em.warn(where, "a trufflehog log line, not a finding; skipped")
            else:
                em.fail(where, "not a trufflehog finding (no SourceMetadata or DetectorName); line skipped")
            continue
        _truffle_finding(em, leaks, obj, where, named_repo, scan)
        del obj
    _emit(em, leaks, batch.source)
    return [batch]


def _truffle_finding(em: Emitter, leaks: dict[str, Leak], obj: dict[str, Any], where: str,
                     named_repo: str | None, scan: str) -> None:
    detector = str(obj.get("DetectorName") or obj.get("DetectorType") or "unknown")
    meta = obj.get("SourceMetadata") if isinstance(obj.get("SourceMetadata"), dict) else {}
    data = meta.get("Data") if isinstance(meta.get("Data"), dict) else {}
    src = next((v for v in data.values() if isinstance(v, dict)), {})
    raw, raw2 = obj.get("Raw"), obj.get("RawV2")
    raw = raw if isinstance(raw, str) else None
    raw2 = raw2 if isinstance(raw2, str) else None
    key_hint, fp_value = None, None
    if raw2 and ":" in raw2 and credential_for_key_id(raw2.split(":", 1)[0].strip()):
        key_hint, fp_value = raw2.split(":", 1)
    file = src.get("file") or src.get("filename") or src.get("path") or ""
    cred = _identify(raw, detector, f"{file}:{src.get('line')}", key_hint, fp_value)
    del raw, raw2, key_hint, fp_value
    if cred[0].startswith("secret:unidentified:"):
        em.warn(where, "the finding has no value to match (Raw is empty)")
    repo = repo_key(src.get("repository")) or repo_key(src.get("link"))
    if repo is None and isinstance(file, str) and _relative(file):
        repo = named_repo  # a relative path in a scan of the repository the file name names
    commit = src.get("commit") if isinstance(src.get("commit"), str) else None
    date = scan_date(src.get("timestamp"))
    store = None
    if isinstance(file, str) and file:
        sid, _ = _store(repo, scan, file)
        store = (sid, file, repo)
    leak = _record(leaks, cred, _kind(detector), where, date,
                   _location(repo, file if isinstance(file, str) else None, commit, src.get("line")), store,
                   verified=obj.get("Verified") is True)
    extra = obj.get("ExtraData") if isinstance(obj.get("ExtraData"), dict) else {}
    arn = extra.get("arn")
    ident = aws_principal_from_arn(arn) if isinstance(arn, str) and ":user/" in arn else None
    if ident and leak.key_id:
        leak.identities.add(ident)


# ---------------------------------------------------------------------------------------------- detection
def _detect_gitleaks(path: Path, head: bytes) -> bool:
    if not looks_like_json(head) or not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"["):
        return False
    if b'"RuleID"' in head and (b'"StartLine"' in head or b'"Fingerprint"' in head or b'"Secret"' in head):
        return True
    return "gitleaks" in path.name.lower() and head.strip(b"\xef\xbb\xbf \t\r\n") == b"[]"


def _detect_trufflehog(path: Path, head: bytes) -> bool:
    if b'"SourceMetadata"' in head and b'"DetectorName"' in head:
        return True
    name = path.name.lower()
    return "trufflehog" in name and name.endswith((".json", ".jsonl", ".ndjson", ".txt", ".log"))


GITLEAKS = Format("gitleaks", "gitleaks secret scan report (JSON)",
                  "`gitleaks git --report-format json --report-path ORG__REPO__gitleaks.json REPO_DIR` (before "
                  "v8.19: `gitleaks detect --source REPO_DIR --report-format json --report-path ...`)",
                  _detect_gitleaks, parse_gitleaks)
TRUFFLEHOG = Format("trufflehog", "trufflehog v3 findings (JSON lines)",
                    "`trufflehog git https://github.com/ORG/REPO --json > ORG__REPO__trufflehog.jsonl` "
                    "(or any source: `trufflehog filesystem DIR --json > NAME__trufflehog.jsonl`)",
                    _detect_trufflehog, parse_trufflehog)
