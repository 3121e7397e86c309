"""AWS ingesters, one module per export: pure functions from export files to batches of records.

- :mod:`.authz`: ``aws iam get-account-authorization-details`` (identities, grants, trusts, PassRole, tags);
- :mod:`.credential_report`: the IAM credential report (keys and certificates, root user);
- :mod:`.access_keys`: ``aws iam list-access-keys`` (key ids, status, creation);
- :mod:`.access_key_last_used`: ``aws iam get-access-key-last-used`` (last use of one key).

Shared rules: :mod:`.common` (ARNs, accounts, tags) and :mod:`.policy` (IAM policy evaluation and levels).
"""
