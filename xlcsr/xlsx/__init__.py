"""Lossless reading and patch-writing of .xlsx/.xlsm workbooks."""
