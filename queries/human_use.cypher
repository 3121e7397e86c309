// name: human_use
// description: Non-human identities people use: flagged as used interactively, or holding grants that
//   only work with MFA (so only a person can use them). A person's own login (kind human_user, e.g. an
//   AWS root user) is counted but never flagged.
// params: none
// owasp: NHI10
// nist: PR.AA-01
// metric: security.human_use
// returns: one row: numerator, denominator (identities), offenders [{subject, mfa_only_grants}]
MATCH (i:Identity)
WITH i, COLLECT { MATCH (i)-[g:HAS_ACCESS]->(t) WHERE g.human_only = true RETURN t.id AS id ORDER BY id } AS mfa
ORDER BY i.id
WITH count(i) AS denominator,
     collect(CASE WHEN i.kind <> 'human_user' AND (i.human_used = true OR size(mfa) > 0) THEN {subject: i.id, mfa_only_grants: mfa} END) AS offenders
RETURN size(offenders) AS numerator, denominator, offenders
