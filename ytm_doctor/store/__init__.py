"""The shared store of final artifacts (L1): layout and plans (layout), manifests (manifest),
the verified copy (copy), the outbox (outbox), the store's operations (ops) and the `store`
command (command). It plugs into the fix engine: its plans run through run_plan."""
