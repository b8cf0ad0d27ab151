import argparse
import json
import sys
import time

from . import recipes

parser = argparse.ArgumentParser(prog="python -m zoo.train", description="Reproduce DeepZoo's shipped weights")
parser.add_argument("recipe", nargs="?", help="recipe name (see --list)")
parser.add_argument("--list", action="store_true", help="list recipes")
args = parser.parse_args()
available = recipes()
if args.list or not args.recipe:
    for name, fn in available.items():
        print(f"{name:<20} {(fn.__doc__ or '').strip().splitlines()[0] if fn.__doc__ else ''}")
    sys.exit(0)
if args.recipe not in available:
    print(f"unknown recipe {args.recipe!r}; recipes: {', '.join(available)}", file=sys.stderr)
    sys.exit(2)
t0 = time.time()
result = available[args.recipe]()
print(json.dumps(result, indent=2, default=str))
print(f"done in {time.time() - t0:.1f} s")
