"""Writing files safely: the one temp-file-and-rename writer (with backups) and Excel's lock files.

Every file xlcsr writes goes through `atomic`; imports `xlcsr.domain` only.
"""
