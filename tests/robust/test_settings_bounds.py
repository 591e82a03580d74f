"""Nonsense settings are refused at load with one line naming the variable to fix: a negative
top_k, a temperature of 9, max_concurrent_llm=0 and PANELIST_RRF_K=-10 (which used to end in
"unexpected ZeroDivisionError") are all errors before anything runs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.settings import SettingsError, load_settings

BAD = {
    "PANELIST_TOP_K": ["-3", "0", "1000"],
    "PANELIST_RRF_K": ["-10", "0"],
    "PANELIST_TEMPERATURE": ["9", "-0.1", "nan"],
    "PANELIST_MAX_CONCURRENT_LLM": ["0", "-1"],
    "PANELIST_LLM_TIMEOUT_S": ["0", "-5", "inf"],
    "PANELIST_LLM_DEADLINE_S": ["0"],
    "PANELIST_LLM_MAX_RETRIES": ["-1", "1000"],
    "PANELIST_ANSWER_MAX_TOKENS": ["0", "-700"],
    "PANELIST_CONTEXT_WINDOW": ["10"],
    "PANELIST_CHUNK_OVERLAP": ["-1"],
    "PANELIST_MAX_FILE_MB": ["0", "-1"],
    "PANELIST_COOLDOWN_S": ["-1"],
    "PANELIST_MAX_QUESTION_CHARS": ["0"],
    "PANELIST_STREAM_EDIT_INTERVAL_S": ["0"],
    "CHROMA_PORT": ["0", "70000"],
    "OPENAI_BASE_URL": ["http://[::1", "localhost:11434", "ftp://x/v1", "http://:80/v1"],
}


@pytest.mark.parametrize(
    "var,value", [(var, value) for var, values in BAD.items() for value in values]
)
def test_out_of_range_setting_is_one_line_naming_the_variable(monkeypatch, var, value) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    message = str(info.value)
    assert message.startswith(f"invalid setting {var}"), message
    assert "\n" not in message


@settings(max_examples=60, deadline=None)
@given(top_k=st.integers(-(10**6), 10**6), temperature=st.floats(allow_nan=True))
def test_any_value_loads_or_fails_with_one_line(top_k: int, temperature: float) -> None:
    valid = 1 <= top_k <= 100 and 0 <= temperature <= 2
    try:
        load_settings(top_k=top_k, temperature=temperature)
    except SettingsError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("invalid setting PANELIST_")
        assert not valid
    else:
        assert valid
