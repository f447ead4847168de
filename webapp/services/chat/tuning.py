"""The hand-over thresholds, tuned on held-out phrases rather than guessed.

`tune` cross-validates the classifier over the default intents' phrases (each phrase is
classified by a model that never saw it), then picks the confidence threshold and the gap
to the runner-up that cost least, where a wrong answer costs 1 and a needless hand-over
(the bot would have answered right) 0.5: a visitor told something wrong is worse off than
one who waits for a person. `bench/chatbot.py` and the tests run it; the chosen values
and the reason live in tuned.json beside this module, read by the bot.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from webapp.services.chat.classifier import Guess, classify, train
from webapp.services.chat.defaults import DEFAULT_INTENTS

TUNED_FILE = Path(__file__).with_name("tuned.json")
WRONG_ANSWER_COST = 1.0
NEEDLESS_HANDOVER_COST = 0.5
THRESHOLDS = [round(0.05 * i, 2) for i in range(1, 17)]  # 0.05 … 0.80
GAPS = [round(0.02 * i, 2) for i in range(0, 11)]  # 0 … 0.20
ESCALATING_ROLES = ("handover", "complaint")


@dataclass(frozen=True)
class Tuned:
    threshold: float
    gap: float
    reason: str


def escalating_intents() -> set[str]:
    return {i["name"] for i in DEFAULT_INTENTS if i.get("role") in ESCALATING_ROLES}


def default_examples() -> list[tuple[str, str]]:
    return [(p, i["name"]) for i in DEFAULT_INTENTS for p in i["phrases"]]


def held_out_guesses(examples: list[tuple[str, str]], folds: int = 3) -> list[tuple[str, Guess]]:
    """(true intent, guess) for every phrase, each guessed by a model trained without it."""
    from sklearn.model_selection import StratifiedKFold

    texts = [t for t, _ in examples]
    labels = [label for _, label in examples]
    out: list[tuple[str, Guess]] = []
    for fit, held in StratifiedKFold(folds, shuffle=True, random_state=7).split(texts, labels):
        model = train([examples[i] for i in fit])
        out.extend((labels[i], classify(model, texts[i])) for i in held)
    return out


def escalates(guess: Guess, threshold: float, gap: float) -> bool:
    return guess.confidence < threshold or guess.gap < gap


def cost(guesses: list[tuple[str, Guess]], threshold: float, gap: float) -> float:
    total = 0.0
    escalating = escalating_intents()
    for truth, guess in guesses:
        if escalates(guess, threshold, gap):
            if guess.intent == truth and truth not in escalating:
                total += NEEDLESS_HANDOVER_COST
        elif guess.intent != truth:
            total += WRONG_ANSWER_COST
    return total


def tune() -> Tuned:
    guesses = held_out_guesses(default_examples())
    best = min(
        ((cost(guesses, t, g), t, g) for t in THRESHOLDS for g in GAPS),
        key=lambda c: (c[0], c[1], c[2]),  # equal cost: the lower bar (fewer hand-overs)
    )
    never = cost(guesses, 0.0, 0.0)
    reason = (
        f"3-fold cross-validation over the {len(guesses)} default training phrases: cost "
        f"{best[0]:.1f} (wrong answer 1, needless hand-over 0.5) against {never:.1f} when "
        f"never handing over; lowest over thresholds {THRESHOLDS[0]}-{THRESHOLDS[-1]} and "
        f"gaps {GAPS[0]}-{GAPS[-1]}."
    )
    return Tuned(best[1], best[2], reason)


def write_tuned(tuned: Tuned) -> None:
    TUNED_FILE.write_text(json.dumps(tuned.__dict__, indent=2) + "\n")


@cache
def tuned() -> Tuned:
    return Tuned(**json.loads(TUNED_FILE.read_text()))
