"""gitleaks reports, one per repository, named as ``tests/fixtures/scanners/README.md`` says::

    scans/<org>__<repo>__gitleaks.json
        gitleaks git --report-format json --report-path ORG__REPO__gitleaks.json REPO_DIR

Most repositories scan clean (``[]``). The findings are AWS access key ids committed to ``.env`` and config
files (some of keys already deactivated) and generic API keys no export knows (fake values: the scanner's
``Secret`` field holds them, nhigraph fingerprints and drops them).
"""

from __future__ import annotations

import json
from typing import Any

from ..secrets import fingerprint
from .common import Ctx, Rng, z
from .plan import repo

FILES = (".env", "deploy/.env.production", "config/settings.py", "scripts/backup.sh", "terraform/terraform.tfvars",
         "docker-compose.yml", "README.md")
AUTHORS = (("Jane Dev", "jane@example.com"), ("John Ops", "john@example.com"), ("Sam Intern", "sam@example.com"))
AWS_DESC = ("Identified a pattern that may indicate AWS credentials, risking unauthorized cloud resource access "
            "and data breaches on AWS platforms.")
GENERIC_DESC = "Detected a Generic API Key, potentially exposing access to various services and sensitive operations."


def _finding(ctx: Ctx, rng: Rng, org: str, name: str, rule: str, desc: str, secret: str, match: str) -> dict[str, Any]:
    file = FILES[rng.randrange(len(FILES))]
    commit = rng.hex(40)
    line = rng.randrange(1, 120)
    author, email = AUTHORS[rng.randrange(len(AUTHORS))]
    start = rng.randrange(1, 20)
    return {"RuleID": rule, "Description": desc, "StartLine": line, "EndLine": line, "StartColumn": start,
            "EndColumn": start + len(match) - 1, "Match": match, "Secret": secret, "File": file,
            "SymlinkFile": "", "Commit": commit,
            "Link": f"https://github.com/{org}/{name}/blob/{commit}/{file}#L{line}",
            "Entropy": round(rng.uniform(3.2, 4.8), 7), "Author": author, "Email": email,
            "Date": z(ctx.when(rng.uniform(1, 300))), "Message": rng.choice(("wip", "fix deploy", "local config",
                                                                            "add backup script", "update env")),
            "Tags": [], "Fingerprint": f"{commit}:{file}:{rule}:{line}"}


def write(ctx: Ctx) -> None:
    plan, planted = ctx.plan, ctx.planted
    by_repo: dict[int, list[tuple[str, bool]]] = {}
    for key, active, g in ctx.catalog.leaks:
        by_repo.setdefault(g, []).append((key, active))
    for g in range(plan.n_repos):
        rp = repo(ctx, g)
        rng = ctx.rng("gitleaks", g)
        findings = []
        for key, _ in by_repo.get(g, []):
            findings.append(_finding(ctx, rng, rp.org, rp.name, "aws-access-token", AWS_DESC, key,
                                     f"AWS_ACCESS_KEY_ID={key}"))
        if g == 0 or rng.chance(0.01):
            value = f"synthetic-{rng.hex(32)}"
            findings.append(_finding(ctx, rng, rp.org, rp.name, "generic-api-key", GENERIC_DESC, value,
                                     f'api_key = "{value}"'))
            planted.add("leaked_unknown_secrets", f"secret:{fingerprint(value)}")
        ctx.write_text(json.dumps(findings, indent=1) + "\n" if findings else "[]\n",
                       "scans", f"{rp.org}__{rp.name}__gitleaks.json")
