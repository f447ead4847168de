"""The intent classifier: TF-IDF of words and of character n-grams (typos still share most
of their n-grams), logistic regression on top. One per workspace, trained on its intents'
phrases, pickled in `chat_models` keyed by the hash of those intents and kept in memory per
process; a stale or missing model is retrained on first use.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import re
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import ChatIntent, ChatModel

if TYPE_CHECKING:  # scikit-learn is imported where a model is built or used: it is 110 MB
    # of memory that every process (a mail worker, a page) would carry otherwise
    from sklearn.pipeline import Pipeline

_SPACES = re.compile(r"\s+")
_CACHE: dict[tuple[int, str], Pipeline] = {}  # (org, intents hash) → model, this process
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Guess:
    intent: str
    confidence: float
    runner_up: str | None
    gap: float  # top probability minus the second's


def normalise(text: str) -> str:
    return _SPACES.sub(" ", text.lower()).strip()


def build_pipeline() -> Pipeline:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    return Pipeline(
        [
            (
                "features",
                FeatureUnion(
                    [
                        ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
                        (
                            "chars",
                            TfidfVectorizer(
                                analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True
                            ),
                        ),
                    ]
                ),
            ),
            ("model", LogisticRegression(C=20.0, max_iter=2000)),
        ]
    )


def train(examples: list[tuple[str, str]]) -> Pipeline:
    """A model fitted on (phrase, intent name) pairs (at least two intents)."""
    from threadpoolctl import threadpool_limits

    pipeline = build_pipeline()
    # One BLAS thread: on a busy machine several threads each fight for the cores and a
    # 0.3 s fit takes 10 s.
    with threadpool_limits(limits=1):
        pipeline.fit([normalise(p) for p, _ in examples], [name for _, name in examples])
    return pipeline


def classify(pipeline: Pipeline, text: str) -> Guess:
    """The top intent, its probability and the gap to the runner-up. The pipeline's parts
    are applied by hand (the same numbers as predict_proba, a multinomial softmax, checked
    by tests/chat/test_classifier.py): the Pipeline's per-call checks cost 8x the work."""
    import numpy as np
    from scipy import sparse

    union = pipeline.named_steps["features"]
    model = pipeline.named_steps["model"]
    doc = [normalise(text)]
    features = sparse.hstack([t.transform(doc) for _, t in union.transformer_list]).tocsr()
    scores = np.asarray(features @ model.coef_.T).ravel() + model.intercept_
    exp = np.exp(scores - scores.max())
    probabilities = exp / exp.sum()
    order = probabilities.argsort()[::-1]
    labels = model.classes_
    top = float(probabilities[order[0]])
    second = float(probabilities[order[1]]) if len(order) > 1 else 0.0
    return Guess(
        intent=str(labels[order[0]]),
        confidence=top,
        runner_up=str(labels[order[1]]) if len(order) > 1 else None,
        gap=top - second,
    )


def examples_of(intents: list[ChatIntent]) -> list[tuple[str, str]]:
    return [(phrase, i.name) for i in intents for phrase in i.training_phrases if phrase.strip()]


def intents_hash(intents: list[ChatIntent]) -> str:
    data = sorted((i.name, sorted(i.training_phrases)) for i in intents)
    return hashlib.sha256(json.dumps(data).encode()).hexdigest()


def workspace_model(session: Session, org_id: int, *, now: datetime) -> Pipeline | None:
    """The workspace's model for its current intents (None with fewer than two intents):
    from this process's memory, else the stored pickle, else trained now and stored."""
    intents = list(session.scalars(select(ChatIntent).where(ChatIntent.org_id == org_id)))
    if len({i.name for i in intents if i.training_phrases}) < 2:
        return None
    key = (org_id, intents_hash(intents))
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
    stored = session.scalars(select(ChatModel).where(ChatModel.org_id == org_id)).one_or_none()
    if stored is not None and stored.intents_hash == key[1]:
        pipeline = pickle.loads(stored.model)
    else:
        pipeline = train(examples_of(intents))
        blob = pickle.dumps(pipeline)
        if stored is None:
            session.add(ChatModel(org_id=org_id, intents_hash=key[1], model=blob, trained_at=now))
        else:
            stored.intents_hash, stored.model, stored.trained_at = key[1], blob, now
        session.flush()
    with _LOCK:
        for old in [k for k in _CACHE if k[0] == org_id]:
            del _CACHE[old]
        _CACHE[key] = pipeline
    return pipeline
