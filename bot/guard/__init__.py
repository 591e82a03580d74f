"""Guards against untrusted text (questions, transcripts, model replies) and the tables they share.

Below every pipeline stage, so ingest can flag a transcript with the same character tables the
answer path uses on questions and replies, without an early stage importing a later one.
"""
