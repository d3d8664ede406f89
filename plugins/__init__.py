"""The plugin surface: hook specifications (`hookspec`) and the plugin manager (`manager`)."""
