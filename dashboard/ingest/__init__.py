"""Readers: one module per source format, each turning a folder into runs.

``default_readers()`` gives them in the order they are asked to claim a folder:
the most specific first, so one folder is claimed by exactly one reader.
"""

from __future__ import annotations

from collections.abc import Sequence

from .base import Reader


def default_readers(log_patterns: Sequence[str] = ()) -> tuple[Reader, ...]:
    from . import hf_trainer, paper_metrics

    return (paper_metrics.READER, hf_trainer.READER)
