"""Slack adapter: translate, render and the bolt app, against a local fake of Slack."""
