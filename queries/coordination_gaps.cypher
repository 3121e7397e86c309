// name: coordination_gaps
// description: Identities, credentials and connectors with a RACI role (approve, implement, monitor,
//   revoke) held by no active owner, or whose active owners are spread over more than $max_teams teams.
//   A credential inherits the owners of the identity it authenticates as. A person's team is the team
//   they are a member of (else their `team` property, else themselves). When an owner register exists,
//   owners named only by resource tags do not count.
// params: $max_teams:int=2 teams sharing one subject before it counts as split
// owasp: NHI1
// nist: GV.RR-02
// metric: coordination.raci_gaps
// returns: one row: numerator, denominator (subjects), unknown, no_revocation_owner, team_total,
//   average_teams, offenders [{subject, label, missing_roles, teams, team_count}]
CALL () {
  RETURN EXISTS { MATCH (r:Owner) WHERE any(s IN coalesce(r.sources, [r.source]) WHERE NOT s ENDS WITH ':tags') }
         AS register
}
CALL (register) {
  MATCH (s)
  WHERE s:Identity OR s:Credential OR s:Connector
  CALL (s, register) {
    CALL (s) {
      MATCH (o:Owner)-[r:OWNS]->(s)
      RETURN o, r.role AS role
      UNION
      MATCH (s:Credential)-[:AUTHENTICATES]->(:Identity)<-[r:OWNS]-(o:Owner)
      RETURN o, r.role AS role
    }
    WITH o, role
    WHERE coalesce(o.active, true) AND o.departed_at IS NULL
      AND (NOT register OR any(src IN coalesce(o.sources, [o.source]) WHERE NOT src ENDS WITH ':tags'))
    RETURN collect(DISTINCT role) AS roles, collect(DISTINCT o) AS owners
  }
  WITH s, [r IN ['approve', 'implement', 'monitor', 'revoke'] WHERE NOT r IN roles] AS missing,
       COLLECT {
         UNWIND owners AS o
         RETURN DISTINCT CASE WHEN o.kind = 'team' THEN o.id
                              ELSE coalesce(COLLECT { MATCH (o)-[:MEMBER_OF]->(t) RETURN t.id AS id ORDER BY id }[0],
                                            o.team, o.id) END AS team
         ORDER BY team
       } AS teams
  ORDER BY s.id
  RETURN count(s) AS denominator,
         sum(CASE WHEN 'revoke' IN missing THEN 1 ELSE 0 END) AS no_revocation_owner,
         sum(size(teams)) AS team_total,
         collect(CASE WHEN size(missing) > 0 OR size(teams) > $max_teams
                      THEN {subject: s.id, label: labels(s)[0], missing_roles: missing, teams: teams, team_count: size(teams)}
                 END) AS offenders
}
RETURN size(offenders) AS numerator, denominator, NOT register AS unknown, no_revocation_owner, team_total,
       CASE WHEN denominator > 0 THEN round(toFloat(team_total) / denominator, 3) ELSE 0.0 END AS average_teams,
       offenders
