// name: owners_of
// description: Who owns a node, per RACI role: its direct owners and, for a credential, those of the
//   identity it authenticates as; departed owners flagged, with their team and escalation contact.
// params: $id:str the node id
// owasp: NHI1
// nist: GV.RR-02
// returns: rows: role, owner, name, kind, active, inherited_from, team, email, escalation_contact
CALL () {
  RETURN EXISTS { MATCH (r:Owner) WHERE any(s IN coalesce(r.sources, [r.source]) WHERE NOT s ENDS WITH ':tags') }
         AS register
}
CALL () {
  MATCH (n:Identity {id: $id}) RETURN n
  UNION
  MATCH (n:Credential {id: $id}) RETURN n
  UNION
  MATCH (n:Connector {id: $id}) RETURN n
  UNION
  MATCH (n:Workflow {id: $id}) RETURN n
  UNION
  MATCH (n:Resource {id: $id}) RETURN n
  UNION
  MATCH (n:SecretStore {id: $id}) RETURN n
  UNION
  MATCH (n:System {id: $id}) RETURN n
  UNION
  MATCH (n:Vendor {id: $id}) RETURN n
}
CALL (n) {
  MATCH (o:Owner)-[r:OWNS]->(n) RETURN o, r.role AS role, null AS inherited_from
  UNION
  MATCH (n:Credential)-[:AUTHENTICATES]->(i:Identity)<-[r:OWNS]-(o:Owner) RETURN o, r.role AS role, i.id AS inherited_from
}
RETURN role, o.id AS owner, o.name AS name, o.kind AS kind,
       coalesce(o.active, true) AND o.departed_at IS NULL
         AND (NOT register OR any(src IN coalesce(o.sources, [o.source]) WHERE NOT src ENDS WITH ':tags')) AS active, inherited_from,
       CASE WHEN o.kind = 'team' THEN o.id
            ELSE coalesce(COLLECT { MATCH (o)-[:MEMBER_OF]->(t) RETURN t.id AS id ORDER BY id }[0], o.team, o.id) END AS team,
       o.email AS email, o.escalation_contact AS escalation_contact
ORDER BY CASE role WHEN 'revoke' THEN 0 WHEN 'implement' THEN 1 WHEN 'monitor' THEN 2 ELSE 3 END, owner
