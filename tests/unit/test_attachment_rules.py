"""A customer's file: judged by what its bytes are and by the limits, stored whole or not at all."""

from __future__ import annotations

import pytest

from bridge.core.attachments import (
    AttachmentLimits,
    clean_file_name,
    judge_attachment,
    plain_file_name,
)
from bridge.core.errors import InvalidInput
from bridge.files.sniff import sniff_kind

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 56
LIMITS = AttachmentLimits(file_bytes=100, case_bytes=150)


def refusal(kind: str | None, size: int, case_total: int = 0) -> str:
    with pytest.raises(InvalidInput) as refused:
        judge_attachment(kind, size, case_total, LIMITS)
    return refused.value.code


def test_the_kind_comes_from_the_bytes_not_the_name() -> None:
    assert sniff_kind(PNG) == "image/png"
    assert sniff_kind(b"%PDF-1.4\n" + b"x" * 40) == "application/pdf"
    assert sniff_kind("Olá, the app crashes".encode()) == "text/plain"
    # Script carriers, whatever they are called, are named for what they are and refused.
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    assert refusal(sniff_kind(svg), len(svg)) == "file_type"
    html = b"<html><script>alert(1)</script></html>"
    assert refusal(sniff_kind(html), len(html)) == "file_type"
    assert refusal(sniff_kind(b"MZ\x90\x00" + b"\x00" * 60), 64) == "file_type"
    assert refusal(sniff_kind(b"\x00\x01\x02garbage"), 11) == "file_type"


def test_limits_per_file_and_per_case() -> None:
    assert judge_attachment("image/png", 100, 50, LIMITS) == "image/png"
    assert refusal("image/png", 101) == "file_too_large"
    assert refusal("image/png", 60, case_total=100) == "case_files_full"
    assert refusal("image/png", 0) == "file_empty"


def test_file_names_lose_paths_and_control_characters() -> None:
    assert clean_file_name("../../etc/passwd") == "passwd"
    assert clean_file_name("C:\\Users\\ana\\shot.png") == "shot.png"
    assert clean_file_name("a\u202ecod.exe\x00") == "acod.exe"
    assert clean_file_name("..") == "file"
    assert len(clean_file_name("x" * 500 + ".png")) == 200


def test_a_name_in_plain_text_never_reads_as_a_link_nor_as_markup() -> None:
    assert plain_file_name("a<b>c.png") == "a‹b›c.png"
    assert plain_file_name("see https://evil.example/pay.pdf") == "pay.pdf"  # no path, no URL
    assert plain_file_name("line\r\nBcc: x@y.z.txt") == "lineBcc: x@y.z.txt"
    assert plain_file_name("zero\u200bwidth\u202e.txt") == "zerowidth.txt"
