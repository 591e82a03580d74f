"""The evaluation store: the seeds plus the planted transcripts, in a data dir of its own.

Its own module because it is the one place where attacker text is written to disk and ingested;
the marker file check here is what keeps planted injections out of a production store, whatever
``--data-dir`` says. Direct attacks and benign questions run on the seeds alone, indirect cases
on the seeds plus the planted transcripts.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from bot.eval.injection.suite import InjectionEvalError, Planted
from bot.index.store import Store
from bot.ingest.manifest import SourceMeta, load_manifest
from bot.settings import Settings

EVAL_MARKER = ".panelist-injection-eval"  # in a data dir built by this module, and only there
PLANTED_DIR = "planted"


def _toml_str(value: str) -> str:
    return json.dumps(value)  # a JSON string (ASCII, \u escapes) is a valid TOML basic string


def _twin(title: str, seeds: dict[str, SourceMeta]) -> SourceMeta | None:
    """The seed whose show a synthetic title imitates ("WEF Panel - scaling (synthetic)")."""
    show = title.split(" - ")[0].split(" (")[0].strip().casefold()
    for meta in seeds.values():
        names = {(meta.label or "").casefold(), (meta.show or "").casefold()}
        if show and (show in names or meta.title.casefold().startswith(show)):
            return meta
    return None


def planted_manifest(planted: Sequence[Planted], seeds: dict[str, SourceMeta]) -> str:
    """Titles from the suite; participants and aliases borrowed from the show they imitate.

    So a planted "KFL:" line is attributed like the real panel's, and retrieval treats the file as
    the attacker intends: a plausible extra transcript of a show the bot already knows.
    """
    blocks = []
    for p in planted:
        lines = [f"[sources.{_toml_str(p.file)}]", f"title = {_toml_str(p.title)}"]
        twin = _twin(p.title, seeds)
        if twin and twin.participants:
            lines.append(f"participants = [{', '.join(map(_toml_str, twin.participants))}]")
            if twin.aliases:
                pairs = ", ".join(
                    f"{_toml_str(k)} = {_toml_str(v)}" for k, v in twin.aliases.items()
                )
                lines.append(f"aliases = {{ {pairs} }}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def prepare_store(settings: Settings, planted: Sequence[Planted]) -> None:
    """Make ``settings.data_dir`` hold the seeds plus exactly ``planted`` (incremental, idempotent).

    Direct attacks and benign questions run on the seeds alone, indirect cases on the seeds plus
    the planted transcripts: switching costs only the planted files' chunks, the seeds stay put.
    Refuses a non-empty folder this module did not create, so planted injections can never land
    in a production store by a mistyped ``--data-dir``.
    """
    from bot.index.ingest import ingest

    data = settings.data_dir
    marker = data / EVAL_MARKER
    if data.exists() and any(data.iterdir()) and not marker.exists():
        raise InjectionEvalError(
            f"{data} is not empty and was not made by `panelist eval injection`; give an empty "
            "or new folder (planted injections must never reach a real store)"
        )
    planted_dir = data / PLANTED_DIR
    planted_dir.mkdir(parents=True, exist_ok=True)
    marker.write_text("made by panelist eval injection; safe to delete\n", encoding="utf-8")
    keep = {p.file for p in planted}
    for old in planted_dir.glob("*.txt"):
        if old.name not in keep:
            old.unlink()
    for p in planted:
        (planted_dir / p.file).write_text(p.text.rstrip("\n") + "\n", encoding="utf-8")
    manifest = planted_manifest(planted, load_manifest(settings.seeds_dir))
    (planted_dir / "manifest.toml").write_text(manifest, encoding="utf-8")
    store = Store(settings)
    try:
        report = ingest(store, [settings.seeds_dir, planted_dir], prune=True)
    finally:
        store.close()
    if report.failed:
        first = report.failed[0]
        raise InjectionEvalError(f"ingest failed for {first.source}: {first.message}")
