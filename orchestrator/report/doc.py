"""One experiment's report, written once and rendered twice: Markdown (report.md) and HTML (index.html,
readable from file:// without a server: relative links only)."""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from orchestrator.report.render import Tabular, to_html, to_markdown

STYLE = ("body{font-family:sans-serif;max-width:1400px;margin:2em auto;padding:0 1em}"
         "table{border-collapse:collapse;margin:1em 0;font-size:13px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
         "caption{caption-side:bottom;font-size:90%;color:#555;text-align:left}img{max-width:100%}"
         ".missing{color:#b00}")


def page(title: str, body: str) -> str:
    return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style></head><body>{body}</body></html>")


@dataclass
class Doc:
    """A report written once, rendered twice: `markdown()` and `html()`."""

    title: str
    md: list[str] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)

    def heading(self, text: str, level: int = 2) -> None:
        self.md += ["#" * level + " " + text, ""]
        self.parts.append(f"<h{level}>{html.escape(text)}</h{level}>")

    def text(self, text: str) -> None:
        self.md += [text, ""]
        self.parts.append(f"<p>{html.escape(text)}</p>")

    def items(self, items: list[str]) -> None:
        self.md += [f"- {item}" for item in items] + [""]
        self.parts.append("<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>")

    def table(self, table: Tabular) -> None:
        self.md += [to_markdown(table), ""]
        self.parts.append(to_html(table))

    def figure(self, paths: list[Path], caption: str) -> None:
        """An interactive HTML figure and its PNG (files in the report's directory)."""
        names = [p.name for p in paths]
        self.md += [f"{caption}: " + ", ".join(names), ""]
        pngs = "".join(f"<img src=\"{html.escape(n)}\" alt=\"{html.escape(caption)}\">" for n in names if n.endswith(".png"))
        links = " ".join(f"<a href=\"{html.escape(n)}\">{html.escape(n)}</a>" for n in names)
        self.parts.append(f"<figure>{pngs}<figcaption>{html.escape(caption)} ({links})</figcaption></figure>")

    def markdown(self) -> str:
        return "\n".join([f"# {self.title}", "", *self.md]).rstrip() + "\n"

    def html(self, files: list[Path] = (), links: Sequence[tuple[str, str]] = (("../index.html", "all reports"),)) -> str:
        """The page; `links`: (relative href, text) shown above the title."""
        listed = "".join(f"<li><a href=\"{html.escape(p.name)}\">{html.escape(p.name)}</a></li>" for p in files)
        back = "<p>" + " · ".join(f"<a href=\"{html.escape(href)}\">{html.escape(text)}</a>" for href, text in links) + "</p>"
        return page(self.title, f"{back}<h1>{html.escape(self.title)}</h1>{''.join(self.parts)}"
                                f"<h2>Files</h2><ul>{listed}</ul>")
