"""xlcsr: customer special requirements (顾客特殊要求) kept in Excel, validated and tracked.

    $ xlcsr demo ./demo      # a realistic register, validated and numbered
"""

__version__ = "0.1.0"
