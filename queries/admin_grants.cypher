// name: admin_grants
// description: Access grants that are admin or use a wildcard action (`*` or `service:*`).
// params: none
// owasp: NHI5
// nist: PR.AA-05
// metric: security.admin_grants
// returns: one row: numerator, denominator (access grants), offenders [{subject, target, level, wildcard}]
MATCH (u)-[g:HAS_ACCESS]->(v)
WITH u, g, v, any(a IN coalesce(g.actions, []) WHERE trim(a) = '*' OR a ENDS WITH ':*') AS wildcard
ORDER BY u.id, v.id
WITH count(g) AS denominator,
     collect(CASE WHEN g.level = 'admin' OR wildcard
                  THEN {subject: u.id, target: v.id, level: g.level, wildcard: wildcard} END) AS offenders
RETURN size(offenders) AS numerator, denominator, offenders
