"""The rows of the worker tables (Workers, Working and the overview's working list), built in
one pass in Python: the cells both tables share (state, where, language, heartbeat, queue,
processing) as escaped HTML, so a template writes a row with one expression instead of some
forty filtered, escaped lookups per row (a page of 25 workers spent most of its time there).

The markup is the one the templates wrote before, cell for cell; every value another tool
may have written (ids, queue names, raw bytes, reasons) goes through ``escape``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote

import jinja2
from jinja2.filters import do_truncate
from markupsafe import Markup, escape

from ..admin.views import Processing, TimeValue, WorkerName, WorkerView
from .render import age

LANGUAGES = {"ruby": "Ruby", "python": "Python"}
TRUNCATE_ENV = jinja2.Environment(autoescape=True)
"""``do_truncate`` only reads the environment's ``truncate`` leeway (its default, 5)."""


@dataclass(frozen=True, slots=True)
class WorkerRow:
    """One table row of a worker: ``cells`` is every cell but the Workers table's controls."""

    view: WorkerView
    ident: Ident
    cells: Markup

    @property
    def state(self) -> str:
        return self.view.state

    def controls(self, csrf_field: str, csrf_token: str, back: str) -> Markup:
        """The Workers table's last cell: a Remove button unless the heartbeat is fresh."""
        w, i = self.view, self.ident
        if w.heartbeat_state == "fresh":
            return Markup('<td class="controls"></td>')
        flight = "; its job in flight becomes a DirtyExit failure" if w.state == "working" else ""
        return Markup(
            f'<td class="controls"><form method="post" action="{i.root}/workers/{i.seg}/remove"'
            f' class="inline remove-worker">\n'
            f'  <input type="hidden" name="{escape(csrf_field)}" value="{escape(csrf_token)}">'
            f'<input type="hidden" name="back" value="{escape(back)}">\n'
            f'  <button type="submit" data-confirm="Unregister {i.html}? Do this only for a worker whose'
            f' process is gone{flight}." aria-label="Remove worker {i.html}">Remove</button>\n</form></td>'
        )


@dataclass(frozen=True, slots=True)
class WorkerRows:
    """A page of rows and what the Workers page's introduction counts among them."""

    rows: list[WorkerRow]
    ruby: int
    python: int
    stale: int

    @property
    def unknown(self) -> int:
        return len(self.rows) - self.ruby - self.python

    def body(self, empty: str, columns: int, controls: tuple[str, str, str] | None = None) -> Markup:
        """Every row's ``<tr>``, or one spanning ``columns`` with ``empty``'s text when there
        are none; ``controls`` (the CSRF field, its token and the page to come back to) adds the
        Remove cell. One call a table: a call per row from the template cost more than the row."""
        if not self.rows:
            return Markup(f'<tr><td colspan="{columns}" class="no-data">{escape(empty)}</td></tr>\n')
        out = []
        for r in self.rows:
            last = r.controls(*controls) if controls is not None else ""
            out.append(f'<tr class="{r.view.state}">\n{r.cells}{last}</tr>\n')
        return Markup("".join(out))


def worker_rows(views: Iterable[WorkerView], base: str, *, registered_queues: bool) -> WorkerRows:
    """Rows for ``views`` with links under ``base`` (the mount prefix). ``registered_queues``:
    the queue cell lists the queues of the worker's id (Workers) rather than the queue of the
    job it is on (Working)."""
    root = str(escape(base))
    rows, ruby, python, stale = [], 0, 0, 0
    for w in views:
        i = ident(w.name, root)
        queues = i.queues if registered_queues else _current(w.processing, root)
        cells = "".join((_state(w.state), i.where, _lang_beat(w), queues, _process(w, root, i.seg)))
        rows.append(WorkerRow(w, i, Markup(cells)))
        ruby += w.language == "ruby"
        python += w.language == "python"
        stale += w.heartbeat_state == "stale"
    return WorkerRows(rows, ruby, python, stale)


@dataclass(frozen=True, slots=True)
class Ident:
    """What a row shows of a worker's id alone, under one mount prefix: the same on every refresh."""

    root: str
    seg: str  # the id as one path segment
    html: str  # the id, escaped
    where: str  # the where cell
    queues: str  # the queues cell of the Workers table: the queues the id names


