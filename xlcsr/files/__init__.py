"""The file adapter: registers read with python-calamine, edited via `xlcsr.ooxml`, new books made with openpyxl.

Imports `workbook`, `rules`, `domain`, `ooxml` and `disk`; what the command line and the nightly run use.
"""
