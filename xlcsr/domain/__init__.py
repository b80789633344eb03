"""Typed data and the product's words, no I/O: fields, vocabulary, records, settings, issues, dates, working days, errors.

Imports nothing of xlcsr outside `domain`, and no file, Excel, mail or database library.
"""
