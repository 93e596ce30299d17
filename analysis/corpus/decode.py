"""Decode raw bytes into text, detecting the encoding: UTF-8 (with or without BOM), UTF-16,
GB18030 (a superset of GBK and GB2312) and Big5."""

from __future__ import annotations

import codecs

# Frequent characters of Chinese prose, simplified and traditional forms: a decoding that yields
# them is plausible; a wrong legacy codec yields rare characters and symbols instead.
_COMMON = set(
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过"
    "子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体"
    "制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内"
    "数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提"
    "直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计"
    "别手角期根论运农指几九区强放决西被干做必战先回则任取据处府研"
    "這個們國會為來說對發動產種學過後現實點從業應開還組見計別長頭資邊級圖統較將結問義變條沒質氣當"
    "體機兩經濟與關設設進場農區強決戰則據處"
)


class DecodeError(ValueError):
    """Raised with a human-readable reason when bytes cannot be decoded as Chinese text."""


def _plausibility(text: str) -> float:
    """Share of non-space characters that are common Chinese characters or ASCII."""
    chars = [c for c in text if not c.isspace()]
    if not chars:
        return 0.0
    good = sum(
        c in _COMMON or c.isascii() or "\u3000" <= c <= "\u303f" or "\uff00" <= c <= "\uffef"
        for c in chars
    )
    return good / len(chars)


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode ``data``; return ``(text, encoding)``.

    Order: byte-order marks (UTF-8, UTF-16 LE/BE), UTF-16 without BOM (NUL-byte pattern), strict
    UTF-8, then GB18030, Big5 and (even length) UTF-16 without BOM compared by how plausible
    the decoded text is. Raises
    :class:`DecodeError` for empty input, binary data and bytes no codec accepts.
    """
    if not data:
        raise DecodeError("empty file (0 bytes)")
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[3:], "utf-8"), "utf-8-sig"
    for bom, name in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            return _strict(data[2:], name), f"{name}-bom"
    if b"\x00" in data:
        sample = data[:4000]
        even = sample[0::2].count(0)
        odd = sample[1::2].count(0)
        half = len(sample) / 2
        # UTF-16 Chinese text has NULs only under ASCII; binary data has them everywhere
        if odd > 0.05 * half and even < 0.01 * half:
            return _strict(data, "utf-16-le"), "utf-16-le"
        if even > 0.05 * half and odd < 0.01 * half:
            return _strict(data, "utf-16-be"), "utf-16-be"
        raise DecodeError(f"binary file: {data.count(0)} NUL bytes, not a text encoding")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    candidates: list[tuple[float, str, str]] = []
    names = ["gb18030", "big5"] + (["utf-16-le", "utf-16-be"] if len(data) % 2 == 0 else [])
    for name in names:
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            continue
        candidates.append((_plausibility(text), name, text))
    if not candidates:
        raise DecodeError(
            f"undecodable bytes: not UTF-8 (bad byte at offset {utf8_error.start}), "
            "UTF-16, GB18030 or Big5"
        )
    score, name, text = max(candidates, key=lambda c: (c[0], c[1] == "gb18030"))
    if score < 0.3:
        raise DecodeError(f"undecodable bytes: best guess {name} gives implausible text")
    return text, name


def _strict(data: bytes, name: str) -> str:
    try:
        return data.decode(name)
    except UnicodeDecodeError as exc:
        raise DecodeError(f"undecodable bytes: invalid {name} at offset {exc.start}") from exc
