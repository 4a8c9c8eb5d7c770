"""One module per platform, each implementing `bot.platform.Platform`."""
