"""The house rules that hold across the package: the file tree, one place for each word."""

from __future__ import annotations

import ast
from pathlib import Path

from xlcsr.domain import vocab

PACKAGE = Path(__file__).resolve().parents[1] / "xlcsr"

# Words of the product that must be spelled in domain/vocab.py only. 清单 is left out: it is also
# the ribbon group's label (excel/buttons.py), a word of the interface, not the sheet's name.
WORDS = {
    *vocab.STATUSES, vocab.SETTINGS_SHEET, vocab.STATE_SHEET, vocab.RESULT_SHEET, vocab.CHANGELOG_SHEET,
    vocab.REPORT_SHEET, vocab.REVIEW_SHEET, vocab.REGISTER_FILE, vocab.REVIEW_FILE, vocab.CONFIG_FILE,
    vocab.BACKUP_DIR, vocab.HOLIDAYS_NAME, vocab.WORKDAYS_NAME, vocab.DATE_FORMAT, vocab.DATETIME_FORMAT,
}


def _code_strings(path: Path) -> list[tuple[int, str]]:
    """String constants of a module that are not docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


def test_each_word_of_the_product_is_defined_once() -> None:
    copies = [f"{path.relative_to(PACKAGE)}:{line}: {text!r}"
              for path in sorted(PACKAGE.rglob("*.py")) if path.name != "vocab.py"
              for line, text in _code_strings(path) if text in WORDS]
    assert copies == [], "use xlcsr.domain.vocab instead of a copy"


def test_the_top_level_holds_packages_and_at_most_three_modules() -> None:
    modules = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert modules == ["__init__.py", "__main__.py"]


def test_every_package_says_what_lives_there_and_what_it_may_import() -> None:
    for init in sorted(PACKAGE.rglob("__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc, f"{init.relative_to(PACKAGE)} has no docstring"
        if init.parent != PACKAGE and init.parent.parent == PACKAGE:
            assert "import" in doc.lower(), f"{init.relative_to(PACKAGE)} does not say what it may import"
