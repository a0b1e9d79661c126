"""The Discord adapter: slash commands, buttons and modals in; the core's actions out as messages and DMs."""
