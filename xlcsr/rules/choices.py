"""What a user's word in a choice column means: the configured value it stands for, or nothing.

    >>> choice_value(DEFAULT_SETTINGS, "status", "进行中"), choice_value(DEFAULT_SETTINGS, "priority", "High")
    ('处理中', '高')

A value is accepted as the configured Chinese value, its English name (any case), a synonym from
`vocab.VALUE_SYNONYMS`, or one from the register's own 【值映射】 block (`Settings.value_map`, which
wins). The cell keeps what the user wrote; every rule reads the value it stands for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from xlcsr.domain.settings import Settings
from xlcsr.domain.vocab import CLOSED_STATUSES, CONTRACT_TYPES, STATUSES, VALUE_SYNONYMS


@dataclass(frozen=True)
class Choice:
    """A choice field: its values (Chinese → English), the words that stand for them, the list shown in messages."""

    key: str
    allowed: dict[str, str]
    synonyms: dict[str, str] = field(default_factory=dict)  # folded word → configured value

    @property
    def shown(self) -> str:
        return "、".join(self.allowed)

    def value(self, text: str) -> str | None:
        """The configured value `text` stands for, else None."""
        if text in self.allowed:
            return text
        folded = fold(text)
        for zh, en in self.allowed.items():
            if folded in (zh.lower(), en.lower()):
                return zh
        return self.synonyms.get(folded)


def fold(text: str) -> str:
    return " ".join(str(text).split()).lower()


def choice_rules(settings: Settings) -> dict[str, Choice]:
    """Every choice field of the register with the words its settings accept."""
    priorities = tuple((p.name, p.english) for p in settings.priorities)
    value_map = tuple((k, tuple(sorted(v.items()))) for k, v in sorted(settings.value_map.items()))
    return _choice_rules(tuple(settings.categories), tuple(settings.sources), priorities, value_map)


@lru_cache(maxsize=32)
def _choice_rules(categories: tuple[str, ...], sources: tuple[str, ...], priorities: tuple[tuple[str, str], ...],
                  value_map: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]) -> dict[str, Choice]:
    allowed = {
        "category": {c: c for c in categories},
        "source": {s: s for s in sources},
        "priority": dict(priorities),
        "status": dict(STATUSES),
        "contract_type": dict(CONTRACT_TYPES),
    }
    own = {key: dict(words) for key, words in value_map}
    choices = {}
    for key, values in allowed.items():
        words = {fold(w): v for w, v in VALUE_SYNONYMS.get(key, {}).items() if v in values}
        words.update({fold(w): v for w, v in own.get(key, {}).items() if v in values})
        choices[key] = Choice(key, values, words)
    return choices


def choice_value(settings: Settings, key: str, text: str) -> str | None:
    """The configured value of choice field `key` that `text` stands for, else None."""
    return choice_rules(settings)[key].value(text)


def closed_words(settings: Settings, used: list[str]) -> tuple[str, ...]:
    """The words a status cell says done or cancelled with: the values, their English, and the
    synonyms among `used` (the register's statuses as written). Excel's = ignores case."""
    status = choice_rules(settings)["status"]
    words = [*CLOSED_STATUSES, *(STATUSES[s] for s in CLOSED_STATUSES)]
    seen = {w.lower() for w in words}
    for text in used:
        if text.lower() not in seen and status.value(text) in CLOSED_STATUSES:
            words.append(text)
            seen.add(text.lower())
    return tuple(words)
