"""``python -m bot`` is the same CLI as the ``panelist`` console script."""

from bot.surfaces.cli import main

if __name__ == "__main__":
    main()
