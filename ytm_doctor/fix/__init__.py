"""The fix engine: plans of typed actions (plan), fixers that plan (fixer), the operations
actions dispatch to (operation, ops), the Executor that alone writes (executor), the journal
and audit log (journal), running and undoing a plan (run, undo), planning from findings
(planning) and printing (output). The public names are re-exported by `ytm_doctor`."""
