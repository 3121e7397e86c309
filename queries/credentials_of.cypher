// name: credentials_of
// description: For every identity with credentials, the credentials that authenticate as it.
// params: none
// owasp: NHI7
// nist: PR.AA-01
// returns: rows: identity, credentials (ids)
MATCH (c:Credential)-[:AUTHENTICATES]->(i:Identity)
WITH i, c ORDER BY c.id
RETURN i.id AS identity, collect(c.id) AS credentials
ORDER BY identity
