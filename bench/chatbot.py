"""Benchmark: the chatbot's understanding on held-out phrases, beside keyword overlap.

    .venv/bin/python bench/chatbot.py [--retune]

The phrases (tests/chat/heldout_phrases.txt, 200+ written for the default intents, with
typos, other wordings and out-of-scope questions) are never trained on. The classifier is
the one every workspace starts with (TF-IDF of words and character n-grams, logistic
regression, services/chat/classifier.py); the hand-over bars are the tuned ones
(services/chat/tuned.json; --retune runs the tuning again and rewrites the file).

Prints `intent_accuracy:` (in-scope phrases whose top intent is right),
`out_of_scope_recall:` (unrelated phrases the bot does not answer as if in scope: guessed
out of scope, or handed over as unsure), `escalation_precision:` (hand-overs that were
right: a person was wanted, or the answer would have been wrong), `classify_p95_ms:` (each phrase timed best of 5), and
the same figures for the keyword-overlap baseline as `baseline_*`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from webapp.services.chat import evaluation, tuning  # noqa: E402

PHRASES = REPO / "tests" / "chat" / "heldout_phrases.txt"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--retune", action="store_true", help="tune the hand-over bars again")
    args = parser.parse_args()
    if args.retune:
        tuning.write_tuned(tuning.tune())
        tuning.tuned.cache_clear()
    rows = evaluation.load_phrases(PHRASES)
    ours = evaluation.evaluate_default_model(rows)
    baseline = evaluation.evaluate(evaluation.keyword_baseline(), rows)
    chosen = tuning.tuned()
    print(f"phrases: {len(rows)}")
    print(f"threshold: {chosen.threshold}")
    print(f"gap: {chosen.gap}")
    for name, value in ours.items():
        print(f"{name}: {value:.3f}")
    for name, value in baseline.items():
        print(f"baseline_{name}: {value:.3f}")


if __name__ == "__main__":
    main()
