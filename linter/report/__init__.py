"""Output formats, one module each; every module is a plugin implementing ``dblint_formats``."""
