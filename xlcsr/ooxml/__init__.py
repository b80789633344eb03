"""The lossless .xlsx/.xlsm package and patch writer: untouched zip parts stay byte-identical.

Imported by the file adapter (`xlcsr.files`) and the add-in build; imports `xlcsr.domain` and `xlcsr.disk` only.
"""
