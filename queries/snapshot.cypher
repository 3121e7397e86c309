// name: snapshot
// description: What was pushed last (snapshot name, observation time, run, sources) and how many nodes of
//   each label the database holds.
// params: none
// owasp: -
// nist: ID.AM-03
// returns: one row: snapshot, observed_at, pushed_at, run, complete_sources, partial_sources, counts {label: n}
OPTIONAL MATCH (m:NhigraphMeta {id: 'snapshot'})
RETURN m.snapshot AS snapshot, m.observed_at AS observed_at, m.pushed_at AS pushed_at, m.run AS run,
       m.complete_sources AS complete_sources, m.partial_sources AS partial_sources,
       {Identity: COUNT { (:Identity) }, Credential: COUNT { (:Credential) }, Owner: COUNT { (:Owner) },
        Resource: COUNT { (:Resource) }, System: COUNT { (:System) }, Connector: COUNT { (:Connector) },
        Workflow: COUNT { (:Workflow) }, Vendor: COUNT { (:Vendor) }, SecretStore: COUNT { (:SecretStore) },
        PolicyException: COUNT { (:PolicyException) }} AS counts
