"""Built-in checks, one module per family; each module is a plugin registered by name."""
