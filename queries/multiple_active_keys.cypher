// name: multiple_active_keys
// description: Identities with more than one active credential: rotation left the old key behind, or
//   several consumers share the identity.
// params: none
// owasp: NHI7
// nist: PR.AA-01
// metric: security.multiple_active_keys
// returns: one row: numerator, denominator (identities with an active credential), offenders [{subject, credentials}]
MATCH (i:Identity)
WITH i, COLLECT { MATCH (c:Credential)-[:AUTHENTICATES]->(i) WHERE c.status IS NULL OR c.status = 'active'
                  RETURN c.id AS id ORDER BY id } AS keys
ORDER BY i.id
WITH sum(CASE WHEN size(keys) > 0 THEN 1 ELSE 0 END) AS denominator,
     collect(CASE WHEN size(keys) > 1 THEN {subject: i.id, credentials: keys} END) AS offenders
RETURN size(offenders) AS numerator, denominator, offenders
