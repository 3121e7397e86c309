// name: scopes
// description: Scope membership for the integration-debt score: per system, the connectors reading from or
//   writing to it and the credentials whose identity is part of it; per business unit, the connectors and
//   workflows naming it and the credentials whose own, identity's or user's business unit it is.
// params: none
// owasp: NHI9
// nist: ID.AM-03
// returns: rows: scope (system:<id> or bu:<name>), member_kind (connectors, credentials, workflows), members
CALL () {
  MATCH (c:Connector)-[:CONNECTS_FROM|CONNECTS_TO]->(s)
  RETURN 'system:' + s.id AS scope, 'connectors' AS kind, c.id AS member
  UNION
  MATCH (c:Connector) WHERE c.business_unit IS NOT NULL
  RETURN 'bu:' + c.business_unit AS scope, 'connectors' AS kind, c.id AS member
  UNION
  MATCH (w:Workflow) WHERE w.business_unit IS NOT NULL
  RETURN 'bu:' + w.business_unit AS scope, 'workflows' AS kind, w.id AS member
  UNION
  MATCH (c:Credential)-[:AUTHENTICATES]->(:Identity)-[:PART_OF]->(s)
  RETURN 'system:' + s.id AS scope, 'credentials' AS kind, c.id AS member
  UNION
  MATCH (c:Credential) WHERE c.business_unit IS NOT NULL
  RETURN 'bu:' + c.business_unit AS scope, 'credentials' AS kind, c.id AS member
  UNION
  MATCH (c:Credential)-[:AUTHENTICATES]->(i) WHERE i.business_unit IS NOT NULL
  RETURN 'bu:' + i.business_unit AS scope, 'credentials' AS kind, c.id AS member
  UNION
  MATCH (u)-[:USES]->(c:Credential) WHERE u.business_unit IS NOT NULL
  RETURN 'bu:' + u.business_unit AS scope, 'credentials' AS kind, c.id AS member
}
WITH scope, kind, member ORDER BY member
RETURN scope, kind AS member_kind, collect(member) AS members
ORDER BY scope, member_kind
