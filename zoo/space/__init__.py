"""DeepZoo as a Hugging Face Space: what a Space needs from this repository, checked before anything is sent.

    python -m zoo deploy SPACE_ID --dry-run   # the files and sizes that would be uploaded, and every check
    python -m zoo deploy SPACE_ID             # create the Docker Space if missing, then upload (token + network)

- `repo`: the files a Space gets (the work tree less `SPACE_IGNORE`), which of them are binary and whether
  `.gitattributes` sends each through Git LFS (the Hub refuses binaries pushed as plain git objects);
- `card`: the README's front matter, checked against the Dockerfile (sdk, app_port, description, license, tags,
  models and datasets);
- `dockerfile`: the Dockerfile read as data (user, workdir, env, build steps, the exact CMD), shared by the
  checks here and by the Dockerfile rehearsal in CI (`tests/test_dockerfile.py`);
- `health`: the state of every artifact source the app reads (shipped weights, packaged weights, the
  introspection cache), reported by the server's /healthz beside its widgets.
"""

from __future__ import annotations

import argparse


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    from .deploy import run

    p = subparsers.add_parser("deploy", help="put DeepZoo on a Hugging Face Space (Docker SDK)")
    p.add_argument("space_id", metavar="SPACE_ID", help="owner/name of the Space, e.g. alice/deepzoo")
    p.add_argument("--dry-run", action="store_true", help="list what would be uploaded and check it; send nothing")
    p.add_argument("--private", action="store_true", help="create the Space private (when it does not exist yet)")
    p.set_defaults(func=run)
