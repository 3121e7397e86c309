// name: unused_credentials
// description: Active credentials never used (and created more than 7 days before $now) or not used for
//   more than $unused_days days. Credentials whose export never reports use (usage_tracked false) are
//   counted but not judged: unknown, not unused.
// params: $unused_days:int=90 idle threshold in days; $now:datetime=@observed_at the time the estate was observed (default: the pushed snapshot's)
// owasp: NHI1
// nist: PR.AA-01
// metric: security.unused
// returns: one row: numerator, denominator (active credentials), offenders
//   [{subject, never_used, created_days_ago | idle_days}]
MATCH (c:Credential)
WHERE c.status IS NULL OR c.status = 'active'
WITH c,
     CASE WHEN c.created_at IS NULL THEN null ELSE duration.inSeconds(c.created_at, $now) END AS created,
     CASE WHEN c.last_used_at IS NULL THEN null ELSE duration.inSeconds(c.last_used_at, $now) END AS idle
ORDER BY c.id
WITH count(c) AS denominator,
     collect(CASE
       WHEN c.usage_tracked = false THEN null
       WHEN idle IS NULL AND (created.seconds > 7 * 86400 OR (created.seconds = 7 * 86400 AND created.nanosecondsOfSecond > 0))
         THEN {subject: c.id, never_used: true, created_days_ago: created.seconds / 86400}
       WHEN idle.seconds > $unused_days * 86400 OR (idle.seconds = $unused_days * 86400 AND idle.nanosecondsOfSecond > 0)
         THEN {subject: c.id, never_used: false, idle_days: idle.seconds / 86400}
     END) AS offenders
RETURN size(offenders) AS numerator, denominator, offenders
