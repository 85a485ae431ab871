"""Import: users who already exist in an application, brought into the directory (issue 5).

``service.Imports`` is what the API, CLI and web UI call; ``runner.JobRunner`` runs the
background jobs inside the provisioning worker (or the CLI, showing progress).
"""

from .apply import ItemResult
from .jobs import ImportJob
from .matching import Candidate
from .runner import ImportSettings, JobRunner
from .service import IMMEDIATE_LIMIT, CandidatePage, ImportItem, Imports, ImportStarted

__all__ = [
    "IMMEDIATE_LIMIT",
    "Candidate",
    "CandidatePage",
    "ImportItem",
    "ImportJob",
    "ImportSettings",
    "ImportStarted",
    "Imports",
    "ItemResult",
    "JobRunner",
]
