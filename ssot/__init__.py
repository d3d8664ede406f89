"""ytm-doctor's own single source of truth: policy defaults, rule pages and the report schema.

This package holds data only; `ytm_doctor.ssot_files` reads it.
"""
