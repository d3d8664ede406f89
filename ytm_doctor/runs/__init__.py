"""Video runs: which may be archived (the guards), archiving them to video/_archive and
restoring them from an archive report. Used by the `archive runs` and `restore runs` commands,
by YTM406 (runs-archivable) and its fixer. Plans only: the Executor moves the runs."""
