"""One module per transcript format; ``bot.ingest.parse`` picks one from the content.

Each module exports ``FORMAT = Format(name, detect, parse)`` (see ``protocol``). Every parser works
on the whole decoded file and only ever narrows ``(start, end)`` offsets into it, never building
new strings, so each segment's text is an exact slice of the file.
"""
