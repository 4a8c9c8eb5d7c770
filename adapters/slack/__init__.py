"""The Slack adapter: slack-bolt (async), Socket Mode by default, HTTP optional.

Install the app from `adapters/slack_manifest.yaml`; setup steps are in docs/slack.md.
"""

from adapters.slack.platform import SlackPlatform

__all__ = ["SlackPlatform"]
