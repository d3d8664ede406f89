"""`ytm-doctor mcp`: an MCP server (stdio) for agents. tools.py does the work through the CLI's
own code paths and needs no SDK; server.py serves it with the `mcp` SDK (optional extra)."""
