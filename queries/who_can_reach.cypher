// name: who_can_reach
// description: Exposure of one resource, secret store or system: the identities granted access to it
//   (directly, or through a grant on a system it is part of), the identities that can assume into those
//   (any depth), and the credentials that authenticate as any of them, with the level and the number of
//   assume steps. Stored-credential chains are not followed here.
// params: $resource:str the resource, secret store or system id
// owasp: NHI5
// nist: PR.AA-05
// returns: rows: credential (null for an identity no credential authenticates as), identity, grantor, level,
//   assume_steps, via_system
CALL () {
  MATCH (t:Resource {id: $resource}) RETURN t
  UNION
  MATCH (t:SecretStore {id: $resource}) RETURN t
  UNION
  MATCH (t:System {id: $resource}) RETURN t
}
CALL (t) {
  MATCH (g:Identity)-[h:HAS_ACCESS]->(t)
  RETURN g, h.level AS level, null AS via_system
  UNION
  MATCH (t)-[:PART_OF]->(s:System)<-[h:HAS_ACCESS]-(g:Identity)
  WHERE t:Resource OR t:SecretStore
  RETURN g, h.level AS level, s.id AS via_system
}
MATCH p = (i:Identity)-[:CAN_ASSUME*0..]->(g)
WITH i, g, level, via_system, min(length(p)) AS assume_steps
OPTIONAL MATCH (c:Credential)-[:AUTHENTICATES]->(i)
RETURN c.id AS credential, i.id AS identity, g.id AS grantor, level, assume_steps, via_system
ORDER BY CASE level WHEN 'admin' THEN 0 WHEN 'write' THEN 1 ELSE 2 END, assume_steps, identity, credential
