"""The Neo4j backend: every answer of :class:`~nhigraph.backends.base.Backend` from the ``queries/`` library.

The graph work runs in Cypher. Two things Cypher cannot express without APOC are driven from here:

- following stored credentials to any depth. ``exposed_credentials`` gives, per credential, the credentials
  stored where it reaches; the closure of those links (a credential's *chain*) is passed back as a
  parameter to ``blast_radius_all``, ``unowned_paths`` and ``third_party_access``;
- the exact blast radius of one credential, order by order: ``blast_radius`` is run once per order with
  the next order's credentials as its frontier, and the paths are read off the parent steps it returns.

"Now" for time-based metrics is the observation time of the snapshot last pushed (stored at push on
``(:NhigraphMeta {id: 'snapshot'})``), so both backends judge the same snapshot the same way.
"""

from __future__ import annotations

from collections import deque
from functools import cached_property
from typing import Any

from ..analysis import incident
from ..analysis.debt import DebtAnalysis, Metric, Thresholds
from ..analysis.estate import Estate
from ..analysis.reach import BlastRadius, Target
from ..errors import NhigraphError, NotFoundError
from ..secrets import fingerprint
from . import queries as Q
from .connect import DEFAULT_URI, Neo4jConnectionError, connect, describe

#: metric id -> (offender sort key fields, list fields sorted in each offender); "_group" orders groups first
_ORDER: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "integration.duplicate_connectors": (("from_platform", "to_platform"), ("connectors", "business_units", "credentials")),
    "integration.point_to_point": (("_group", "subject"), ("credentials",)),
    "integration.credential_sprawl": (("subject",), ("stores",)),
    "ownership.unowned_paths": (("subject",), ("resources", "unowned")),
    "ownership.departed_owner": (("subject",), ("departed",)),
    "coordination.raci_gaps": (("subject",), ("teams",)),
    "orchestration.ungoverned_automation": (("_group", "subject"), ()),
    "security.long_lived": (("subject",), ()),
    "security.unused": (("subject",), ()),
    "security.multiple_active_keys": (("subject",), ("credentials",)),
    "security.admin_grants": (("subject", "target"), ()),
    "security.shared_credentials": (("subject",), ("users",)),
    "security.environment_mixing": (("subject",), ("environments", "_users", "_stores")),
    "security.leaked": (("subject",), ()),
    "security.exceptions": (("subject",), ("waives",)),
    "security.human_use": (("subject",), ("mfa_only_grants",)),
    "third_party.vendor_access": (("subject",), ("vendors", "how")),
    "third_party.no_external_id": (("trusted", "subject"), ()),
}


#: metric query columns that are not extras of the Metric
_STANDARD = frozenset({"numerator", "denominator", "offenders", "unknown", "team_total"})


def _closure(links: dict[str, list[str]]) -> dict[str, list[str]]:
    """Credential -> every credential reachable through the links (not itself), for those with any."""
    out: dict[str, list[str]] = {}
    for start in links:
        seen = {start}
        queue = deque(links[start])
        reached: set[str] = set()
        while queue:
            x = queue.popleft()
            if x in seen:
                continue
            seen.add(x)
            reached.add(x)
            queue.extend(links.get(x, ()))
        if reached:
            out[start] = sorted(reached)
    return out


