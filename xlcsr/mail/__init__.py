"""Reminder e-mail: messages, Jinja2 rendering (templates/), SMTP or outbox transport, the sent log.

Imports `rules`, `domain` and `disk`; knows nothing of workbooks.
"""
