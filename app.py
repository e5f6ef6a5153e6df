"""Launch the web UI exactly like `tutorbot ui` (composition root: settings → container → UI)."""

from tutorbot.cli import main

if __name__ == "__main__":
    import sys

    sys.argv = [sys.argv[0], "ui", *sys.argv[1:]]
    main()
