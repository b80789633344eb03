"""A minimal writer of OLE compound files (MS-CFB version 3), enough for a VBA project.

    >>> from xlcsr.excel.addin.cfb import compound_file
    >>> compound_file({"PROJECT": b"ID=...", "VBA/dir": b"\\x01"})[:8].hex()
    'd0cf11e0a1b11ae1'

`ms-ovba` ships its own writer (`ms-cfb` 0.0.6), but that one corrupts any stream of exactly
4096 bytes and every file above 64 KiB (it never writes a second FAT sector). This one is small:
512-byte sectors, streams under 4096 bytes in the mini stream, a FAT of up to 109 sectors (no
DIFAT, so files up to about 7 MB), and every directory node black, which MS-CFB §2.6.4 allows.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass, field

SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
FREE, END_OF_CHAIN, FAT_SECTOR, NO_STREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
SIGNATURE = bytes.fromhex("d0cf11e0a1b11ae1")
_UNUSED = b"\0" * 68 + struct.pack("<III", NO_STREAM, NO_STREAM, NO_STREAM) + b"\0" * 48


@dataclass
class _Entry:
    name: str
    kind: int  # 1 storage, 2 stream, 5 root
    data: bytes = b""
    children: dict[str, _Entry] = field(default_factory=dict)
    start: int = END_OF_CHAIN
    size: int = 0
    left: int = NO_STREAM
    right: int = NO_STREAM
    child: int = NO_STREAM

    def pack(self) -> bytes:
        name = self.name.encode("utf-16-le") + b"\0\0"
        return struct.pack("<64sHBBIII16sIQQIQ", name, len(name), self.kind, 1, self.left, self.right,
                           self.child, b"\0" * 16, 0, 0, 0, self.start, self.size)


def _order(name: str) -> tuple[int, str]:
    """MS-CFB §2.6.4: siblings compare by name length, then by upper-cased name."""
    return len(name), name.upper()


def _tree(entries: list[_Entry], index: dict[int, int]) -> int:
    """Link sorted `entries` into a balanced binary search tree; return the root's directory index."""
    if not entries:
        return NO_STREAM
    middle = len(entries) // 2
    node = entries[middle]
    node.left = _tree(entries[:middle], index)
    node.right = _tree(entries[middle + 1:], index)
    return index[id(node)]


def _chain(first: int, count: int) -> list[int]:
    return [first + i + 1 for i in range(count - 1)] + [END_OF_CHAIN] if count else []


def _sectors(data: bytes, size: int = SECTOR) -> int:
    return -(-len(data) // size)


def compound_file(streams: Mapping[str, bytes]) -> bytes:
    """An OLE compound file holding `streams`, keyed by path ("PROJECT", "VBA/dir", ...)."""
    root = _Entry("Root Entry", 5)
    for path, data in streams.items():
        *folders, name = path.split("/")
        if any(len(part) > 31 for part in path.split("/")):
            raise ValueError(f"compound file names are at most 31 characters: {path}")
        parent = root
        for folder in folders:
            parent = parent.children.setdefault(folder, _Entry(folder, 1, start=0))  # storages: sector 0
        parent.children[name] = _Entry(name, 2, bytes(data), size=len(data))

    entries: list[_Entry] = []

    def flatten(entry: _Entry) -> None:
        entries.append(entry)
        for child in entry.children.values():
            flatten(child)

    flatten(root)
    index = {id(e): i for i, e in enumerate(entries)}
    for entry in entries:
        entry.child = _tree(sorted(entry.children.values(), key=lambda e: _order(e.name)), index)

    small = [e for e in entries if e.kind == 2 and 0 < e.size < MINI_CUTOFF]
    large = [e for e in entries if e.kind == 2 and e.size >= MINI_CUTOFF]
    mini_stream, mini_fat = b"", []
    for entry in small:
        count = _sectors(entry.data, MINI_SECTOR)
        entry.start = len(mini_fat)
        mini_fat += _chain(entry.start, count)
        mini_stream += entry.data.ljust(count * MINI_SECTOR, b"\0")
    mini_fat_bytes = struct.pack(f"<{len(mini_fat)}I", *mini_fat)
    mini_fat_bytes = mini_fat_bytes.ljust(_sectors(mini_fat_bytes) * SECTOR, b"\xff")
    root.size = len(mini_stream)

    directory = b"\0" * 128 * len(entries)  # only its size counts here; packed once sectors are known
    parts: list[tuple[_Entry | str, bytes]] = [("directory", directory), ("minifat", mini_fat_bytes),
                                              (root, mini_stream)] + [(e, e.data) for e in large]
    content = sum(_sectors(data) for _, data in parts)
    fat_count = 1
    while fat_count * SECTOR // 4 < fat_count + content:
        fat_count += 1
    if fat_count > 109:
        raise ValueError("compound file too large for a FAT without DIFAT sectors")

    fat = [FAT_SECTOR] * fat_count
    starts: dict[str, int] = {}
    for owner, data in parts:
        count = _sectors(data)
        start = len(fat) if count else END_OF_CHAIN
        fat += _chain(len(fat), count)
        if isinstance(owner, str):
            starts[owner] = start
        else:
            owner.start = start
    fat += [FREE] * (fat_count * SECTOR // 4 - len(fat))

    directory = b"".join(e.pack() for e in entries) + _UNUSED * (-len(entries) % (SECTOR // 128))
    body = [struct.pack(f"<{len(fat)}I", *fat), directory, mini_fat_bytes, mini_stream] + [e.data for e in large]

    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII", SIGNATURE, b"\0" * 16, 0x3E, 3, 0xFFFE, 9, 6, b"\0" * 6,
        0, fat_count, starts["directory"], 0, MINI_CUTOFF,
        starts["minifat"] if mini_fat else END_OF_CHAIN, _sectors(mini_fat_bytes) if mini_fat else 0,
        END_OF_CHAIN, 0,
    )
    header += struct.pack(f"<{fat_count}I", *range(fat_count)) + b"\xff" * 4 * (109 - fat_count)
    return header + b"".join(part.ljust(_sectors(part) * SECTOR, b"\0") for part in body)
