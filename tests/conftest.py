"""Shared fixtures: the scripted OpenAI server, the fake Discord, and an indexed copy of the seeds.

Nothing here reaches the network: embeddings are local, LLM and Discord are loopback fakes.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
# Tests must not pick up a developer's .env or real credentials.
for _var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "DISCORD_TOKEN", "CHROMA_HOST"):
    os.environ.pop(_var, None)

pytest_plugins = ["tests.fakes.openai_fixtures"]
