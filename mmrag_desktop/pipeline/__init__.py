"""The four stages of multimodal RAG: ingest (pre-retrieval), retrieve, and later augment and generate."""