class Neo4jBackend:
    name = "neo4j"

    def __init__(self, uri: str | None = None, user: str = "neo4j", database: str | None = None, *,
                 driver=None) -> None:
        """Connect to ``uri`` (password from ``$NEO4J_PASSWORD``), or use an open ``driver`` (not closed here)."""
        self.uri, self.database = (uri or DEFAULT_URI) if driver is None else uri, database
        self._owns_driver = driver is None
        self.driver = driver if driver is not None else connect(self.uri, user, database)

    # -- plumbing ---------------------------------------------------------------------------------
    def close(self) -> None:
        if self._owns_driver and self.driver is not None:
            self.driver.close()
            self.driver = None

    def __enter__(self) -> "Neo4jBackend":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, name: str, **params: Any) -> list[dict[str, Any]]:
        """Rows of a library query. Parameters the query computes by default (``@observed_at``: the pushed
        snapshot's observation time, ``@chains``, ``@owned_chains``) are filled in when not given."""
        q = Q.get(name)
        bound = q.bind(params, {Q.OBSERVED_AT: lambda: self.observed_at, "@chains": lambda: self.chains,
                                "@owned_chains": lambda: self.owned_chains})
        try:
            return Q.run_query(self.driver, q, bound, database=self.database)
        except NhigraphError:
            raise
        except Exception as exc:  # noqa: BLE001 - driver failures become one line
            raise Neo4jConnectionError(f"query {name}: {describe(exc, self.uri)}") from None

    def one(self, name: str, **params: Any) -> dict[str, Any]:
        rows = self.run(name, **params)
        if len(rows) != 1:
            raise Neo4jConnectionError(f"query {name} returned {len(rows)} rows instead of one")
        return rows[0]

    @cached_property
    def snapshot(self) -> dict[str, Any]:
        row = self.one("snapshot")
        if row["snapshot"] is None and row["observed_at"] is None:
            raise NotFoundError("nothing has been pushed to this Neo4j database yet; run `nhigraph neo4j push`")
        return row

    @property
    def observed_at(self):
        return self.snapshot["observed_at"]

    @cached_property
    def _links(self) -> dict[str, list[str]]:
        return {r["credential"]: r["exposed"] for r in self.run("exposed_credentials", accountable_only=False)}

    @cached_property
    def chains(self) -> dict[str, list[str]]:
        """Credential -> the credentials it reaches through stored copies, all orders."""
        return _closure(self._links)

    @cached_property
    def owned_chains(self) -> dict[str, list[str]]:
        """The same through accountable credentials and identities only."""
        return _closure({r["credential"]: r["exposed"] for r in self.run("exposed_credentials", accountable_only=True)})

    # -- incident questions -----------------------------------------------------------------------
    def resolve_key(self, key: str) -> str:
        if key == "-":
            key = fingerprint(incident.read_secret_from_stdin())
        rows = self.run("resolve_credential", keys=incident.key_candidates(key))
        if rows:
            return min(rows, key=lambda r: (r["key_index"], r["priority"], r["id"]))["id"]
        known: dict[str, None] = {}
        for r in self.run("credential_keys"):
            for k in ("id", "key_id", "fingerprint"):
                if r[k]:
                    known.setdefault(r[k])
        raise incident.not_found(key, list(known))

    def credential_context(self, cred: str) -> dict[str, Any]:
        rows = self.run("credential_context", credential=cred)
        if not rows:
            raise NotFoundError(f"no credential {cred!r} in the database")
        row = rows[0]
        props = {k: v for k, v in row["credential"].items() if not k.startswith("_") and k != "sources"}
        props["label"] = "Credential"

        def described(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return sorted(items, key=lambda d: d["id"])

        owners = {role: sorted(row["owners"][role], key=lambda o: o["id"]) for role in incident.CONTACT_ORDER}
        return {
            "credential": props,
            "identities": described(row["identities"]),
            "stores": described(row["stores"]),
            "users": described(row["users"]),
            "vendors": described(row["vendors"]),
            "exceptions": described(row["exceptions"]),
            "owners": owners,
            "owner_register": row["owner_register"],
        }

    def blast_radius(self, cred: str) -> BlastRadius:
        """Order by order: each ``blast_radius`` call reaches what the frontier credentials reach, and names
        the credentials stored there as the next frontier."""
        br = BlastRadius(cred)
        depth: dict[str, int] = {cred: 0}
        paths: dict[str, list[str]] = {cred: [cred]}
        best: dict[str, tuple[int, Target]] = {}
        br.credentials[cred] = 0
        frontier = [{"id": cred, "depth": 0}]
        seen: list[str] = []
        order = 0
        while frontier:
            row = self.one("blast_radius", credential=cred, frontier=frontier, seen=seen)
            br.estate_resources = row["estate_resources"]
            br.vendors.update(row["frontier_vendors"])
            layer = {f["id"] for f in frontier}
            for ident in row["identities"]:
                depth[ident["id"]] = ident["depth"]
            for ident in sorted(row["identities"], key=lambda x: x["depth"]):
                d = ident["depth"]
                parent = min(p for p in ident["via"] if p in layer and depth[p] == d - 1)
                paths[ident["id"]] = paths[parent] + [ident["id"]]
                layer.add(ident["id"])
                br.identities[ident["id"]] = d
                br.vendors.update(ident["vendors"])
            for t in row["targets"]:
                prev = best.get(t["id"])
                if prev is not None and prev[0] >= t["rank"]:
                    continue
                path = paths[t["grantor"]] + ([t["system"]] if t["system"] else []) + [t["id"]]
                best[t["id"]] = (t["rank"], Target(t["id"], t["label"], t["kind"], t["name"] or t["id"], t["level"],
                                                   order, t["environment"], path))
                if t["label"] == "System":
                    br.systems.add(t["id"])
                else:
                    br.systems.update(t["systems"])
            store_paths = {}
            for t in row["targets"]:
                route = t["route"]
                store_paths[t["id"]] = paths[route["grantor"]] + ([route["system"]] if route["system"] else []) + [t["id"]]
            next_frontier = []
            for c in row["credentials"]:
                depth[c["id"]] = c["depth"]
                paths[c["id"]] = store_paths[c["store"]] + [c["id"]]
                br.credentials[c["id"]] = order + 1
                next_frontier.append({"id": c["id"], "depth": c["depth"]})
            seen += [f["id"] for f in frontier] + [i["id"] for i in row["identities"]]
            frontier = next_frontier
            order += 1
        br.targets = {k: best[k][1] for k in sorted(best)}
        return br

    def blast_radii(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for r in self.run("blast_radius_all"):
            counts, n = r["counts"], r["estate_resources"]
            out[r["credential"]] = {"counts": dict(counts), "share": round(counts["total"] / n, 6) if n else 0.0}
        return out

    def credentials_of(self) -> dict[str, list[str]]:
        return {r["identity"]: sorted(r["credentials"]) for r in self.run("credentials_of")}

    def scopes(self) -> dict[str, dict[str, set[str]]]:
        out: dict[str, dict[str, set[str]]] = {}
        for r in self.run("scopes"):
            out.setdefault(r["scope"], {})[r["member_kind"]] = set(r["members"])
        return out

    # -- metrics ----------------------------------------------------------------------------------
    def metrics(self, thresholds: Thresholds | None = None) -> list[Metric]:
        t = thresholds or Thresholds()
        by_metric = {q.metric: q.name for q in Q.list_queries() if q.metric}
        # ids, titles, categories and populations exactly as the embedded analysis names them
        templates = DebtAnalysis(Estate.from_records({}, []), t).metrics()
        params: dict[str, dict[str, Any]] = {
            "integration.credential_sprawl": {"max_stores": t.max_stores},
            "coordination.raci_gaps": {"max_teams": t.max_teams},
            "security.long_lived": {"rotation_days": t.rotation_days},
            "security.unused": {"unused_days": t.unused_days},
        }
        out = []
        for tpl in templates:
            name = by_metric.get(tpl.id)
            if name is None:
                raise NhigraphError(f"the query library has no query for metric {tpl.id}")
            row = self.one(name, **params.get(tpl.id, {}))
            m = Metric(tpl.id, tpl.category, tpl.title, tpl.population, numerator=row["numerator"],
                       denominator=row["denominator"], unknown=bool(row.get("unknown", False)))
            m.offenders = self._offenders(tpl.id, row["offenders"])
            for key, value in row.items():
                if key in _STANDARD or value is None:
                    continue
                if key == "average_teams":  # Python rounding, as the embedded analysis does it
                    value = round(row["team_total"] / row["denominator"], 3) if row["denominator"] else 0.0
                m.extra[key] = value
            out.append(m)
        return out

    @staticmethod
    def _offenders(metric: str, offenders: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Offenders in the embedded analysis' order (Python string order, not Neo4j's UTF-16 order)."""
        keys, lists = _ORDER[metric]
        rows = []
        for o in offenders:
            o = dict(o)
            for k in lists:
                if isinstance(o.get(k), list):
                    o[k] = sorted(o[k])
            if "_users" in o:
                o["places"] = o["_users"] + o["_stores"]
            rows.append(o)
        rows.sort(key=lambda o: tuple(o.get(k, 0) for k in keys))
        return [{k: v for k, v in o.items() if not k.startswith("_")} for o in rows]


__all__ = ["Neo4jBackend"]
