"""The article inbox sensor: a file dropped into TPW_ARTICLES_DIR is ingested within a minute,
without waiting for the nightly run."""

import hashlib
from pathlib import Path

import dagster as dg

from orchestration.defs.resources import ArticlesResource
from orchestration.defs.schedules import articles_job


def inbox_fingerprint(folder: Path) -> str:
    """A digest of the inbox's file names, sizes and modification times."""
    digest = hashlib.sha256()
    if folder.is_dir():
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            stat = path.stat()
            digest.update(
                f"{path.relative_to(folder)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode()
            )
    return digest.hexdigest()[:16]


@dg.sensor(
    job=articles_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Starts articles_job when an inbox file is added, changed or removed.",
)
def article_inbox_sensor(
    context: dg.SensorEvaluationContext, articles: ArticlesResource
) -> dg.SensorResult | dg.SkipReason:
    # The folder the articles asset reads: the same resource, so the same setting.
    fingerprint = inbox_fingerprint(articles.folder())
    if fingerprint == context.cursor:
        return dg.SkipReason("the article inbox has not changed")
    return dg.SensorResult(run_requests=[dg.RunRequest(run_key=fingerprint)], cursor=fingerprint)
