"""Question → retrieval → prompt → LLM (or extractive) → verified quotes → Answer."""
