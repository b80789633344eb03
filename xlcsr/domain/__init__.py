"""Typed data and the product's words, no I/O: fields, vocab, records, settings, issues, dates, workdays, errors.

Imports nothing of xlcsr outside `domain`, and no file, Excel, mail or database library.
"""
