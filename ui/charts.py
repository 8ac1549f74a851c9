"""Charts drawn on the server as SVG: a line per series over days, with a title and a text
description for screen readers (the table beside each chart holds the same numbers)."""
from __future__ import annotations

from markupsafe import Markup, escape

# colour-blind-safe (Okabe-Ito), each at least 3:1 against white
COLOURS = ("#0072B2", "#009E73", "#D55E00", "#CC79A7", "#8f6a00", "#56B4E9", "#000000")
WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 640, 260, 44, 24, 12, 28


def line_chart(title: str, days: list[str], series: dict[str, list[int]]) -> Markup:
    peak = max([1, *(v for values in series.values() for v in values)])
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(days) - 1, 1)

    def x(i: int) -> float:
        return LEFT + i * step

    def y(v: int) -> float:
        return TOP + plot_h - v * plot_h / peak

    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="chart-title chart-desc" '
             f'xmlns="http://www.w3.org/2000/svg"><title id="chart-title">{escape(title)}</title>'
             f'<desc id="chart-desc">{escape(_describe(series))}</desc>']
    for tick in sorted({0, peak // 2, peak}):
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#d0d0d0"/>'
                     f'<text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" font-size="11" fill="#333">{tick}</text>')
    label_every = max(1, len(days) // 6)
    for i, day in enumerate(days):
        if i % label_every == 0 or i == len(days) - 1:
            parts.append(f'<text x="{x(i):.1f}" y="{HEIGHT - 8}" text-anchor="middle" font-size="11" fill="#333">'
                         f'{escape(day[5:])}</text>')
    for (name, values), colour in zip(series.items(), COLOURS):
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        parts.append(f'<polyline class="series" data-series="{escape(name)}" fill="none" stroke="{colour}" '
                     f'stroke-width="2" points="{points}"/>')
        parts.extend(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="2.5" fill="{colour}"><title>{escape(name)} '
                     f'{escape(days[i])}: {v}</title></circle>' for i, v in enumerate(values) if v)
    parts.append("</svg>")
    return Markup("".join(parts))


def legend(names) -> Markup:
    items = "".join(f'<li><span class="swatch c{i}" aria-hidden="true"></span>{escape(n)}</li>'
                    for i, n in enumerate(list(names)[:len(COLOURS)]))
    return Markup(f'<ul class="legend">{items}</ul>')


def _describe(series: dict[str, list[int]]) -> str:
    return "; ".join(f"{name}: {sum(values)} in total" for name, values in series.items())
