// name: accountability
// description: Whether each of $ids has an active owner (a credential also through the identity it
//   authenticates as): the nodes on an access path that nobody is accountable for.
// params: $ids:list node ids
// owasp: NHI1
// nist: GV.RR-02
// returns: rows: id, label, accountable
CALL () {
  RETURN EXISTS { MATCH (r:Owner) WHERE any(s IN coalesce(r.sources, [r.source]) WHERE NOT s ENDS WITH ':tags') }
         AS register
}
UNWIND $ids AS id
CALL (id) {
  MATCH (n:Identity {id: id}) RETURN n
  UNION
  MATCH (n:Credential {id: id}) RETURN n
}
RETURN n.id AS id, labels(n)[0] AS label,
       EXISTS { MATCH (o:Owner)-[:OWNS]->(n) WHERE coalesce(o.active, true) AND o.departed_at IS NULL
                                                   AND (NOT register OR any(src IN coalesce(o.sources, [o.source]) WHERE NOT src ENDS WITH ':tags')) }
       OR (n:Credential AND EXISTS { MATCH (n)-[:AUTHENTICATES]->(:Identity)<-[:OWNS]-(o:Owner)
                                     WHERE coalesce(o.active, true) AND o.departed_at IS NULL
                                       AND (NOT register OR any(src IN coalesce(o.sources, [o.source]) WHERE NOT src ENDS WITH ':tags')) }) AS accountable
ORDER BY id
