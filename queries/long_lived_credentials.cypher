// name: long_lived_credentials
// description: Active credentials not rotated for more than $rotation_days days at $now (last rotation,
//   or creation when never rotated; credentials with neither date are not judged).
// params: $rotation_days:int=90 rotation threshold in days; $now:datetime=@observed_at the time the estate was observed (default: the pushed snapshot's)
// owasp: NHI7
// nist: PR.AA-01
// metric: security.long_lived
// returns: one row: numerator, denominator (active credentials), offenders [{subject, age_days, expires_at}]
MATCH (c:Credential)
WHERE c.status IS NULL OR c.status = 'active'
WITH c, coalesce(c.last_rotated_at, c.created_at) AS rotated
WITH c, CASE WHEN rotated IS NULL THEN null ELSE duration.inSeconds(rotated, $now) END AS age
ORDER BY c.id
WITH count(c) AS denominator,
     collect(CASE WHEN age.seconds > $rotation_days * 86400
                       OR (age.seconds = $rotation_days * 86400 AND age.nanosecondsOfSecond > 0)
                  THEN {subject: c.id, age_days: age.seconds / 86400, expires_at: c.expires_at} END) AS offenders
RETURN size(offenders) AS numerator, denominator, offenders
