// name: blast_radius
// description: What one credential reaches, one order at a time. Order 0 is what the credential reaches
//   itself: the identity it authenticates as, every identity that one can assume (any depth, cycles
//   included), and everything those identities can act on, a system's grant extending to the resources
//   and secret stores in it. Credentials stored in what it reaches are returned as the next order's
//   frontier: pass them back as $frontier, with everything seen so far as $seen, to follow the chain
//   (the Neo4j backend does). A target's level is the best grant any reached identity holds on it; its
//   grantor is the identity holding that grant that is fewest steps away.
// params: $credential:str the credential id; $frontier:list=null credentials of this order as [{id, depth}] (default: the credential at depth 0); $seen:list=null ids of identities and credentials reached at lower orders
// owasp: NHI2, NHI5
// nist: PR.AA-05, ID.AM-03
// returns: one row: identities [{id, depth, via, vendors}] (via: credentials and identities stepping into
//   it; the one at depth - 1 is its parent), targets [{id, label, kind, name, environment, rank, level,
//   grantor, grantor_depth, system, systems, reach_depth, route}], credentials [{id, depth, store,
//   grantor, system}] (the next order), frontier_vendors, estate_resources
WITH coalesce($frontier, [{id: $credential, depth: 0}]) AS frontier
WITH frontier, coalesce($seen, []) + [f IN frontier | f.id] AS seen
CALL (frontier, seen) {
  UNWIND frontier AS f
  MATCH (:Credential {id: f.id})-[:AUTHENTICATES]->(a:Identity)
  WHERE NOT a.id IN seen
  MATCH p = (a)-[:CAN_ASSUME*0..]->(i:Identity)
  WITH f, i, min(length(p)) AS hops
  WITH i, min(f.depth + 1 + hops) AS depth
  WHERE NOT i.id IN seen
  RETURN collect({node: i, depth: depth}) AS reached
}
CALL (reached) {
  UNWIND reached AS r
  WITH r.node AS i, r.depth AS depth
  ORDER BY i.id
  RETURN collect({id: i.id, depth: depth,
                  via: COLLECT { MATCH (x)-[:AUTHENTICATES|CAN_ASSUME]->(i) WHERE x:Credential OR x:Identity
                                 RETURN DISTINCT x.id AS id ORDER BY id },
                  vendors: COLLECT { MATCH (v:Vendor)-[:HOLDS]->(i) RETURN v.id AS id ORDER BY id }}) AS identities
}
CALL (reached) {
  UNWIND reached AS r
  WITH r.node AS i, r.depth AS depth
  MATCH (i)-[g:HAS_ACCESS]->(t)
  WITH i, depth, t, CASE g.level WHEN 'admin' THEN 3 WHEN 'write' THEN 2 ELSE 1 END AS rank
  CALL (t, rank) {
    RETURN t AS x, rank AS r, null AS system
    UNION ALL
    MATCH (t:System)<-[:PART_OF]-(m)
    WHERE m:Resource OR m:SecretStore
    RETURN m AS x, rank AS r, t.id AS system
  }
  // one identity's access to x: its best direct grant, or a system's grant when strictly better
  WITH i, depth, x,
       coalesce(max(CASE WHEN system IS NULL THEN r END), 0) AS direct,
       coalesce(max(CASE WHEN system IS NOT NULL THEN r END), 0) AS via_system,
       collect(CASE WHEN system IS NOT NULL THEN [r, system] END) AS systems
  WITH i, depth, x, direct, via_system,
       CASE WHEN via_system > direct THEN via_system ELSE direct END AS rank,
       CASE WHEN via_system > direct
            THEN reduce(b = null, s IN systems | CASE WHEN s[0] = via_system AND (b IS NULL OR s[1] < b) THEN s[1] ELSE b END)
       END AS system,
       CASE WHEN direct > 0 THEN null ELSE reduce(b = null, s IN systems | CASE WHEN b IS NULL OR s[1] < b THEN s[1] ELSE b END) END AS hop
  ORDER BY rank DESC, depth, i.id
  WITH x,
       collect({grantor: i.id, grantor_depth: depth, rank: rank, system: system}) AS grants,
       collect({grantor: i.id, depth: depth + CASE WHEN hop IS NULL THEN 1 ELSE 2 END, system: hop}) AS routes
  WITH x, grants[0] AS best,
       reduce(b = null, r IN routes | CASE WHEN b IS NULL OR r.depth < b.depth OR (r.depth = b.depth AND r.grantor < b.grantor)
                                           THEN r ELSE b END) AS route
  ORDER BY x.id
  RETURN collect({node: x, id: x.id, label: labels(x)[0], kind: x.kind, name: x.name,
                  environment: coalesce(x.environment,
                                        COLLECT { MATCH (x)-[:PART_OF]->(s:System) WHERE s.environment IS NOT NULL
                                                  RETURN s.environment
                                                  ORDER BY CASE WHEN EXISTS { (x)-[:HAS_ACCESS]->(s) } THEN 0 ELSE 1 END, s.id }[0]),
                  rank: best.rank, level: ['read', 'write', 'admin'][best.rank - 1],
                  grantor: best.grantor, grantor_depth: best.grantor_depth, system: best.system,
                  systems: CASE WHEN x:System THEN [] ELSE COLLECT { MATCH (x)-[:PART_OF]->(s) RETURN s.id AS id ORDER BY id } END,
                  reach_depth: route.depth, route: route}) AS targets
}
CALL (targets, seen) {
  UNWIND targets AS t
  WITH t, t.node AS x
  MATCH (x)-[:STORES]->(c:Credential)
  WHERE NOT c.id IN seen
  WITH c, t ORDER BY t.reach_depth, t.id
  WITH c, collect(t)[0] AS via
  ORDER BY c.id
  RETURN collect({id: c.id, depth: via.reach_depth + 1, store: via.id, grantor: via.route.grantor,
                  system: via.route.system}) AS credentials
}
RETURN identities,
       [t IN targets | t {.id, .label, .kind, .name, .environment, .rank, .level, .grantor, .grantor_depth, .system,
                          .systems, .reach_depth, .route}] AS targets,
       credentials,
       COLLECT { UNWIND frontier AS f MATCH (v:Vendor)-[:HOLDS]->(:Credential {id: f.id}) RETURN DISTINCT v.id AS id ORDER BY id }
         AS frontier_vendors,
       COUNT { (:Resource) } + COUNT { (:SecretStore) } AS estate_resources
