"""`python -m titlefetch`."""

from titlefetch.cli.command import main

if __name__ == "__main__":
    main()
