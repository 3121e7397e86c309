// name: expired_exceptions
// description: Policy exceptions that expired before $now or never expire.
// params: $now:datetime=@observed_at the time the estate was observed (default: the pushed snapshot's)
// owasp: NHI7
// nist: GV.PO-02
// metric: security.exceptions
// returns: one row: numerator, denominator (policy exceptions), offenders [{subject, expires_at, expired, waives}]
MATCH (x:PolicyException)
WITH x ORDER BY x.id
WITH count(x) AS denominator,
     collect(CASE WHEN x.expires_at IS NULL OR x.expires_at < $now
                  THEN {subject: x.id, expires_at: x.expires_at, expired: x.expires_at IS NOT NULL,
                        waives: COLLECT { MATCH (x)-[:WAIVES]->(v) RETURN v.id AS id ORDER BY id }} END) AS offenders
RETURN size(offenders) AS numerator, denominator, offenders
