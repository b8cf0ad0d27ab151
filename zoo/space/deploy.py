"""`python -m zoo deploy SPACE_ID [--dry-run]`: check, list and upload DeepZoo to a Docker Space.

The upload is `huggingface_hub.upload_folder` with exactly the listed files (`repo.space_files`); the library
sends large and binary files through the Hub's large-file storage itself. Remote files that are no longer in
the listing are deleted in the same commit, so the Space mirrors this tree (the Hub keeps its .gitattributes).
"""

from __future__ import annotations

import argparse
import sys

from . import card, repo

NO_TOKEN = (
    "error: deploying needs a Hugging Face token with write access: run `hf auth login`, or set HF_TOKEN "
    "(create one at Settings → Access Tokens on huggingface.co). `--dry-run` needs neither token nor network."
)


def problems(files: list[repo.SpaceFile]) -> list[str]:
    """Everything that would make the Space fail or be refused, found offline."""
    out = [str(p) for p in card.check()]
    out += [f"{f.path}: binary but not tracked by Git LFS (add a pattern to .gitattributes)"
            for f in files if f.binary and f.lfs is False]
    if "Dockerfile" not in {f.path for f in files}:
        out.append("Dockerfile: missing from the upload (a Docker Space builds from it)")
    return out


def print_listing(files: list[repo.SpaceFile], out=None) -> None:
    out = out or sys.stdout
    width = max((len(f.path) for f in files), default=0)
    for f in files:
        how = " LFS" if f.lfs else (" binary" if f.binary else "")
        print(f"  {f.path:<{width}}  {repo.human_size(f.size):>10}{how}", file=out)
    binaries = [f for f in files if f.binary]
    print(f"{len(files)} files, {repo.human_size(sum(f.size for f in files))}; "
          f"{len(binaries)} binary ({repo.human_size(sum(f.size for f in binaries))}) through Git LFS", file=out)
    if any(f.lfs is None for f in files):
        print("note: not a git work tree, so Git LFS coverage was not checked", file=out)


def run(args: argparse.Namespace) -> int:
    if not card.REPO_ID.match(args.space_id):
        print(f"error: SPACE_ID must look like owner/name (e.g. alice/deepzoo), not {args.space_id!r}", file=sys.stderr)
        return 2
    files = repo.inventory()
    print(f"{'Would upload' if args.dry_run else 'Uploading'} to https://huggingface.co/spaces/{args.space_id} "
          f"(Docker SDK), ignoring {', '.join(repo.SPACE_IGNORE[:4])}, caches and logs:")
    print_listing(files)
    found = problems(files)
    for p in found:
        print(f"problem: {p}", file=sys.stderr)
    if found:
        print(f"{len(found)} problem(s): fix them before deploying", file=sys.stderr)
        return 1
    print("front matter and Git LFS checks passed")
    if args.dry_run:
        print("dry run: nothing was sent")
        return 0
    return _upload(args, [f.path for f in files])


def _upload(args: argparse.Namespace, paths: list[str]) -> int:
    from huggingface_hub import HfApi, constants, get_token
    from huggingface_hub.errors import RepositoryNotFoundError

    if constants.HF_HUB_OFFLINE:
        print("error: HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) is set, so the Hub cannot be reached: unset it to deploy",
              file=sys.stderr)
        return 2
    token = get_token()
    if not token:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    api = HfApi(token=token)
    try:
        user = api.whoami()["name"]
    except Exception as e:  # noqa: BLE001 — refused token, no route, DNS, TLS: each one is said, none is a traceback
        print(f"error: cannot reach the Hugging Face Hub or the token was refused ({type(e).__name__}: {e})",
              file=sys.stderr)
        return 2
    missing = []
    for kind, ids in card.hub_links(card.front_matter()).items():
        info = api.model_info if kind == "models" else api.dataset_info
        for repo_id in ids:
            try:
                info(repo_id)
            except RepositoryNotFoundError:
                missing.append(f"{kind}: {repo_id} does not exist on the Hub")
    if missing:
        print("\n".join(f"problem: {m}" for m in missing), file=sys.stderr)
        return 1
    url = api.create_repo(args.space_id, repo_type="space", space_sdk="docker", exist_ok=True, private=args.private)
    commit = api.upload_folder(
        repo_id=args.space_id,
        repo_type="space",
        folder_path=repo.ROOT,
        allow_patterns=repo.as_allow_patterns(paths),
        delete_patterns=["*"],  # files gone from this tree go from the Space too (never its .gitattributes)
        commit_message=f"Deploy DeepZoo ({len(paths)} files) with python -m zoo deploy",
    )
    print(f"uploaded as {user}: {commit.commit_url}")
    print(f"the Space builds the image now (several minutes: it installs torch and pre-builds every model page): {url}")
    return 0

