"""`python -m titlefetch`."""

from titlefetch.cli import main

if __name__ == "__main__":
    main()
