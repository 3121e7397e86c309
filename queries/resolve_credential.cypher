// name: resolve_credential
// description: Find the credential a key names, trying each of $keys in turn: a credential id first, then
//   a provider key id or a SHA-256 fingerprint (the smallest credential id wins when several match).
// params: $keys:list candidate keys, e.g. ["AKIA...", "sha256:..."]
// owasp: NHI2
// nist: PR.AA-01
// returns: rows: key_index, priority (0: id, 1: key id or fingerprint), id; the first row by (key_index,
//   priority, id) is the answer
UNWIND range(0, size($keys) - 1) AS k
WITH k, $keys[k] AS key
CALL (key) {
  MATCH (c:Credential {id: key}) RETURN c.id AS id, 0 AS priority
  UNION
  MATCH (c:Credential {key_id: key}) RETURN c.id AS id, 1 AS priority
  UNION
  MATCH (c:Credential {fingerprint: key}) RETURN c.id AS id, 1 AS priority
}
RETURN k AS key_index, priority, id
ORDER BY key_index, priority, id
