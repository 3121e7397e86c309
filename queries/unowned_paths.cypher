// name: unowned_paths
// description: Credentials that reach resources or secret stores only through credentials or identities
//   with no active owner (a credential inherits its identity's owners; owners named only by resource tags
//   do not count when an owner register exists): nobody accountable stands on any path. One offender per
//   credential: the resources it reaches only unaccountably, and the unaccountable credentials and
//   identities within its reach. The numerator counts (credential, resource) pairs; the denominator every
//   pair reached. $chains and $owned_chains give the credentials reached through stored copies (all of
//   them, and through accountable ones only); run through nhigraph, both are computed from
//   exposed_credentials.
//   "unknown" when no owner register was ingested (then nothing is listed).
// params: $chains:map=@chains credential id -> credentials it reaches through stored copies (default: computed from exposed_credentials); $owned_chains:map=@owned_chains the same through accountable credentials and identities only
// owasp: NHI1
// nist: GV.RR-02, PR.AA-01
// metric: ownership.unowned_paths
// returns: one row: numerator (unowned pairs), denominator (credential-to-resource pairs), unknown,
//   credentials (offending credentials; null when unknown), offenders [{subject, resources, paths, unowned}]
CALL () {
  RETURN EXISTS { MATCH (r:Owner) WHERE any(s IN coalesce(r.sources, [r.source]) WHERE NOT s ENDS WITH ':tags') }
         AS register
}
CALL (register) {
  MATCH (c:Credential)
  // everything the credential reaches, all orders: identities, credentials and resources
  CALL (c) {
    UNWIND [c.id] + coalesce($chains[c.id], []) AS xid
    MATCH (x:Credential {id: xid})
    OPTIONAL MATCH (x)-[:AUTHENTICATES]->(a:Identity)
    OPTIONAL MATCH (a)-[:CAN_ASSUME*0..]->(i:Identity)
    RETURN collect(DISTINCT x) AS credentials, collect(DISTINCT i) AS identities
  }
  CALL (identities) {
    UNWIND identities AS i
    MATCH (i)-[:HAS_ACCESS]->(t)
    CALL (t) {
      RETURN t AS x
      UNION
      MATCH (t:System)<-[:PART_OF]-(m)
      WHERE m:Resource OR m:SecretStore
      RETURN m AS x
    }
    WITH DISTINCT x
    WHERE x:Resource OR x:SecretStore
    RETURN collect(x.id) AS reached
  }
  CALL (credentials, identities, register) {
    UNWIND credentials + identities AS n
    WITH n, register
    WHERE NOT EXISTS { MATCH (o:Owner)-[:OWNS]->(n)
                       WHERE coalesce(o.active, true) AND o.departed_at IS NULL
                         AND (NOT register OR any(src IN coalesce(o.sources, [o.source]) WHERE NOT src ENDS WITH ':tags')) }
      AND NOT (n:Credential AND EXISTS { MATCH (n)-[:AUTHENTICATES]->(:Identity)<-[:OWNS]-(o:Owner)
                                         WHERE coalesce(o.active, true) AND o.departed_at IS NULL
                                           AND (NOT register OR any(src IN coalesce(o.sources, [o.source]) WHERE NOT src ENDS WITH ':tags')) })
    WITH n ORDER BY n.id
    RETURN collect(n.id) AS unowned
  }
  // what it reaches through accountable credentials and identities only
  CALL (c, register, unowned) {
    UNWIND CASE WHEN NOT register OR c.id IN unowned THEN [] ELSE [c.id] + coalesce($owned_chains[c.id], []) END AS xid
    MATCH (:Credential {id: xid})-[:AUTHENTICATES]->(a:Identity)
    MATCH p = (a)-[:CAN_ASSUME*0..]->(i:Identity)
    WHERE all(n IN nodes(p) WHERE EXISTS { MATCH (o:Owner)-[:OWNS]->(n)
                                           WHERE coalesce(o.active, true) AND o.departed_at IS NULL
                                             AND (NOT register OR any(src IN coalesce(o.sources, [o.source]) WHERE NOT src ENDS WITH ':tags')) })
    WITH DISTINCT i
    MATCH (i)-[:HAS_ACCESS]->(t)
    CALL (t) {
      RETURN t AS x
      UNION
      MATCH (t:System)<-[:PART_OF]-(m)
      WHERE m:Resource OR m:SecretStore
      RETURN m AS x
    }
    RETURN collect(DISTINCT x.id) AS owned
  }
  WITH register, c, reached, unowned, [r IN reached WHERE NOT r IN owned] AS bad
  ORDER BY c.id
  RETURN sum(size(reached)) AS denominator,
         collect(CASE WHEN register AND size(bad) > 0
                      THEN {subject: c.id, resources: COLLECT { UNWIND bad AS b RETURN b ORDER BY b }, paths: size(bad),
                            unowned: unowned} END) AS offenders
}
RETURN reduce(n = 0, o IN offenders | n + o.paths) AS numerator, denominator, NOT register AS unknown,
       CASE WHEN register THEN size(offenders) END AS credentials, offenders
