// name: point_to_point
// description: Agent tools and API integrations with no broker or gateway, and AI agents holding
//   credentials of their own: point-to-point access that cannot be scoped, rotated or revoked centrally.
// params: none
// owasp: NHI5, NHI9
// nist: PR.AA-05
// metric: integration.point_to_point
// returns: one row: numerator, denominator (agent connectors and AI agents), offenders [{subject, kind, credentials,
//   _group (0: connectors, listed first; 1: agents)}]
CALL () {
  MATCH (c:Connector)
  WHERE c.kind IN ['agent_tool', 'api_integration']
  WITH c, COLLECT { MATCH (c)-[:USES]->(x) RETURN x.id AS id ORDER BY id } AS credentials
  ORDER BY c.id
  RETURN count(c) AS connectors,
         collect(CASE WHEN c.broker IS NULL THEN {subject: c.id, kind: c.kind, credentials: credentials, _group: 0} END) AS via_connectors
}
CALL () {
  MATCH (w:Workflow {kind: 'ai_agent'})
  WITH w, COLLECT { MATCH (w)-[:USES]->(x) RETURN x.id AS id ORDER BY id } AS credentials
  ORDER BY w.id
  RETURN count(w) AS agents,
         collect(CASE WHEN size(credentials) > 0 THEN {subject: w.id, kind: 'ai_agent', credentials: credentials, _group: 1} END) AS via_agents
}
WITH via_connectors + via_agents AS offenders, connectors + agents AS denominator
RETURN size(offenders) AS numerator, denominator, offenders
