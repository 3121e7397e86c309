// name: credential_sprawl
// description: Credentials kept in more places (secret stores, resources) than $max_stores: every copy is
//   one more place to leak from and one more place to update on rotation.
// params: $max_stores:int=1 copies allowed before a credential counts as sprawled
// owasp: NHI2
// nist: PR.AA-01, PR.DS-01
// metric: integration.credential_sprawl
// returns: one row: numerator, denominator (credentials), offenders [{subject, stores, copies}]
MATCH (c:Credential)
WITH c, COLLECT { MATCH (s)-[:STORES]->(c) RETURN s.id AS id ORDER BY id } AS stores
ORDER BY c.id
WITH count(c) AS denominator,
     collect(CASE WHEN size(stores) > $max_stores THEN {subject: c.id, stores: stores, copies: size(stores)} END) AS offenders
RETURN size(offenders) AS numerator, denominator, offenders
