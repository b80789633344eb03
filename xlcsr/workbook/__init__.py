"""xlcsr's sheets as layouts, whatever library reads or writes them: where the register is, the 设置 sheet, `_xlcsr` state.

Works on plain cell values; imports `xlcsr.rules` and `xlcsr.domain`, no spreadsheet library.
"""
