"""Third-party messages a user of lightning-gan cannot act on, silenced narrowly: by message and origin.

Never all warnings: anything not listed here still reaches the user. Each entry names where it comes
from and why nothing in a run can fix it. The entry points (``runs.fit``, ``evaluate``, ``prepare``,
``sweep``) call ``silence_third_party_noise`` once; importing the library changes no filter.
"""
from __future__ import annotations

import logging
import warnings

# (message regex, category, module regex of the code that warns)
WARNINGS = [
    # Lightning's own pytree copy builds a LeafSpec, which torch >= 2.10 deprecates; Lightning must move
    (r"`isinstance\(treespec, LeafSpec\)` is deprecated", FutureWarning, r"lightning\.pytorch\.utilities\._pytree"),
]
# Lightning's INFO lines that advertise rather than inform (logger name, message prefix)
LOG_LINES = [
    ("lightning.pytorch.utilities.rank_zero", "💡 Tip: For seamless cloud logging"),
]


class _DropPrefixes(logging.Filter):
    def __init__(self, prefixes: list[str]):
        super().__init__()
        self.prefixes = tuple(prefixes)

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.getMessage()).startswith(self.prefixes)


def silence_third_party_noise() -> None:
    """Idempotent; the warning filters are re-added when a ``catch_warnings`` block (pytest's) reset them."""
    for message, category, module in WARNINGS:
        warnings.filterwarnings("ignore", message=message, category=category, module=module)
    by_logger: dict[str, list[str]] = {}
    for name, prefix in LOG_LINES:
        by_logger.setdefault(name, []).append(prefix)
    for name, prefixes in by_logger.items():
        logger = logging.getLogger(name)
        if not any(isinstance(f, _DropPrefixes) for f in logger.filters):
            logger.addFilter(_DropPrefixes(prefixes))
