"""Vector stores holding memory entries: :mod:`.base` (the protocol), :mod:`.qdrant` (REST),
:mod:`.weaviate` (REST and GraphQL, bring-your-own vectors)."""
