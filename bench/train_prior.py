"""Train the shipped prior on every curator week and write it as JSON into the package.

    .venv/bin/python bench/train_prior.py            # writes src/newsletter/selection/prior.json
    .venv/bin/python bench/train_prior.py --check    # exit 1 if the shipped file differs

The settings (which words, how much regularisation) are chosen by 5-fold cross-validation
over the 23 curator weeks (bench/curators/), then the prior is trained on all of them. The
editor's week 2024-11-25 and the test week 2024-12-02 are not in that data: they are never
trained or tuned on. Deterministic: the same data and code write the same bytes.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from newsletter.selection import prior_fit
from newsletter.selection.prior import PRIOR_FILE, Prior

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.support.curators: the curator weeks

from tests.support.curators import curator_weeks  # noqa: E402


def trained() -> Prior:
    weeks = [prior_fit.Week.of(str(w.start), w.papers, w.picks) for w in curator_weeks()]
    return prior_fit.fit(weeks, prior_fit.choose(weeks), check=True)


def dumps(prior: Prior) -> str:
    """The prior as JSON, one word a line so that a retrained file diffs readably."""
    data: dict[str, Any] = prior.to_json()
    words = data.pop("words")
    head = json.dumps(data, indent=1, ensure_ascii=False)[:-2]  # drop the closing "\n}"
    lines = [f"  {json.dumps(w)}: {json.dumps(v, sort_keys=True)}" for w, v in words.items()]
    return head + ',\n "words": {\n' + ",\n".join(lines) + "\n }\n}\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the shipped file")
    parser.add_argument("--out", type=Path, default=PRIOR_FILE)
    args = parser.parse_args()
    started = time.monotonic()
    prior = trained()
    text = dumps(prior)
    assert Prior.from_json(json.loads(text)) == prior
    settings = prior.trained_on["settings"]
    print(
        f"trained on {len(prior.trained_on['weeks'])} weeks, {prior.trained_on['papers']} papers, "
        f"{prior.trained_on['picks']} picks; words {settings['text']}, C {settings['C']}; "
        f"{len(prior.words)} words; {len(text.encode()):,} bytes; "
        f"{time.monotonic() - started:.0f} s"
    )
    if args.check:
        same = args.out.exists() and args.out.read_text(encoding="utf-8") == text
        print(f"{args.out}: {'the same' if same else 'DIFFERENT: run without --check'}")
        sys.exit(0 if same else 1)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