@lru_cache(maxsize=8192)
def ident(name: WorkerName, root: str) -> Ident:
    seg = _seg(name.id)
    html = str(escape(name.id))
    if name.unreadable:
        why = escape(name.unreadable)
        where = f'<a href="{root}/workers/{seg}" class="unreadable" title="{why}">{html}</a>'
        queues = f'<span class="unreadable" title="{why}">unreadable id</span>'
    else:
        where = f'<a href="{root}/workers/{seg}">{escape(name.where)}</a>'
        queues = "".join(_queue_tag(q, root) for q in name.queues)
    return Ident(root, seg, html, f'<td class="where">{where}</td>\n', f'<td class="queues">{queues}</td>\n')


@lru_cache(maxsize=8192)
def _seg(text: str) -> str:
    """One path segment (the ``seg`` filter), remembered: the same ids and queues every refresh."""
    return quote(text, safe="")


def _state(state: str) -> str:
    return (
        f'<td class="icon"><span class="state state-{state}" title="{state}" role="img"'
        f' aria-label="{state}"></span></td>\n'
    )


def _lang_beat(w: WorkerView) -> str:
    """The language and heartbeat cells."""
    inferred = " inferred" if "inferred" in w.language_source else ""
    hb = w.heartbeat_state
    title = escape(w.heartbeat.raw) if w.heartbeat else "no heartbeat"
    if hb in ("fresh", "stale"):
        beat = f"{hb} · {age(w.heartbeat_age)} ago"
    elif hb == "unreadable" and w.heartbeat:
        beat = f"unreadable: {title}"
    else:
        beat = "no heartbeat"
    return (
        f'<td><span class="lang lang-{w.language}{inferred}" title="{escape(w.language_source)}">'
        f"{LANGUAGES.get(w.language, '?')}</span></td>\n"
        f'<td><span class="beat beat-{hb}" title="{title}">{beat}</span></td>\n'
    )


def _current(p: Processing | None, root: str) -> str:
    """The queues cell of the Working table: the queue of the job the worker is on."""
    tag = _queue_tag(p.queue, root) if p is not None and p.queue else ""
    return f'<td class="queues">{tag}</td>\n'


def _queue_tag(queue: str, root: str) -> str:
    return f'<a class="queue-tag" href="{root}/queues/{_seg(queue)}">{escape(queue)}</a>'


def _process(w: WorkerView, root: str, seg: str) -> str:
    """The processing cell: waiting, an unreadable ``worker:<id>`` value, or the job's class and
    when it started (linking to the worker's Working page)."""
    p = w.processing
    if p is None:
        body = '<span class="waiting">Waiting for a job…</span>'
    elif p.unreadable:
        text = do_truncate(TRUNCATE_ENV, p.raw.decode("utf-8", "replace"), 120)
        why = escape(p.unreadable)
        body = f'<span class="unreadable" title="{why}">unreadable job: <code>{escape(text)}</code></span>'
    else:
        job = p.job
        if job is None:
            cls = '<code class="none">nil</code>'
        elif job.unreadable and job.class_name is None:
            cls = '<span class="unreadable">unreadable</span>'
        else:
            via = ' <small class="via">(via ActiveJob)</small>' if job.via_active_job else ""
            cls = f"<code>{escape(job.class_name)}</code>{via}"
        body = f'{cls} <small><a href="{root}/working/{seg}">{_time(p.run_at)}</a></small>'
    return f'<td class="process">{body}\n</td>\n'


def _time(tv: TimeValue | None) -> str:
    """``macros.time``: a ``<time>`` the page's script makes relative, or the raw text."""
    if tv is None:
        return '<span class="none">—</span>'
    raw = escape(tv.raw)
    if tv.at is None:
        return f'<span class="unreadable" title="not a time Resque writes">{raw} <em>(unreadable)</em></span>'
    return f'<time datetime="{tv.at.isoformat()}" title="{raw}" class="relative">{raw}</time>'


def host_tabs(hosts: dict[str, list[str]], target: str | None, base: str) -> Markup:
    """The Workers page's tabs, one per host with its count of workers, then *all*; nothing
    when every worker runs on one host."""
    if len(hosts) <= 1:
        return Markup("")
    root = escape(base)
    current = ' class="current"'
    tabs = "".join(
        f'<li{current if target == host else ""}><a href="{root}/workers/{_seg(host)}">'
        f"{escape(host)} <small>({len(ids)})</small></a></li>"
        for host, ids in hosts.items()
    )
    everything = current if target in ("all", None) else ""
    return Markup(
        f'<ul class="subnav" aria-label="Hosts">\n  {tabs}\n'
        f'  <li{everything}><a href="{root}/workers/all">all</a></li>\n</ul>\n'
    )
