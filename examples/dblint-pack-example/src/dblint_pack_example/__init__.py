"""An example dblint rule pack: one new check kind (``range``) and the rules that use it."""

__version__ = "0.1.0"
