// name: exposed_credentials
// description: For every credential, the other credentials it exposes: those stored in a secret store or
//   resource it can reach without going through another credential (its identity, the identities that
//   one can assume, what they can act on, a system's grant extending to what is in it). Following these
//   links gives second-order and deeper blast radius. With $accountable_only, only credentials and
//   identities with an active owner may be on the way (a credential inherits its identity's owners;
//   owners named only by resource tags do not count when an owner register exists).
// params: $accountable_only:bool=false follow accountable credentials and identities only
// owasp: NHI2
// nist: PR.AA-01, PR.DS-01
// returns: one row per credential that exposes others: credential, exposed (ids)
CALL () {
  RETURN EXISTS { MATCH (r:Owner) WHERE any(s IN coalesce(r.sources, [r.source]) WHERE NOT s ENDS WITH ':tags') }
         AS register
}
MATCH (c:Credential)
WHERE NOT $accountable_only
   OR EXISTS { MATCH (o:Owner)-[:OWNS]->(c)
               WHERE coalesce(o.active, true) AND o.departed_at IS NULL
                 AND (NOT register OR any(src IN coalesce(o.sources, [o.source]) WHERE NOT src ENDS WITH ':tags')) }
   OR EXISTS { MATCH (c)-[:AUTHENTICATES]->(:Identity)<-[:OWNS]-(o:Owner)
               WHERE coalesce(o.active, true) AND o.departed_at IS NULL
                 AND (NOT register OR any(src IN coalesce(o.sources, [o.source]) WHERE NOT src ENDS WITH ':tags')) }
CALL (c, register) {
  MATCH (c)-[:AUTHENTICATES]->(a:Identity)
  MATCH p = (a)-[:CAN_ASSUME*0..]->(i:Identity)
  WHERE NOT $accountable_only
     OR all(n IN nodes(p) WHERE EXISTS { MATCH (o:Owner)-[:OWNS]->(n)
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
  MATCH (x)-[:STORES]->(e:Credential)
  WHERE e <> c
    AND (NOT $accountable_only
         OR EXISTS { MATCH (o:Owner)-[:OWNS]->(e)
                     WHERE coalesce(o.active, true) AND o.departed_at IS NULL
                       AND (NOT register OR any(src IN coalesce(o.sources, [o.source]) WHERE NOT src ENDS WITH ':tags')) }
         OR EXISTS { MATCH (e)-[:AUTHENTICATES]->(:Identity)<-[:OWNS]-(o:Owner)
                     WHERE coalesce(o.active, true) AND o.departed_at IS NULL
                       AND (NOT register OR any(src IN coalesce(o.sources, [o.source]) WHERE NOT src ENDS WITH ':tags')) })
  WITH DISTINCT e ORDER BY e.id
  RETURN collect(e.id) AS exposed
}
WITH c, exposed
WHERE size(exposed) > 0
RETURN c.id AS credential, exposed
ORDER BY credential
