"""How often the prompt validator is wrong, measured on real prompts.

    .venv/bin/python -m bench.prompt_corpus
    .venv/bin/python -m bench.prompt_corpus --root ../before      # another checkout's validator

Reads tests/data/prompt_corpus.json (prompts from public guides, which Midjourney accepts) and
tests/data/prompt_refusals.json (prompts Midjourney refuses) and prints the corpus size, the false
refusals (good prompts refused, the first few listed with the reason) and the false accepts.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path
from types import ModuleType

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"


def load_validator(module: str, root: str | None) -> ModuleType:
    """The validator module, from `root` (another checkout) when given."""
    if root:
        sys.path.insert(0, str(Path(root).resolve()))
        for name in [n for n in sys.modules if n == "bot" or n.startswith("bot.")]:
            del sys.modules[name]
    return importlib.import_module(module)


def refusal(validator: ModuleType, prompt: str) -> str | None:
    """Why the validator refuses `prompt` (its message key), None when it accepts it."""
    try:
        validator.parse_prompt(prompt)
    except validator.PromptError as err:
        return str(err.code)
    return None


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--validator", default="bot.prompt_params", help="module with parse_prompt, PromptError"
    )
    parser.add_argument("--root", help="import the validator from this checkout instead")
    parser.add_argument("--data", type=Path, default=DATA, help="folder with the two JSON files")
    parser.add_argument("--show", type=int, default=10, help="how many false refusals to list")
    args = parser.parse_args()
    validator = load_validator(args.validator, args.root)
    good = json.loads((args.data / "prompt_corpus.json").read_text(encoding="utf-8"))
    bad = json.loads((args.data / "prompt_refusals.json").read_text(encoding="utf-8"))
    refused = [(entry, why) for entry in good if (why := refusal(validator, entry["prompt"]))]
    accepted = [entry for entry in bad if refusal(validator, entry["prompt"]) is None]
    print(f"validator: {validator.__file__}")
    print(f"corpus: {len(good)} good prompts from {len({e['source'] for e in good})} sources, {len(bad)} bad")
    print(f"false refusals: {len(refused)}/{len(good)}")
    for entry, why in refused[: args.show]:
        print(f"  {why}: {entry['prompt'][:110]}")
    print(f"false accepts: {len(accepted)}/{len(bad)}")
    for entry in accepted[: args.show]:
        print(f"  ({entry['reason']}) {entry['prompt'][:110]}")


if __name__ == "__main__":
    main()
