"""The incident responder's answer for one credential: what it is, what it reaches, whom to call, what to do.

:func:`report` composes backend answers, so it reads the same on both backends. Order of the owners:
revocation first, then implement, monitor, approve.
"""

from __future__ import annotations

import difflib
import sys
from typing import Any

from ..errors import NotFoundError
from ..secrets import PREFIX, fingerprint
from .estate import Estate
from .reach import BlastRadius

CONTACT_ORDER = ("revoke", "implement", "monitor", "approve")


def read_secret_from_stdin() -> str:
    """The raw secret for `reach -`: read from stdin only, hashed at once by the caller, never echoed."""
    data = sys.stdin.read()
    if not data.strip():
        raise NotFoundError("no secret on standard input (pipe it in: `pbpaste | nhigraph reach -`)")
    return data


def key_candidates(key: str) -> list[str]:
    key = key.strip()
    out = [key]
    if not key.startswith(PREFIX) and len(key) == 64 and all(c in "0123456789abcdef" for c in key.lower()):
        out.append(PREFIX + key.lower())
    return out


def resolve_key(estate: Estate, key: str) -> str:
    """A credential id from a credential id, a provider key id, a fingerprint, or ``-`` (secret on stdin)."""
    if key == "-":
        key = fingerprint(read_secret_from_stdin())
    index: dict[str, str] = {}
    for n in estate.nodes_of("Credential"):
        d = estate.node(n)
        index[n] = n
        for prop in ("key_id", "fingerprint"):
            if d.get(prop):
                index.setdefault(d[prop], n)
    for cand in key_candidates(key):
        if cand in index:
            return index[cand]
    raise not_found(key, list(index))


def not_found(key: str, known: list[str]) -> NotFoundError:
    if key.startswith(PREFIX):
        return NotFoundError("no credential with that fingerprint in the workspace (the secret is unknown "
                             "here: it may belong to an estate not ingested yet)")
    close = difflib.get_close_matches(key, known, n=5, cutoff=0.5)
    hint = f"; closest: {', '.join(close)}" if close else ""
    return NotFoundError(f"no credential {key!r} in the workspace{hint}")


def context(estate: Estate, cred: str) -> dict[str, Any]:
    """The credential's own facts and everything around it (embedded backend)."""
    d = estate.node(cred)
    props = {k: v for k, v in d.items() if k not in ("sources",)}

    def described(ids) -> list[dict[str, Any]]:
        out = []
        for n in sorted(set(ids)):
            nd = estate.node(n)
            out.append({"id": n, "label": nd["label"], "kind": nd["kind"], "name": nd.get("name", n),
                        "environment": estate.environment(n)})
        return out

    owners = estate.owners(cred, active_only=False)
    return {
        "credential": props,
        "identities": described(i for i, _ in estate.out(cred, "AUTHENTICATES")),
        "stores": described(s for s, _ in estate.into(cred, "STORES")),
        "users": described(u for u, _ in estate.into(cred, "USES")),
        "vendors": described(v for v, _ in estate.into(cred, "HOLDS")),
        "exceptions": described(x for x, _ in estate.into(cred, "WAIVES")),
        "owners": {role: [_owner(estate, o) for o in sorted(owners[role])] for role in CONTACT_ORDER},
        "owner_register": estate.has_owner_register,
    }


def _owner(estate: Estate, owner: str) -> dict[str, Any]:
    d = estate.node(owner)
    return {"id": owner, "name": d.get("name", owner), "kind": d["kind"], "active": estate.owner_active(owner),
            "email": d.get("email"), "escalation_contact": d.get("escalation_contact"),
            "team": estate.team_of(owner)}


