"""The file adapter: registers read with python-calamine, edited through `xlcsr.ooxml`, new workbooks made with openpyxl.

Imports `workbook`, `rules`, `domain`, `ooxml` and `disk`; what the command line and the nightly run use.
"""
