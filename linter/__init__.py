"""dblint: a rule-based consistency linter for relational databases."""

__version__ = "0.1.0"
