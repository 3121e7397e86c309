// name: credential_keys
// description: Every credential's id, provider key id and fingerprint (to suggest the closest match when
//   a key is not found).
// params: none
// owasp: NHI2
// nist: PR.AA-01
// returns: rows: id, key_id, fingerprint
MATCH (c:Credential)
RETURN c.id AS id, c.key_id AS key_id, c.fingerprint AS fingerprint
ORDER BY id
