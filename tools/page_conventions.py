"""The page conventions the build applies: claims located, figures numbered, claims listed.

- **Where a block stands.** Each executed Python block gets the id
  `claims|PAGE|ANCHOR|HEADING` (markdown-exec names the block's code after it), so that
  `dlbasics.claims.claim` knows the page and section of every claim it checks.
- **Numbered figures.** On the page, `<figure class="dlb-figure">` elements are numbered in
  order. A paragraph right after a figure that starts with `Figure:` becomes its caption
  (`Figure: What it shows. {#fig-name}` also names it); a link with no text to that name,
  `[](#fig-name)`, reads "Figure 3". A caption drawn by the figure function is kept, after
  the number.
- **The claims page.** `claims.md` is generated, rendered last, and lists every claim of
  the build with a link to its section, the values measured and its status; the same list
  is written to `claims.json` in the site for tests and tools.
"""

from __future__ import annotations

import html as htmllib
import json
import re
import unicodedata
from pathlib import Path
from typing import Any

FENCE = re.compile(r"^(?P<indent>[ ]*)(?P<fence>```+|~~~+)(?P<info>python[^\n]*)$")
HEADING = re.compile(r"^(?P<level>#{1,6})\s+(?P<text>.+?)\s*$")
EXPLICIT_ID = re.compile(r"\{\s*#(?P<id>[\w-]+)[^}]*\}\s*$")


