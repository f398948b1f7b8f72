"""How a `vault-mcp` process ends: exit hooks run, native threads never see the C++ teardown."""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import sys
from typing import NoReturn


def exit_now(code: int) -> NoReturn:
    """Flush, run the exit hooks (they stop the embedded PostgreSQL if this process was its
    last user), and end the process without finalizing the interpreter.

    A model may still be loading in a daemon thread (onnxruntime building its session, torch
    exporting): a normal exit runs the C++ static destructors under that thread, and
    onnxruntime's then abort the process ("terminate called without an active exception",
    exit 134). Nothing is left to finalize that matters: files are flushed here, and an
    unfinished write was never acknowledged, so its transaction rolls back.
    """
    for stream in (sys.stdout, sys.stderr):
        # A closed pipe: nobody is reading any more.
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    logging.shutdown()
    atexit._run_exitfuncs()
    os._exit(code)
