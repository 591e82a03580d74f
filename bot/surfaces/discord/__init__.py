"""The Discord surface: slash commands, DMs, mentions and threads over the one answer engine.

Nothing is imported here, so ``panelist --help`` does not pay for discord.py.
"""
