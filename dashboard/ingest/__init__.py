"""Readers: one module per source format, each turning a folder into runs.

``default_readers()`` gives them in the order they are asked to claim a folder:
the most specific first, so one folder is claimed by exactly one reader.
``lm_eval`` comes after every reader of structured folders (it accepts loose JSON
files), and ``text_log`` is last (it accepts any folder holding log-like files).
"""

from __future__ import annotations

from collections.abc import Sequence

from .base import Reader


def default_readers(log_patterns: Sequence[str] = ()) -> tuple[Reader, ...]:
    from . import (
        hf_trainer,
        jsonl_metrics,
        lightning_csv,
        lm_eval,
        mlflow,
        paper_metrics,
        tensorboard,
        text_log,
    )

    log_reader = text_log.make_reader(list(log_patterns)) if log_patterns else text_log.READER
    return (
        mlflow.READER,
        paper_metrics.READER,
        hf_trainer.READER,
        lightning_csv.READER,
        jsonl_metrics.READER,
        tensorboard.READER,
        lm_eval.READER,
        log_reader,
    )
