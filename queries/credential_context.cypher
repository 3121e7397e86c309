// name: credential_context
// description: Everything around one credential: its properties, the identity it authenticates as, where
//   it is stored, what uses it, the third parties holding it, the policy exceptions waiving it, and its
//   owners per RACI role (its own and those of its identity; departed ones flagged), revocation first.
// params: $credential:str the credential id
// owasp: NHI1, NHI2
// nist: PR.AA-01, GV.RR-02
// returns: one row (none if no such credential): credential (properties), identities, stores, users,
//   vendors, exceptions ([{id, label, kind, name, environment}]), owners {revoke, implement, monitor,
//   approve: [{id, name, kind, active, email, escalation_contact, team}]} (active: not departed and, when
//   an owner register exists, not named only by resource tags), owner_register
CALL () {
  RETURN EXISTS { MATCH (r:Owner) WHERE any(s IN coalesce(r.sources, [r.source]) WHERE NOT s ENDS WITH ':tags') }
         AS register
}
MATCH (c:Credential {id: $credential})
CALL (c) {
  CALL (c) {
    MATCH (c)-[:AUTHENTICATES]->(n) RETURN 'identities' AS rel, n
    UNION
    MATCH (n)-[:STORES]->(c) RETURN 'stores' AS rel, n
    UNION
    MATCH (n)-[:USES]->(c) RETURN 'users' AS rel, n
    UNION
    MATCH (n)-[:HOLDS]->(c) RETURN 'vendors' AS rel, n
    UNION
    MATCH (n)-[:WAIVES]->(c) RETURN 'exceptions' AS rel, n
  }
  WITH rel, n ORDER BY n.id
  WITH rel, collect({id: n.id, label: labels(n)[0], kind: n.kind, name: coalesce(n.name, n.id),
                     environment: coalesce(n.environment,
                                           COLLECT { MATCH (n)-[:PART_OF]->(s:System) WHERE s.environment IS NOT NULL
                                                     RETURN s.environment
                                                     ORDER BY CASE WHEN EXISTS { (n)-[:HAS_ACCESS]->(s) } THEN 0 ELSE 1 END, s.id }[0])})
                 AS described
  RETURN collect([rel, described]) AS around
}
CALL (c, register) {
  CALL (c) {
    MATCH (o:Owner)-[r:OWNS]->(c) RETURN o, r.role AS role
    UNION
    MATCH (c)-[:AUTHENTICATES]->(:Identity)<-[r:OWNS]-(o:Owner) RETURN o, r.role AS role
  }
  WITH register, o, role ORDER BY o.id
  WITH role, collect({id: o.id, name: coalesce(o.name, o.id), kind: o.kind,
                      active: coalesce(o.active, true) AND o.departed_at IS NULL
                              AND (NOT register OR any(src IN coalesce(o.sources, [o.source]) WHERE NOT src ENDS WITH ':tags')),
                      email: o.email, escalation_contact: o.escalation_contact,
                      team: CASE WHEN o.kind = 'team' THEN o.id
                                 ELSE coalesce(COLLECT { MATCH (o)-[:MEMBER_OF]->(t) RETURN t.id AS id ORDER BY id }[0],
                                               o.team, o.id) END}) AS owners
  RETURN collect([role, owners]) AS by_role
}
WITH register, c, around, by_role
RETURN properties(c) AS credential,
       coalesce([x IN around WHERE x[0] = 'identities' | x[1]][0], []) AS identities,
       coalesce([x IN around WHERE x[0] = 'stores' | x[1]][0], []) AS stores,
       coalesce([x IN around WHERE x[0] = 'users' | x[1]][0], []) AS users,
       coalesce([x IN around WHERE x[0] = 'vendors' | x[1]][0], []) AS vendors,
       coalesce([x IN around WHERE x[0] = 'exceptions' | x[1]][0], []) AS exceptions,
       {revoke: coalesce([x IN by_role WHERE x[0] = 'revoke' | x[1]][0], []),
        implement: coalesce([x IN by_role WHERE x[0] = 'implement' | x[1]][0], []),
        monitor: coalesce([x IN by_role WHERE x[0] = 'monitor' | x[1]][0], []),
        approve: coalesce([x IN by_role WHERE x[0] = 'approve' | x[1]][0], [])} AS owners,
       register AS owner_register
