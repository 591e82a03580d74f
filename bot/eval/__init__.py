"""Measurements anyone can rerun: retrieval, answers, injection resistance, speed."""
