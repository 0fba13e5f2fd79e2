"""Built-in check kinds, one module each; every module is a plugin implementing ``dblint_kinds``."""
