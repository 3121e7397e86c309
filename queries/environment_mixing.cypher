// name: environment_mixing
// description: Credentials used or kept both in prod and in another environment (a place's environment
//   is its own, else that of the first system it is part of; unknown and shared do not count).
// params: none
// owasp: NHI8
// nist: PR.IR-01
// metric: security.environment_mixing
// returns: one row: numerator, denominator (credentials used or stored), offenders [{subject, environments, places
//   (users, then stores), _users, _stores}]
MATCH (c:Credential)
WITH c, COLLECT { MATCH (u)-[:USES]->(c) RETURN u ORDER BY u.id } AS users,
     COLLECT { MATCH (s)-[:STORES]->(c) RETURN s ORDER BY s.id } AS stores
WITH c, users, stores, users + stores AS places
WHERE size(places) > 0
WITH c, users, stores, places,
     COLLECT {
       UNWIND places AS p
       WITH coalesce(p.environment,
                     COLLECT { MATCH (p)-[:PART_OF]->(s:System) WHERE s.environment IS NOT NULL
                               RETURN s.environment
                               ORDER BY CASE WHEN EXISTS { (p)-[:HAS_ACCESS]->(s) } THEN 0 ELSE 1 END, s.id }[0]) AS env
       WHERE env IS NOT NULL AND NOT env IN ['unknown', 'shared']
       RETURN DISTINCT env ORDER BY env
     } AS envs
ORDER BY c.id
WITH count(c) AS denominator,
     collect(CASE WHEN 'prod' IN envs AND size(envs) > 1
                  THEN {subject: c.id, environments: envs, places: [p IN places | p.id],
                        _users: [u IN users | u.id], _stores: [s IN stores | s.id]} END) AS offenders
RETURN size(offenders) AS numerator, denominator, offenders
