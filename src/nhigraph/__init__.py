"""nhigraph: a graph-based analyzer of non-human identities and the debts that make them dangerous."""

__version__ = "0.1.0"
