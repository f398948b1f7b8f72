"""Parse JSON that a stranger sent: depth-guarded, strict, one error type.

`json.loads` recurses in C and Python: `"[" * 30000` raises RecursionError, which no caller
expects, and it accepts lone surrogate escapes (`"\\ud800"`) that nothing downstream can
encode. pydantic_core's parser (the one the MCP SDK uses) stops at a fixed depth and
refuses both with a plain ValueError.
"""

from __future__ import annotations

from typing import Any

import pydantic_core


def parse_json(data: bytes | str) -> Any:
    """The value `data` holds; ValueError (with the parser's reason) if it is not JSON."""
    return pydantic_core.from_json(data, allow_inf_nan=False)
