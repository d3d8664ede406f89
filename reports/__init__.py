"""Built-in report writers, one module per format; each module is a plugin registered by name."""
