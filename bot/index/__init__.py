"""Chunks → vectors in Chroma + a lexical (BM25) index, kept in step by one ingest."""
