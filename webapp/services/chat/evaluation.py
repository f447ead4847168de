"""How well the bot understands: its figures on a labelled phrase set, beside a keyword
overlap baseline (bench/chatbot.py prints them; tests/chat/test_classifier.py holds them to
their bars). The decisions are the bot's own (bot.py): hand-over for a person asked for or
a complaint, or for an in-scope guess under the tuned bars."""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from webapp.services.chat.classifier import Guess, classify, normalise, train
from webapp.services.chat.defaults import DEFAULT_INTENTS
from webapp.services.chat.tuning import default_examples, escalates, escalating_intents, tuned

OUT_OF_SCOPE = "out_of_scope"
_WORD = re.compile(r"[a-z0-9']+")


def load_phrases(path: Path) -> list[tuple[str, str]]:
    """(intent, phrase) rows of a tab-separated file; # starts a comment."""
    rows = []
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            intent, phrase = line.split("\t", 1)
            rows.append((intent.strip(), phrase.strip()))
    return rows


def keyword_baseline() -> Callable[[str], Guess]:
    """The simple alternative: the intent sharing most words with the phrase (out of scope
    when none shares any), confidence the share of the phrase's words matched."""
    vocab: dict[str, set[str]] = {}
    for phrase, name in default_examples():
        if name != OUT_OF_SCOPE:
            vocab.setdefault(name, set()).update(_WORD.findall(normalise(phrase)))

    def guess(text: str) -> Guess:
        words = set(_WORD.findall(normalise(text)))
        scores = sorted(((len(words & v), n) for n, v in vocab.items()), reverse=True)
        (top, name), (second, _) = scores[0], scores[1]
        if top == 0:
            return Guess(OUT_OF_SCOPE, 1.0, None, 1.0)
        share = top / max(1, len(words))
        return Guess(name, share, None, (top - second) / max(1, len(words)))

    return guess


def _best_ms(guess: Callable[[str], Guess], phrase: str, tries: int = 5) -> float:
    """The phrase's classification time, best of `tries`: on a shared machine a single
    timing measures the scheduler as much as the classifier."""
    best = float("inf")
    for _ in range(tries):
        started = time.perf_counter()
        guess(phrase)
        best = min(best, (time.perf_counter() - started) * 1000)
    return best


def evaluate(guess: Callable[[str], Guess], rows: list[tuple[str, str]]) -> dict[str, float]:
    values = tuned()
    handover = escalating_intents()
    in_scope = correct = oos = oos_caught = escalated = escalated_right = 0
    timings = []
    for truth, phrase in rows:
        timings.append(_best_ms(guess, phrase))
        g = guess(phrase)
        unsure = g.intent != OUT_OF_SCOPE and escalates(g, values.threshold, values.gap)
        hands_over = g.intent in handover or unsure
        if truth == OUT_OF_SCOPE:
            oos += 1
            oos_caught += g.intent == OUT_OF_SCOPE or unsure
        else:
            in_scope += 1
            correct += g.intent == truth
        if hands_over:
            escalated += 1
            # right when a person was wanted, or the bot's answer would have been wrong
            escalated_right += truth in handover or g.intent != truth
    return {
        "intent_accuracy": correct / in_scope,
        "out_of_scope_recall": oos_caught / oos,
        "escalation_precision": escalated_right / escalated if escalated else 0.0,
        "escalation_rate": escalated / len(rows),
        "classify_p95_ms": statistics.quantiles(timings, n=20)[18],
    }


def evaluate_default_model(rows: list[tuple[str, str]]) -> dict[str, float]:
    model = train(default_examples())
    classify(model, "warm up")
    return evaluate(lambda text: classify(model, text), rows)


def intent_names() -> set[str]:
    return {i["name"] for i in DEFAULT_INTENTS}