def slugify(text: str) -> str:
    """The id Python-Markdown's toc extension gives a heading (its default slugify), from
    the heading's Markdown source with inline markup dropped."""
    text = re.sub(r"\\\((.*?)\\\)", r"\1", text)  # inline math keeps its TeX letters
    text = re.sub(r"[`*_]", "", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    value = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    value = re.sub(r"[^\w\s-]", "", value).strip().lower()
    return re.sub(r"[-\s]+", "-", value)


def locate_blocks(markdown: str, page: str) -> tuple[str, list[dict[str, Any]]]:
    """Give every executed Python block the id that locates it; returns the new Markdown
    and, per block, its section and whether it runs one of the page's experiments."""
    out, blocks = [], []
    seen: dict[str, int] = {}
    anchor, heading = "", ""
    in_fence: str | None = None
    lines = markdown.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        fence = FENCE.match(line)
        if in_fence is None and (m := HEADING.match(line)) and not line.startswith("#!"):
            text = m["text"]
            explicit = EXPLICIT_ID.search(text)
            if explicit:
                anchor = explicit["id"]
                text = text[: explicit.start()].strip()
            else:
                base = slugify(text)
                count = seen.get(base, 0)
                anchor = base if count == 0 else f"{base}_{count}"
                seen[base] = count + 1
            heading = text
        if in_fence is None and fence and re.search(r'exec="(true|1|on)"', fence["info"]):
            safe = re.sub(r'["|<>]', "", heading)
            tag = f' id="claims|{page}|{anchor}|{safe}" idprefix=""'
            out.append(line + tag)
            body = []
            j = i + 1
            while j < len(lines) and lines[j].strip() != fence["fence"]:
                body.append(lines[j])
                j += 1
            source = "\n".join(body)
            blocks.append(
                {
                    "anchor": anchor,
                    "heading": heading,
                    # an exercise's answer comes from experiments.py too, but the exercise
                    # checks the reader, not a sentence: it needs no claim
                    "experiment": bool(
                        re.search(r"from dlbasics\.\w+\.experiments import", source)
                        and not re.search(r"from dlbasics\.exercises import", source)
                    ),
                    "claims": "claim(" in source,
                }
            )
            out.extend(lines[i + 1 : j + 1])
            i = j + 1
            continue
        if fence:
            in_fence = None if in_fence == fence["fence"] else (in_fence or fence["fence"])
        out.append(line)
        i += 1
    return "\n".join(out), blocks


FIGURE = re.compile(r'<figure class="dlb-figure">(?P<body>.*?)</figure>', re.S)
CAPTION_PARAGRAPH = re.compile(r'<p(?: id="(?P<id>[^"]+)")?>Figure:\s*(?P<text>.*?)</p>', re.S)
CAPTION = re.compile(r"<figcaption>(?P<text>.*?)</figcaption>", re.S)


def number_figures(html: str) -> tuple[str, int]:
    """Number the page's figures; a `Figure:` paragraph becomes the caption of the figure
    before it (markdown-exec may have closed a container in between), and names it."""
    figures = list(FIGURE.finditer(html))
    captions: dict[int, re.Match[str]] = {}  # figure index → its caption paragraph
    for paragraph in CAPTION_PARAGRAPH.finditer(html):
        before = [i for i, f in enumerate(figures) if f.end() <= paragraph.start()]
        if before and before[-1] not in captions:
            captions[before[-1]] = paragraph
    names: dict[str, int] = {}
    pieces, last = [], 0
    cuts = sorted(
        [(f.start(), f.end(), ("figure", i)) for i, f in enumerate(figures)]
        + [(c.start(), c.end(), ("caption", i)) for i, c in captions.items()]
    )
    for start, end, (kind, i) in cuts:
        pieces.append(html[last:start])
        last = end
        if kind == "caption":
            continue  # moved into its figure
        number = i + 1
        paragraph = captions.get(i)
        name = (paragraph["id"] if paragraph is not None else None) or f"figure-{number}"
        names[name] = number
        body = figures[i]["body"]
        drawn = CAPTION.search(body)
        body = CAPTION.sub("", body)
        parts = [
            x
            for x in (paragraph["text"] if paragraph else None, drawn["text"] if drawn else None)
            if x
        ]
        caption = f"<strong>Figure {number}.</strong> " + " ".join(parts)
        pieces.append(
            f'<figure class="dlb-figure" id="{name}">{body}'
            f"<figcaption>{caption.strip()}</figcaption></figure>"
        )
    pieces.append(html[last:])
    html = "".join(pieces)
    for name, number in names.items():
        html = html.replace(f'<a href="#{name}"></a>', f'<a href="#{name}">Figure {number}</a>')
    return html, len(figures)


def claims_markdown(records: list[Any], pages: dict[str, str]) -> str:
    """The claims page: every claim of the build, by page, with its status."""
    lines = [
        "# Claims checked by this build",
        "",
        "Every sentence on this site that reads a result is a claim the build checks: it is "
        "stated with the numbers the experiment measured, and a condition that must hold. If "
        "one failed, the build would stop and print the evidence against it. This page lists "
        "them all, as this build measured them.",
        "",
    ]
    holding = sum(r.holds for r in records)
    lines += [
        f"**{len(records)} claims, {holding} holding, {len(records) - holding} failing.**",
        "",
    ]
    by_page: dict[str, list[Any]] = {}
    for r in records:
        by_page.setdefault(r.page or "?", []).append(r)
    for page in sorted(by_page, key=lambda p: pages.get(p, p)):
        lines += [f"## {pages.get(page, page)}", ""]
        lines += ["| # | claim | section | measured | status |", "|---:|---|---|---|---|"]
        for r in by_page[page]:
            measured = "; ".join(f"{k} = {v}" for k, v in r.values.items()) or "–"
            section = f"[{r.heading}]({page}#{r.section})" if r.section else f"[page]({page})"
            status = "holds" if r.holds else "**fails**"
            # The claim's own links point into its page: from here they need the page's path.
            text = re.sub(r"\]\(#", f"]({page}#", r.text)
            text = text.replace("|", "\\|").replace("\n", " ")
            lines.append(
                f'| <span id="{r.anchor}">{r.number}</span> | {text} | {section} | '
                f"{htmllib.escape(measured).replace('|', '&#124;')} | {status} |"
            )
        lines.append("")
    return "\n".join(lines)


def claims_json(records: list[Any]) -> str:
    return json.dumps(
        [
            {
                "page": r.page,
                "section": r.section,
                "heading": r.heading,
                "number": r.number,
                "anchor": r.anchor,
                "text": r.text,
                "values": r.values,
                "holds": r.holds,
            }
            for r in records
        ],
        indent=1,
        ensure_ascii=False,
    )


def write_report(
    site_dir: str, records: list[Any], blocks: dict[str, list[dict[str, Any]]]
) -> None:
    Path(site_dir, "claims.json").write_text(claims_json(records), encoding="utf-8")
    Path(site_dir, "blocks.json").write_text(json.dumps(blocks, indent=1), encoding="utf-8")
