"""xlcsr's sheets as layouts, whatever library reads or writes them: the register's place, 设置, `_xlcsr` state.

Works on plain cell values; imports `xlcsr.rules` and `xlcsr.domain`, no spreadsheet library.
"""
