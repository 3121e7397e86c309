// name: departed_owners
// description: Identities with no active owner and at least one owner who left (inactive or with a
//   departure date): nobody is left to approve, rotate or revoke them. Owners named only by resource tags
//   do not count as active when an owner register exists, nor as departed (they are unknown). "unknown"
//   when no owner register was ingested.
// params: none
// owasp: NHI1
// nist: PR.AA-01, GV.RR-02
// metric: ownership.departed_owner
// returns: one row: numerator, denominator (identities), unknown, offenders [{subject, departed}]
CALL () {
  RETURN EXISTS { MATCH (r:Owner) WHERE any(s IN coalesce(r.sources, [r.source]) WHERE NOT s ENDS WITH ':tags') }
         AS register
}
MATCH (i:Identity)
WITH register, i, COLLECT { MATCH (o:Owner)-[:OWNS]->(i) RETURN DISTINCT o ORDER BY o.id } AS owners
WITH register, i, owners,
     [o IN owners WHERE coalesce(o.active, true) AND o.departed_at IS NULL
                        AND (NOT register OR any(s IN coalesce(o.sources, [o.source]) WHERE NOT s ENDS WITH ':tags'))] AS active
WITH register, i, active, [o IN owners WHERE o.active = false OR o.departed_at IS NOT NULL] AS departed
ORDER BY i.id
WITH register, count(i) AS denominator,
     collect(CASE WHEN size(departed) > 0 AND size(active) = 0 THEN {subject: i.id, departed: [o IN departed | o.id]} END)
       AS offenders
RETURN size(offenders) AS numerator, denominator, NOT register AS unknown, offenders
