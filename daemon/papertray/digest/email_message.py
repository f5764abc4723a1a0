"""The digest as an email: a plain-text part and an HTML part (inline styles only: no remote images, no
scripts, no tracking). Built with email.message.EmailMessage under policy SMTP, so no header can carry a
`\\r\\n` of a title (titles never go into headers anyway), and non-ASCII names are encoded properly. Every
title, author and abstract is escaped in the HTML."""

from __future__ import annotations

import hashlib
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from html import escape

from papertray.digest.atom import entry_title, links, one_line, short_abstract
from papertray.digest.contents import Digest
from papertray.digest.selection import Item

ABSTRACT_CHARS = 300


def message_id(slot: str, to: str) -> str:
    """Stable per digest slot, so a mail client folds a resend (after a crash mid-send) into one message."""
    tag = hashlib.sha256(f"{slot}|{to}".encode()).hexdigest()[:16]
    return f"<digest-{tag}@papertray.local>"


def subject(digest: Digest) -> str:
    count = len(digest.papers)
    return f"papertray digest for {digest.day.isoformat()}: {count} paper{'' if count == 1 else 's'}"


def _authors(item: Item, limit: int = 6) -> str:
    names = [one_line(a) for a in item.paper.authors]
    return ", ".join(names[:limit]) + (" et al." if len(names) > limit else "")


def text_body(digest: Digest) -> str:
    lines = [subject(digest), f"Papers since {digest.since.isoformat()}.", ""]
    if digest.empty:
        lines.append("Nothing new matched your rules.")
    for group, items in digest.groups:
        lines += [group, "=" * len(group), ""]
        for item in items:
            paper = item.paper
            lines.append(f"* {entry_title(item)}")
            lines.append(f"  {_authors(item)}")
            lines.append(f"  Why: {'; '.join(one_line(w) for w in item.why)} · {paper.upvotes} upvotes")
            lines.append(f"  {short_abstract(paper, ABSTRACT_CHARS)}")
            lines += [f"  {name}: {url}" for name, url in links(paper, item.version).items()]
            lines.append("")
    lines.append("Sent by papertray from your own computer. Change or stop it in [digest] of config.toml.")
    return "\n".join(lines) + "\n"


def _html_item(item: Item) -> str:
    paper = item.paper
    pages = " · ".join(
        f'<a href="{escape(url)}" style="color:#1a5fb4">{escape(name)}</a>'
        for name, url in links(paper, item.version).items()
    )
    return (
        '<tr><td style="padding:10px 0;border-bottom:1px solid #ddd">'
        f'<div style="font-size:16px;font-weight:bold">{escape(entry_title(item))}</div>'
        f'<div style="color:#555;font-size:13px">{escape(_authors(item))}</div>'
        f'<div style="font-size:13px;margin:4px 0"><b>Why:</b> {escape("; ".join(one_line(w) for w in item.why))}'
        f" · {paper.upvotes} upvotes</div>"
        f'<div style="font-size:14px;color:#222">{escape(short_abstract(paper, ABSTRACT_CHARS))}</div>'
        f'<div style="font-size:13px;margin-top:4px">{pages}</div></td></tr>'
    )


def html_body(digest: Digest) -> str:
    parts = [
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{escape(subject(digest))}</title></head>"
        '<body style="font-family:Helvetica,Arial,sans-serif;max-width:680px;margin:0 auto;padding:12px;color:#111">'
        f'<h1 style="font-size:20px">{escape(subject(digest))}</h1>'
        f'<p style="color:#555">Papers since {escape(digest.since.isoformat())}.</p>'
    ]
    if digest.empty:
        parts.append("<p>Nothing new matched your rules.</p>")
    for group, items in digest.groups:
        parts.append(f'<h2 style="font-size:17px;margin-top:20px">{escape(group)}</h2>')
        parts.append('<table role="presentation" style="width:100%;border-collapse:collapse">')
        parts += [_html_item(item) for item in items]
        parts.append("</table>")
    parts.append(
        '<p style="color:#777;font-size:12px;margin-top:24px">Sent by papertray from your own computer. '
        "Change or stop it in [digest] of config.toml.</p></body></html>"
    )
    return "".join(parts)


def build_message(digest: Digest, *, to: str, slot: str, now: datetime) -> EmailMessage:
    message = EmailMessage(policy=SMTP)
    message["From"] = f"papertray <{to}>"
    message["To"] = to
    message["Subject"] = subject(digest)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id(slot, to)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text_body(digest))
    message.add_alternative(html_body(digest), subtype="html")
    return message
