"""Thin front ends (CLI, REPL, Discord) over the one answer path."""
