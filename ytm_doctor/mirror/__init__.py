"""The Hot -> Vault mirror with the real rsync: settings, refusals, runs and logs (engine), the
rsync binary and command line (rsync), filter rules (filters), the `rsync` operation (operation), a
fresh Vault's preparation (prepare) and the `mirror` command (command)."""
