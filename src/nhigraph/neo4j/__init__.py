"""Neo4j support for nhigraph: the embedded Neo4j Community development/test server (:mod:`.devserver`)."""
