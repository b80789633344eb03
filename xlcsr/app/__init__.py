"""What both fronts call: the commands as functions over a `RegisterBook`, reminders, the nightly run, configuration.

Imports `files`, `mail`, `workbook`, `rules` and `domain`; never the command line or xlwings.
"""
