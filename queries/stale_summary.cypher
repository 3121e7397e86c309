// name: stale_summary
// description: Per label: how many nodes, how many no export has reported for more than $days days
//   before $now (last_seen), and how many were written by a push older than the last one (kept because
//   their source was partial, or written by another workspace).
// params: $days:int=30 staleness threshold in days; $now:datetime=@observed_at the time the estate was observed (default: the pushed snapshot's)
// owasp: NHI1
// nist: ID.AM-03
// returns: rows: label, nodes, not_seen_recently, from_older_push
OPTIONAL MATCH (m:NhigraphMeta {id: 'snapshot'})
WITH m.run AS run
MATCH (n)
WHERE n:Identity OR n:Credential OR n:Owner OR n:Resource OR n:System OR n:Connector OR n:Workflow OR n:Vendor
   OR n:SecretStore OR n:PolicyException
RETURN labels(n)[0] AS label, count(n) AS nodes,
       sum(CASE WHEN n.last_seen < $now - duration({days: $days}) THEN 1 ELSE 0 END) AS not_seen_recently,
       sum(CASE WHEN run IS NOT NULL AND n._run < run THEN 1 ELSE 0 END) AS from_older_push
ORDER BY label
