// name: blast_radius_all
// description: Blast radius counts for every credential: resources and secret stores reached by level,
//   in prod, in prod with write or admin, reached only through stored credentials (second order and
//   beyond), systems (granted, or holding a reached resource), and the share of the estate. $chains maps
//   a credential to the credentials it reaches through stored copies, all orders (run through nhigraph,
//   it is computed from exposed_credentials; {} counts first-order reach only).
// params: $chains:map=@chains credential id -> ids of the credentials it reaches through stored copies (default: computed from exposed_credentials, {} for first order only)
// owasp: NHI5
// nist: PR.AA-05, ID.AM-03
// returns: one row per credential: credential, counts {read, write, admin, total, prod, prod_write,
//   second_order, systems}, share, estate_resources
CALL () {
  RETURN COUNT { (:Resource) } + COUNT { (:SecretStore) } AS estate_resources
}
MATCH (c:Credential)
CALL (c) {
  UNWIND [c.id] + coalesce($chains[c.id], []) AS xid
  MATCH (:Credential {id: xid})-[:AUTHENTICATES]->(a:Identity)
  MATCH (a)-[:CAN_ASSUME*0..]->(i:Identity)
  WITH DISTINCT xid = c.id AS first, i
  MATCH (i)-[g:HAS_ACCESS]->(t)
  WITH first, t, CASE g.level WHEN 'admin' THEN 3 WHEN 'write' THEN 2 ELSE 1 END AS rank
  CALL (t) {
    RETURN t AS x
    UNION
    MATCH (t:System)<-[:PART_OF]-(m)
    WHERE m:Resource OR m:SecretStore
    RETURN m AS x
  }
  WITH x, max(rank) AS rank, max(CASE WHEN first THEN 1 ELSE 0 END) AS first
  WITH collect({sys: x:System, rank: rank, first: first,
                parts: CASE WHEN x:System THEN [x.id] ELSE COLLECT { MATCH (x)-[:PART_OF]->(s) RETURN s.id } END,
                env: CASE WHEN x:System THEN null
                          ELSE coalesce(x.environment,
                                        COLLECT { MATCH (x)-[:PART_OF]->(s:System) WHERE s.environment IS NOT NULL
                                                  RETURN s.environment
                                                  ORDER BY CASE WHEN EXISTS { (x)-[:HAS_ACCESS]->(s) } THEN 0 ELSE 1 END, s.id }[0]) END})
       AS reached
  WITH [r IN reached WHERE NOT r.sys] AS res, reached
  RETURN size([r IN res WHERE r.rank = 1]) AS read,
         size([r IN res WHERE r.rank = 2]) AS write,
         size([r IN res WHERE r.rank = 3]) AS admin,
         size(res) AS total,
         size([r IN res WHERE r.env = 'prod']) AS prod,
         size([r IN res WHERE r.env = 'prod' AND r.rank > 1]) AS prod_write,
         size([r IN res WHERE r.first = 0]) AS second_order,
         size(COLLECT { UNWIND reached AS r UNWIND r.parts AS s RETURN DISTINCT s }) AS systems
}
RETURN c.id AS credential,
       {read: read, write: write, admin: admin, total: total, prod: prod, prod_write: prod_write,
        second_order: second_order, systems: systems} AS counts,
       CASE WHEN estate_resources > 0 THEN round(toFloat(total) / estate_resources, 6) ELSE 0.0 END AS share,
       estate_resources
ORDER BY credential
