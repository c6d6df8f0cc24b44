#!/usr/bin/env bash
# The GPU check: one command for a CUDA machine with no network, printing one JSON line.
#
#   bash scripts/gpu_check.sh --prepare [--4bit]   # here, with network: fill .gpu-check/ (ignored by git)
#   bash scripts/gpu_check.sh                      # there, with .gpu-check/ carried beside the checkout
#
# There, python3 has torch and transformers but not the rest of glyph-web's packages (no reportlab, no
# freetype-py, no bitsandbytes, no gradio) and nothing can be fetched. --prepare therefore downloads the few
# small wheels the benchmark needs (for that machine's Python, 3.12 unless GPU_PYTHON=3.x) and copies the
# document (case3.txt, 25 pages) into .gpu-check/. There they are unpacked into a temporary folder on
# PYTHONPATH (nothing is installed), and scripts/bench_generate.py --synthetic-full runs: GLM-4.1V-9B's shape
# with random bf16 weights, first and follow-up time to first token, decode tokens/s and peak GPU memory; then
# the same in 4-bit NF4 when bitsandbytes can be imported (--prepare --4bit carries it: 43 MB, so the
# transformers wheel stays behind then and the machine's own is used). Under 8 minutes on an H100/H200.
#
# GLYPH_GPU_CHECK_CPU=1 runs the same steps with the tiny model on a CPU: the check of this script itself.
set -uo pipefail
cd "$(dirname "$0")/.."
DIR=.gpu-check
PY=${PYTHON:-python3}

if [ "${1:-}" = "--prepare" ]; then
    set -e
    want_4bit=0
    [ "${2:-}" = "--4bit" ] && want_4bit=1
    version=${GPU_PYTHON:-3.12}
    doc=${GPU_CHECK_DOC:-../shared/glyph-reference/case3.txt}
    [ -f "$doc" ] || { echo "gpu_check: $doc is missing (set GPU_CHECK_DOC)" >&2; exit 2; }
    local_py=.venv/bin/python
    [ -x "$local_py" ] || local_py=$PY
    # the versions this checkout is tested with, where it has them
    pinned() { "$local_py" -c "import importlib.metadata as m, sys; print(sys.argv[1] + '==' + m.version(sys.argv[1]))" "$1" 2>/dev/null || echo "$1"; }
    packages=("$(pinned reportlab)" "$(pinned freetype-py)" "$(pinned pypdf)" "$(pinned isal)")
    if [ $want_4bit -eq 1 ]; then packages+=("$(pinned bitsandbytes)"); else packages+=("$(pinned transformers)"); fi
    rm -rf "$DIR" && mkdir -p "$DIR/wheels"
    cp "$doc" "$DIR/"
    for spec in "${packages[@]}"; do
        "$local_py" -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
            --python-version "$version" --implementation cp --platform manylinux_2_28_x86_64 \
            --platform manylinux_2_24_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
            --platform manylinux1_x86_64 -d "$DIR/wheels" "$spec" 2>&1 | grep -v "^WARNING: Location" || true
    done
    ls "$DIR/wheels"
    total=$(( $(du -sb "$DIR" | cut -f1) + $(git ls-files -z | xargs -0 du -cb | tail -1 | cut -f1) ))
    echo "gpu_check: .gpu-check/ and the checkout: $((total / 1048576)) MiB travel (the device takes 64 MiB)" >&2
    [ $total -lt $((64 * 1048576)) ] || { echo "gpu_check: too large to carry" >&2; exit 2; }
    exit 0
fi

site=$(mktemp -d /tmp/glyph-gpu-site-XXXX)
trap 'rm -rf "$site" "$site.log"' EXIT
if ls "$DIR"/wheels/*.whl >/dev/null 2>&1; then
    if ! "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target "$site" \
            "$DIR"/wheels/*.whl >"$site.log" 2>&1; then
        echo "{\"error\": \"unpacking the carried wheels failed\", \"log\": $("$PY" -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()[-800:]))' "$site.log")}"
        exit 1
    fi
fi
export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
doc=$DIR/case3.txt
[ -f "$doc" ] || doc=../shared/glyph-reference/case3.txt

run_bench() {  # $1: a name for the JSON; the rest: bench_generate arguments. Prints one JSON value.
    local name=$1 out err
    shift
    err=$(mktemp)
    out=$(timeout "${BENCH_TIMEOUT_S:-210}" "$PY" scripts/bench_generate.py --doc "$doc" --json "$@" 2>"$err" | tail -n 1)
    local rc=$?
    if [ $rc -ne 0 ] || [ -z "$out" ]; then
        out=$("$PY" -c 'import json,sys; print(json.dumps({"error": f"exit {sys.argv[1]}", "stderr": open(sys.argv[2]).read()[-1200:]}))' "$rc" "$err")
    fi
    rm -f "$err"
    printf '"%s": %s' "$name" "$out"
}

if [ "${GLYPH_GPU_CHECK_CPU:-0}" = "1" ]; then
    model_args=(--model tiny --max-new-tokens 8 --repeats 1)
else
    model_args=(--synthetic-full --max-new-tokens 64 --repeats 3)
fi
env_json=$("$PY" - <<'EOF'
import json, platform
info = {"python": platform.python_version()}
try:
    import torch, transformers
    info.update(torch=torch.__version__, transformers=transformers.__version__, cuda=torch.cuda.is_available(),
                gpu=torch.cuda.get_device_name(0) if torch.cuda.is_available() else None)
except Exception as exc:  # reported, not fatal: the bench run below says what failed
    info["import_error"] = f"{type(exc).__name__}: {exc}"
print(json.dumps(info))
EOF
)
parts=("\"environment\": $env_json" "$(run_bench bf16 "${model_args[@]}")")
if "$PY" -c "import bitsandbytes" >/dev/null 2>&1; then
    parts+=("$(run_bench nf4 "${model_args[@]}" --load-in-4bit)")
else
    parts+=('"nf4": {"skipped": "bitsandbytes cannot be imported here (carry it: scripts/gpu_check.sh --prepare --4bit)"}')
fi
(IFS=,; echo "{${parts[*]}}")
