"""Classifying customer requests into CSP activities, `out-of-scope` or `triage`.

The classifier is pure (`classify`, `evaluate`); reading the rules and labelled sets are the only
I/O (`load_classification_rules`, `read_labelled`, `read_requests`).
"""

from csp_jira_sync.classify.classifier import (
    OUT_OF_SCOPE_LABEL,
    TRIAGE_LABEL,
    Candidate,
    Classification,
    Classifier,
    Evidence,
    RequestClassifier,
    classify,
)
from csp_jira_sync.classify.compiled import CompiledRules, compile_rules
from csp_jira_sync.classify.dataset import (
    LabelledRequest,
    RequestText,
    read_labelled,
    read_requests,
)
from csp_jira_sync.classify.evaluate import Evaluation, Miss, Tally, evaluate
from csp_jira_sync.classify.loading import RULES_FILE, load_classification_rules
from csp_jira_sync.classify.rules import ClassificationRules

__all__ = [
    "OUT_OF_SCOPE_LABEL",
    "RULES_FILE",
    "TRIAGE_LABEL",
    "Candidate",
    "Classification",
    "ClassificationRules",
    "Classifier",
    "CompiledRules",
    "Evaluation",
    "Evidence",
    "LabelledRequest",
    "Miss",
    "RequestClassifier",
    "RequestText",
    "Tally",
    "classify",
    "compile_rules",
    "evaluate",
    "load_classification_rules",
    "read_labelled",
    "read_requests",
]
