"""Developer tools: regenerate the published schema and the generated docs."""
