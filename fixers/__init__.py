"""Built-in fixers, one module per fixer; each module is a plugin registered by its fixer name.

A fixer only plans (ytm_doctor.Fixer.plan); the Executor applies, journals and undoes.
"""
