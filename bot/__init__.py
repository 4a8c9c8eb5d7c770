"""The application: config, moderation policy, storage, outbox, commands and CLI."""
