"""The version of titlefetch, in a module of its own: anything may import it, it imports nothing."""

__version__ = "0.1.0"