def checklist(ctx: dict[str, Any], br: BlastRadius) -> list[str]:
    """Concrete remediation steps, most urgent first."""
    cred = ctx["credential"]
    steps = []
    where = ", ".join(i["id"] for i in ctx["identities"]) or "its issuer"
    leaked = cred.get("leaked")
    steps.append(f"{'Revoke now' if leaked else 'Rotate'} {cred['id']} at {where}"
                 + (f" (provider key id {cred['key_id']})" if cred.get("key_id") else "") + ".")
    for u in ctx["users"]:
        steps.append(f"Update {u['label'].lower()} {u['id']} with the new credential first: it breaks on revoke.")
    for s in ctx["stores"]:
        steps.append(f"Replace or delete the copy in {s['kind']} {s['id']}.")
    others = sorted(c for c, order in br.credentials.items() if order > 0)
    if others:
        steps.append("Treat as exposed and rotate the credentials it could read: " + ", ".join(others) + ".")
    if leaked:
        steps.append(f"Review activity since the leak ({cred.get('leaked_at') or 'date unknown'}) on the "
                     f"{len(br.resources)} resource(s) it reaches, prod first.")
    if not any(ctx["owners"]["revoke"]):
        steps.append("Record a revocation owner: nobody is accountable for revoking it.")
    for v in ctx["vendors"]:
        steps.append(f"Ask {v['name']} ({v['id']}) to confirm the credential is destroyed on their side.")
    return steps


def report(backend, key: str) -> dict[str, Any]:
    """Everything `nhigraph reach KEY` prints, as data."""
    cred = backend.resolve_key(key)
    ctx = backend.credential_context(cred)
    br = backend.blast_radius(cred)
    contacts = []
    for role in CONTACT_ORDER:
        for o in ctx["owners"][role]:
            contacts.append({"role": role, **o})
    return {"credential": ctx["credential"], "identities": ctx["identities"], "stores": ctx["stores"],
            "users": ctx["users"], "vendors": ctx["vendors"], "exceptions": ctx["exceptions"],
            "blast_radius": br.to_json(), "contacts": contacts,
            "ownership_known": ctx["owner_register"], "checklist": checklist(ctx, br)}


def to_markdown(rep: dict[str, Any]) -> str:
    """A ticket body. Names are untrusted: table cells are escaped."""
    def cell(v: Any) -> str:
        text = "" if v is None else str(v)
        for ch in "\\|`*_[]<>":
            text = text.replace(ch, "\\" + ch)
        return text.replace("\n", " ")

    c = rep["credential"]
    br = rep["blast_radius"]
    n = br["counts"]
    lines = [f"## Credential {cell(c['id'])}", "",
             f"- Kind: {cell(c.get('kind'))}; status: {cell(c.get('status') or 'unknown')}"
             + ("; **LEAKED**" if c.get("leaked") else ""),
             f"- Authenticates as: {cell(', '.join(i['id'] for i in rep['identities']) or 'unknown')}",
             f"- Stored in: {cell(', '.join(s['id'] for s in rep['stores']) or 'nowhere recorded')}",
             f"- Used by: {cell(', '.join(u['id'] for u in rep['users']) or 'nothing recorded')}",
             f"- Held by third parties: {cell(', '.join(v['id'] for v in rep['vendors']) or 'none')}", "",
             "## Blast radius", "",
             f"Reaches {n['total']} resource(s) ({br['share']:.1%} of the estate): {n['admin']} admin, "
             f"{n['write']} write, {n['read']} read; {n['prod']} in prod ({n['prod_write']} with write or admin); "
             f"{n['second_order']} second-order through stored credentials; {n['systems']} system(s).", "",
             "| resource | level | env | order | path |", "|---|---|---|---|---|"]
    for t in br["targets"]:
        lines.append(f"| {cell(t['id'])} | {t['level']} | {cell(t['environment'])} | {t['order']} | "
                     f"{cell(' > '.join(t['path']))} |")
    lines += ["", "## Contacts (revocation first)", ""]
    if not rep["ownership_known"]:
        lines.append("Ownership unknown: no owner register was ingested.")
    elif not rep["contacts"]:
        lines.append("**No owner recorded.**")
    for o in rep["contacts"]:
        lines.append(f"- {o['role']}: {cell(o['name'])} ({cell(o['id'])})"
                     + ("" if o["active"] else " **departed**")
                     + (f", {cell(o['email'])}" if o.get("email") else ""))
    lines += ["", "## Remediation", ""] + [f"{i}. {cell(s)}" for i, s in enumerate(rep["checklist"], 1)]
    return "\n".join(lines) + "\n"
