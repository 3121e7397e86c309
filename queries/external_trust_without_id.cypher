// name: external_trust_without_id
// description: Trusts that let a third party (a vendor, or a system or identity marked external) assume
//   an identity without an external-id check (the confused-deputy guard). An "unknown external" vendor
//   inferred from a trust whose every account id is one of ours (a system ingested with external false)
//   is not a third party.
// params: none
// owasp: NHI3, NHI4
// nist: GV.SC-07, PR.AA-05
// metric: third_party.no_external_id
// returns: one row: numerator, denominator (external trusts), offenders [{subject, trusted}]
CALL () {
  MATCH (s:System)
  WHERE s.external = false AND s.provider_id IS NOT NULL
  RETURN collect(DISTINCT s.provider_id) AS own_accounts
}
MATCH (u)-[e:CAN_ASSUME]->(v)
WHERE (u:Vendor AND NOT (u.kind = 'unknown_external' AND size(coalesce(u.external_ids, [])) > 0
               AND all(x IN u.external_ids WHERE x IN own_accounts)))
       OR (NOT u:Vendor AND u.external = true)
WITH u, e, v ORDER BY u.id, v.id
WITH count(e) AS denominator,
     collect(CASE WHEN NOT coalesce(e.external_id_required, false) THEN {subject: v.id, trusted: u.id} END) AS offenders
RETURN size(offenders) AS numerator, denominator, offenders
