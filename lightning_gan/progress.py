"""Progress bars of the long phases outside training (real features, generated samples, classifier training).

tqdm, like the training bar; on stderr, so a command's printed results stay clean on stdout. Off under
``--quiet`` and inside a training run (its own bar is showing).
"""
from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Iterator, Optional

from tqdm.auto import tqdm


@contextmanager
def progress(total: int, description: str, enabled: bool, unit: str = "img") -> Iterator[Optional[tqdm]]:
    """A bar over ``total`` units, or None when disabled; closed on exit."""
    if not enabled:
        yield None
        return
    bar = tqdm(total=total, desc=description, unit=unit, file=sys.stderr, dynamic_ncols=True, leave=True,
               smoothing=0.1)
    try:
        yield bar
    finally:
        bar.close()
