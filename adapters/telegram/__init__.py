"""Telegram adapter (python-telegram-bot): moderates configured groups and supergroups."""

from .onboarding import OnboardingLink, onboarding_links
from .platform import TelegramPlatform

__all__ = ["OnboardingLink", "TelegramPlatform", "onboarding_links"]
