"""Fix for `ms-ovba-compression` 1.0.1, whose compressor writes corrupt copy tokens.

    >>> from xlcsr.excel.addin.ovba_patch import compressor
    >>> compressor().compress(b"abcabcabc")[:1]
    b'\\x01'

PATCH (remove when fixed upstream): `MsOvba.copytoken_help` computes the maximum copy length as
`0xFFFF << bit_count + 3`, so long matches overflow the token's length bits and the stream no
longer decompresses to its source. MS-OVBA §2.4.1.3.19.1 gives `(0xFFFF >> bit_count) + 3`.
`compressor()` replaces the function only when the installed version still has the bug.
"""

from __future__ import annotations

from ms_ovba_compression.ms_ovba import MsOvba

UPSTREAM_COPYTOKEN_HELP = MsOvba.copytoken_help
"""The function as installed, kept so tests can show what the patch fixes."""


def copytoken_help(difference: int) -> dict[str, int]:
    """Masks and maximum length of a copy token at `difference` bytes into a chunk (§2.4.1.3.19.1)."""
    bit_count = MsOvba.ceil_log2(difference)
    length_mask = 0xFFFF >> bit_count
    return {
        "lengthMask": length_mask,
        "offsetMask": ~length_mask & 0xFFFF,
        "bitCount": bit_count,
        "maxLength": length_mask + 3,
    }


def has_copytoken_bug() -> bool:
    """True while the installed `MsOvba.copytoken_help` still returns the wrong maximum length."""
    return MsOvba.copytoken_help(16)["maxLength"] != copytoken_help(16)["maxLength"]


def compressor() -> MsOvba:
    """An MS-OVBA compressor whose output decompresses to its input (patched if needed)."""
    if has_copytoken_bug():
        MsOvba.copytoken_help = staticmethod(copytoken_help)  # type: ignore[method-assign]
    return MsOvba()
