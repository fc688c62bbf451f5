"""The analyst's commands for tag quality: ``newsmon eval`` and ``newsmon taxonomy ...``.

``newsmon.cli`` registers them; they share its settings and error handling.
"""

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import orjson
import typer
from rich.table import Table
from rich.text import Text

from contract import NewsmonError
from newsmon.console import err, load_settings, out
from newsmon.evaluation import DEFAULT_CORPUS, Report, evaluate, load_corpus
from newsmon.settings import Settings

if TYPE_CHECKING:  # spaCy loads slowly: only the commands that need it import it
    from processors.enrich import Enricher

taxonomy_app = typer.Typer(help="Inspect the topic taxonomy and why a text gets its topics.")


def _enricher(settings: Settings) -> "Enricher":
    from newsmon.runners.process import load_enricher

    try:
        return load_enricher(settings, with_stories=False)
    except NewsmonError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from exc


def _report_table(report: Report) -> Table:
    table = Table(
        "topic",
        "P",
        "R",
        "F1",
        "support",
        title=f"{report.split}: {report.items} items {report.kinds}",
    )
    for name, c in sorted(report.topics.items()):
        table.add_row(
            name, f"{c.precision:.2f}", f"{c.recall:.2f}", f"{c.f1:.2f}", str(c.tp + c.fn)
        )
    table.add_section()
    table.add_row("[b]topics (macro)[/]", "", "", f"[b]{report.macro_f1:.3f}[/]", "")
    e = report.entities
    table.add_row(
        "[b]entities (canonical)[/]",
        f"{e.precision:.2f}",
        f"{e.recall:.2f}",
        f"[b]{e.f1:.3f}[/]",
        str(e.tp + e.fn),
    )
    return table


def eval_command(
    corpus: Annotated[
        Path, typer.Option("--corpus", help="directory of labelled *.jsonl")
    ] = DEFAULT_CORPUS,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    misses: Annotated[bool, typer.Option("--misses", help="list every item that differs")] = False,
    min_topic_f1: Annotated[
        float, typer.Option(help="exit 1 when the corpus topic macro-F1 is below")
    ] = 0.0,
    min_entity_f1: Annotated[
        float, typer.Option(help="exit 1 when the corpus entity F1 is below")
    ] = 0.0,
) -> None:
    """Score topics (per-topic P/R/F1, macro-F1) and canonical entities on a labelled corpus."""
    settings = load_settings()
    enricher = _enricher(settings)
    try:
        items = load_corpus(corpus, [t.name for t in enricher.taxonomy.topics])
    except NewsmonError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from exc
    with err.status(f"tagging {len(items)} labelled items"):
        reports = evaluate(enricher, items)
    if as_json:
        payload = {name: r.as_dict(with_misses=misses) for name, r in reports.items()}
        sys.stdout.write(orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        for report in reports.values():
            out.print(_report_table(report))
            if misses:
                for m in report.misses:
                    out.print(f"  {m.item}: {m.__dict__}")
    corpus_report = reports["all"]  # thresholds hold for the whole corpus; splits are reported
    failed = []
    if corpus_report.macro_f1 < min_topic_f1:
        failed.append(f"topic macro-F1 {corpus_report.macro_f1:.3f} < {min_topic_f1}")
    if corpus_report.entities.f1 < min_entity_f1:
        failed.append(f"entity F1 {corpus_report.entities.f1:.3f} < {min_entity_f1}")
    for line in failed:
        err.print(f"[red]below threshold:[/] {line}")
    if failed:
        raise typer.Exit(1)


@taxonomy_app.command("list")
def list_topics(
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Every topic with its definition, threshold and rules."""
    enricher = _enricher(load_settings())
    taxonomy = enricher.taxonomy
    if as_json:
        rows = [
            {
                "topic": t.name,
                "definition": t.definition,
                "threshold": t.threshold,
                "rules": [r.id for r in t.rules],
            }
            for t in taxonomy.topics
        ]
        sys.stdout.write(
            orjson.dumps({"version": taxonomy.version, "topics": rows}).decode() + "\n"
        )
        return
    # Three columns, the rules under the definition: four left the definitions and rule ids
    # cut or folded in an 80-column terminal.
    table = Table(title=f"taxonomy {taxonomy.version}")
    table.add_column("topic", no_wrap=True)
    table.add_column("threshold", justify="right")
    table.add_column("definition, and its rules", ratio=1)
    for t in taxonomy.topics:
        rules = Text(f"rules: {', '.join(r.id for r in t.rules)}", style="dim")
        table.add_row(t.name, f"{t.threshold:g}", Text.assemble(t.definition, "\n", rules))
    out.print(table)


@taxonomy_app.command("explain")
def explain(
    text: Annotated[str, typer.Argument(help="the text to explain; '-' reads stdin")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    show_all: Annotated[
        bool, typer.Option("--all", help="also list topics no rule came near")
    ] = False,
) -> None:
    """Per topic: which rules fired or nearly fired, in which sentence, and the score against
    the threshold."""
    from processors.explain import explain_topics

    body = sys.stdin.read() if text == "-" else text
    enricher = _enricher(load_settings())
    doc = enricher.parse(body)
    explanations = explain_topics(doc, enricher.taxonomy, enricher.country_of)
    if not show_all:
        explanations = [e for e in explanations if e.assigned or e.traces]
    if as_json:
        rows = [e.__dict__ | {"traces": [t.__dict__ for t in e.traces]} for e in explanations]
        sys.stdout.write(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    if not explanations:
        out.print("no rule of any topic matched a term in this text")
    for e in explanations:
        verdict = "[green]ASSIGNED[/]" if e.assigned else "[yellow]not assigned[/]"
        why = []
        if e.excluded_by:
            why.append(f"excluded by {e.excluded_by!r}")
        if not e.context_ok:
            why.append("no context term in the text")
        out.print(
            f"[b]{e.topic}[/] {verdict}  score {e.score:g} / threshold {e.threshold:g}"
            + (f"  ({'; '.join(why)})" if why else "")
        )
        for t in e.traces:
            line = f"  {t.status:7} {t.rule} (+{t.weight:g}) matched {t.matched}"
            if t.missing:
                line += f", missing one of {t.missing}"
            if t.blocked_by:
                line += f", blocked by {t.blocked_by!r}"
            out.print(line, highlight=False)
            out.print(f"          [dim]{t.sentence[:160]}[/]", highlight=False)
