// name: ungoverned_automation
// description: Workflows, bots and AI agents that can write, administer, issue tokens or rotate secrets
//   (through the credentials they use, the identities they assume and everything those can assume in
//   turn) without an approver, a monitoring owner, a rollback procedure or telemetry. Owners named only
//   by resource tags do not count when an owner register exists.
// params: $token_hints:list=["createaccesskey", "createtoken", "generateaccesstoken", "signjwt", "getfederationtoken", "assumerole", "rotatesecret", "putsecretvalue", "updatesecret", "createsecret", "serviceaccountkeys.create", "addpassword", "addkey", "tokens:write"] action substrings that mint tokens or change secrets
// owasp: NHI5
// nist: PR.AA-05, DE.CM-09
// metric: orchestration.ungoverned_automation
// returns: one row: numerator, denominator (workflows, bots and agents), offenders
//   [{subject, kind, gaps, can_write, can_issue_tokens, _group (0: workflows, listed first; 1: identities)}]
CALL () {
  RETURN EXISTS { MATCH (r:Owner) WHERE any(s IN coalesce(r.sources, [r.source]) WHERE NOT s ENDS WITH ':tags') }
         AS register
}
MATCH (a)
WHERE a:Workflow OR (a:Identity AND a.kind IN ['bot', 'ai_agent'])
CALL (a) {
  CALL (a) {
    MATCH (a:Workflow)-[:USES]->(:Credential)-[:AUTHENTICATES]->(i:Identity)
    RETURN i
    UNION
    MATCH (a:Workflow)-[:CAN_ASSUME]->(i:Identity)
    RETURN i
    UNION
    WITH a WHERE a:Identity
    RETURN a AS i
  }
  MATCH (i)-[:CAN_ASSUME*0..]->(j:Identity)
  WITH DISTINCT j
  MATCH (j)-[g:HAS_ACCESS]->()
  RETURN coalesce(max(CASE WHEN g.level IN ['write', 'admin'] THEN 1 ELSE 0 END), 0) = 1 AS can_write,
         coalesce(max(CASE WHEN g.level = 'admin'
                             OR any(x IN coalesce(g.actions, []) WHERE any(h IN $token_hints WHERE toLower(x) CONTAINS h))
                           THEN 1 ELSE 0 END), 0) = 1 AS can_issue_tokens
}
WITH register, a, can_write, can_issue_tokens,
     COLLECT { MATCH (o:Owner)-[r:OWNS]->(a)
               WHERE coalesce(o.active, true) AND o.departed_at IS NULL
                 AND (NOT register OR any(src IN coalesce(o.sources, [o.source]) WHERE NOT src ENDS WITH ':tags'))
               RETURN DISTINCT r.role } AS roles
WITH register, a, can_write, can_issue_tokens,
     CASE WHEN NOT 'approve' IN roles AND NOT coalesce(a.requires_approval, false) THEN ['no approver'] ELSE [] END
     + CASE WHEN NOT 'monitor' IN roles THEN ['no monitor owner'] ELSE [] END
     + CASE WHEN a:Workflow AND NOT coalesce(a.has_rollback, false) THEN ['no rollback'] ELSE [] END
     + CASE WHEN a:Workflow AND NOT coalesce(a.has_telemetry, false) THEN ['no telemetry'] ELSE [] END AS gaps
ORDER BY CASE WHEN a:Workflow THEN 0 ELSE 1 END, a.id
WITH count(a) AS denominator,
     collect(CASE WHEN (can_write OR can_issue_tokens) AND size(gaps) > 0
                  THEN {subject: a.id, kind: a.kind, gaps: gaps, can_write: can_write, can_issue_tokens: can_issue_tokens,
                        _group: CASE WHEN a:Workflow THEN 0 ELSE 1 END}
             END) AS offenders
RETURN size(offenders) AS numerator, denominator, offenders
