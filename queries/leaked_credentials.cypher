// name: leaked_credentials
// description: Active credentials a secret scanner found or that were reported leaked: revoke first.
// params: none
// owasp: NHI2
// nist: PR.DS-01, PR.AA-01
// metric: security.leaked
// returns: one row: numerator, denominator (active credentials), offenders [{subject, leak_location, leaked_at}]
MATCH (c:Credential)
WHERE c.status IS NULL OR c.status = 'active'
WITH c ORDER BY c.id
WITH count(c) AS denominator,
     collect(CASE WHEN c.leaked = true THEN {subject: c.id, leak_location: c.leak_location, leaked_at: c.leaked_at} END)
       AS offenders
RETURN size(offenders) AS numerator, denominator, offenders
