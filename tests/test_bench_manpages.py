"""The man-page reader behind bench.quality's labelled sets keeps what the queries ask for."""

from __future__ import annotations

from bench.labelled import sections_of
from bench.manpages import parse

PAGE = r""".\" a comment that prints nothing
.TH FROB 1 "2026" "frob 1.0"
.SH NAME
frob \- twiddle the bits of a file
.SH SYNOPSIS
.B frob
[\fB\-\-dry\-run\fR] \fIFILE\fR
.SH DESCRIPTION
.B frob
rewrites
.IR FILE 's
bits in place.
It fails with
.B ENOENT
when the file is missing.
.TP
.BR \-\-dry\-run
show what would change, change nothing.
.SH "SEE ALSO"
.BR ls (1)
"""


def test_a_man_page_keeps_its_summary_sections_flags_and_error_codes() -> None:
    page = parse(PAGE, "frob(1)")

    assert page is not None
    assert page.summary == "twiddle the bits of a file"
    assert [heading for heading, _ in page.sections] == ["SYNOPSIS", "DESCRIPTION", "SEE ALSO"]
    description = dict(page.sections)["DESCRIPTION"]
    assert "frob rewrites FILE's bits in place." in description
    assert "ENOENT" in description
    assert "**--dry-run**" in description
    assert "show what would change" in description
    assert dict(page.sections)["SEE ALSO"] == "ls(1)"


def test_pages_that_only_redirect_or_use_mdoc_are_skipped() -> None:
    assert parse(".so man1/other.1\n", "alias(1)") is None
    assert parse(".Dd June 1, 2026\n.Dt FROB 1\n.Sh NAME\n.Nm frob\n", "frob(1)") is None


def test_a_long_page_splits_back_into_its_sections() -> None:
    content = "## alpha\n\nfirst body\n\n## beta\n\nsecond\n\nbody"

    assert sections_of(content) == [("alpha", "first body"), ("beta", "second\n\nbody")]
