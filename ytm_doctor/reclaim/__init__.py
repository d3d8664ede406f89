"""`ytm-doctor reclaim`: free local space of published episodes (survey.py: what can go and
why; command.py: the plan of releases, run through the Executor, and what it printed)."""
