// name: shared_credentials
// description: Credentials used by more than one workflow or connector: none of them can be revoked
//   without breaking the others.
// params: none
// owasp: NHI9
// nist: PR.AA-05
// metric: security.shared_credentials
// returns: one row: numerator, denominator (credentials in use), offenders [{subject, users}]
MATCH (c:Credential)
WITH c, COLLECT { MATCH (u)-[:USES]->(c) RETURN u.id AS id ORDER BY id } AS users
ORDER BY c.id
WITH sum(CASE WHEN size(users) > 0 THEN 1 ELSE 0 END) AS denominator,
     collect(CASE WHEN size(users) > 1 THEN {subject: c.id, users: users} END) AS offenders
RETURN size(offenders) AS numerator, denominator, offenders
