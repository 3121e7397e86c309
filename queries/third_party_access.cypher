// name: third_party_access
// description: Identities and credentials a third party holds (HOLDS) or can assume into (a trust from a
//   vendor, or from a system or identity marked external), each with the largest blast radius (resources
//   and secret stores reached, all orders) among the credentials involved. An "unknown external" vendor
//   inferred from a trust whose every account id is one of ours (a system ingested with external false)
//   is not a third party. $chains as in blast_radius_all.
// params: $chains:map=@chains credential id -> ids of the credentials it reaches through stored copies (default: computed from exposed_credentials, {} for first order only)
// owasp: NHI3
// nist: GV.SC-07
// metric: third_party.vendor_access
// returns: one row: numerator, denominator (identities and credentials), offenders [{subject, vendors, how, blast_radius}]
CALL () {
  RETURN COUNT { (:Identity) } + COUNT { (:Credential) } AS denominator
}
CALL () {
  MATCH (s:System)
  WHERE s.external = false AND s.provider_id IS NOT NULL
  RETURN collect(DISTINCT s.provider_id) AS own_accounts
}
CALL (own_accounts) {
  CALL (own_accounts) {
    MATCH (v:Vendor)-[:HOLDS]->(n)
    WHERE NOT (v.kind = 'unknown_external' AND size(coalesce(v.external_ids, [])) > 0
               AND all(x IN v.external_ids WHERE x IN own_accounts))
    RETURN n, v.id AS vendor, 'holds' AS how
    UNION
    MATCH (u)-[:CAN_ASSUME]->(n)
    WHERE (u:Vendor AND NOT (u.kind = 'unknown_external' AND size(coalesce(u.external_ids, [])) > 0
               AND all(x IN u.external_ids WHERE x IN own_accounts)))
       OR (NOT u:Vendor AND u.external = true)
    RETURN n, u.id AS vendor, 'trusted' AS how
  }
  WITH n, vendor, how ORDER BY vendor, how
  WITH n, collect(DISTINCT vendor) AS vendors, collect(DISTINCT how) AS hows
  CALL (n) {
    CALL (n) {
      WITH n WHERE n:Credential
      RETURN n AS c
      UNION
      MATCH (c:Credential)-[:AUTHENTICATES]->(n:Identity)
      RETURN c
    }
    CALL (c) {
      UNWIND [c.id] + coalesce($chains[c.id], []) AS xid
      MATCH (:Credential {id: xid})-[:AUTHENTICATES]->(a:Identity)
      MATCH (a)-[:CAN_ASSUME*0..]->(i:Identity)
      WITH DISTINCT i
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
      RETURN count(x) AS total
    }
    RETURN coalesce(max(total), 0) AS blast_radius
  }
  ORDER BY n.id
  RETURN collect({subject: n.id, vendors: vendors, how: hows, blast_radius: blast_radius}) AS offenders
}
RETURN size(offenders) AS numerator, denominator, offenders
