"""The /casebridge slash command, one module per subcommand family."""
