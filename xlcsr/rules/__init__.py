"""The rules, one module per capability: pure functions over domain records, settings and `today`.

Imports `xlcsr.domain` only; never a file, Excel, mail or database library.
"""
