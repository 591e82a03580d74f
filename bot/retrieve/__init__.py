"""Hybrid search over the index: dense + BM25 fused by reciprocal rank, with filters."""
