"""Exceptions that mean "cannot run": the command line turns each into one message and exit 2.

Bad data in a register is never an exception; it is an `Issue` (see `xlcsr.domain.issues`).
"""

from __future__ import annotations


class XlcsrError(Exception):
    """xlcsr cannot run; the message is for the user, Chinese first."""


class WorkbookUnreadable(XlcsrError):
    """The file is missing, not an .xlsx/.xlsm workbook, or corrupt."""


class WorkbookLocked(XlcsrError):
    """The workbook is open in Excel (a ~$ lock file stands beside it)."""


class WorkbookBusy(WorkbookLocked, OSError):
    """Another program (antivirus, OneDrive, WPS …) holds the file as xlcsr replaces it; still an OSError."""


class WorkbookChanged(XlcsrError):
    """The file on disk is no longer the one the command read: someone saved it meanwhile; nothing was written."""


class WriteFailed(XlcsrError, OSError):
    """A file could not be written (disk full, read-only drive …); nothing was written; still an OSError."""


class SheetMissing(XlcsrError):
    """A sheet the command needs is not in the workbook."""


class HeaderNotFound(XlcsrError):
    """No header row with the register's columns was found."""


class BadSettings(XlcsrError):
    """The 设置 sheet holds a value xlcsr cannot use."""


class UnmappedColumn(XlcsrError):
    """A command would add a column for a field while an unmapped column of the sheet looks like it."""


class BadState(XlcsrError):
    """xlcsr's own bookkeeping in the very hidden sheet _xlcsr is damaged; running on would forget it."""


class UnsafeEdit(XlcsrError):
    """A cell the command must change cannot be changed without harming the workbook."""


class AddinUnsupported(XlcsrError):
    """The Excel add-in cannot be built or installed here (no Excel on this OS, or xlwings or ms-ovba missing)."""


class BadConfig(XlcsrError):
    """The configuration (xlcsr.toml or an XLCSR_* environment variable) holds a value xlcsr cannot use."""


class WorkbookEncrypted(WorkbookUnreadable):
    """The workbook needs a password to open (an OLE file holding an EncryptedPackage)."""


class FormatNotEdited(WorkbookUnreadable):
    """The file is a spreadsheet xlcsr does not edit (.xls, .xlsb, .ods, a web page saved as .xls …)."""


class LegacyUnreadable(WorkbookUnreadable):
    """An old list to import cannot be read: text in an unknown encoding, a damaged .xls/.ods, not a list at all."""


class OutputRefused(XlcsrError):
    """The file a command would create cannot be made: it is already there (never overwritten) or not an .xlsx."""


class UnknownCase(XlcsrError):
    """The case is neither in the register nor in its 变更记录."""


class BackupNotFound(XlcsrError):
    """No backup of the register has that stamp, or several do."""


class SignoffRefused(XlcsrError):
    """A sign-off workbook cannot be collected: its seal does not verify, or it belongs elsewhere."""
