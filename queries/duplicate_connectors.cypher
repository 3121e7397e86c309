// name: duplicate_connectors
// description: Connectors that move data between the same two platforms (platform, else name, else id of
//   the systems they read from and write to, lower-cased). Each group of two or more is integration debt:
//   every connector beyond the first is excess, with its own credentials to rotate and revoke.
// params: none
// owasp: NHI9
// nist: ID.AM-03, GV.RR-02
// metric: integration.duplicate_connectors
// returns: one row: numerator (excess connectors), denominator (all connectors), groups, offenders
//   [{subject, from_platform, to_platform, connectors, business_units, credentials, excess}]
CALL () {
  MATCH (c:Connector)
  RETURN count(c) AS denominator
}
CALL () {
  MATCH (c:Connector)
  WITH c,
       COLLECT { MATCH (c)-[:CONNECTS_FROM]->(s) RETURN DISTINCT toLower(coalesce(s.platform, s.name, s.id)) } AS froms,
       COLLECT { MATCH (c)-[:CONNECTS_TO]->(s) RETURN DISTINCT toLower(coalesce(s.platform, s.name, s.id)) } AS tos
  UNWIND CASE WHEN size(froms) = 0 THEN ['?'] ELSE froms END AS f
  UNWIND CASE WHEN size(tos) = 0 THEN ['?'] ELSE tos END AS t
  WITH f, t, c
  WHERE f <> '?' OR t <> '?'
  ORDER BY c.id
  WITH f, t, collect(c) AS members
  WHERE size(members) > 1
  WITH f, t, members,
       COLLECT { UNWIND members AS m RETURN DISTINCT coalesce(m.business_unit, 'unknown') AS bu ORDER BY bu } AS units,
       COLLECT { UNWIND members AS m MATCH (m)-[:USES]->(x) RETURN DISTINCT x.id AS id ORDER BY id } AS credentials
  ORDER BY f, t
  RETURN collect({subject: f + ' -> ' + t, from_platform: f, to_platform: t, connectors: [m IN members | m.id],
                  business_units: units, credentials: credentials, excess: size(members) - 1}) AS offenders
}
RETURN reduce(n = 0, o IN offenders | n + o.excess) AS numerator, denominator, size(offenders) AS groups, offenders
