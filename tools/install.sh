#!/usr/bin/env bash
# Install what is missing from requirements.txt, then this package in
# editable mode. Running it twice installs nothing the second time.
#
# mmcv 2.1.0 has no wheel for this Python/torch, so it is built from source
# once (about 15 minutes on 2 cores) and the wheel is kept in
# $RLKD_WHEEL_CACHE (default ~/.cache/rlkd-mmdet/wheels) for later installs.
set -euo pipefail

PYTHON=${PYTHON:-python3}
WHEEL_CACHE=${RLKD_WHEEL_CACHE:-$HOME/.cache/rlkd-mmdet/wheels}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

pip_install() {
    PIP_ROOT_USER_ACTION=ignore "$PYTHON" -m pip install \
        --disable-pip-version-check -q "$@"
}

has_version() {  # has_version MODULE VERSION
    "$PYTHON" - "$1" "$2" <<'PY' 2>/dev/null
import importlib, sys
module = importlib.import_module(sys.argv[1])
sys.exit(module.__version__.split('+')[0] != sys.argv[2])
PY
}

if ! has_version torch 2.13.0; then
    echo "[install] torch 2.13.0"
    pip_install torch==2.13.0
fi

# mmcv's build needs setuptools < 70 and the installed torch.
if ! "$PYTHON" -c "import setuptools, sys; sys.exit(int(setuptools.__version__.split('.')[0]) >= 70)"; then
    echo "[install] setuptools<70"
    pip_install "setuptools<70"
fi

if ! has_version mmcv 2.1.0 || ! "$PYTHON" -c "import mmcv.ops" 2>/dev/null; then
    mkdir -p "$WHEEL_CACHE"
    if ! ls "$WHEEL_CACHE"/mmcv-2.1.0-*.whl >/dev/null 2>&1; then
        echo "[install] building mmcv 2.1.0 with CPU ops (about 15 minutes)"
        pip_install wheel ninja psutil "numpy==1.26.4"
        MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-2} "$PYTHON" -m pip wheel \
            --disable-pip-version-check --no-deps --no-build-isolation \
            mmcv==2.1.0 -w "$WHEEL_CACHE"
    fi
    echo "[install] mmcv 2.1.0 from $WHEEL_CACHE"
    pip_install --no-deps "$WHEEL_CACHE"/mmcv-2.1.0-*.whl
fi

if ! "$PYTHON" - <<'PY' 2>/dev/null
import importlib.metadata as metadata
import sys
for line in open('requirements.txt'):
    line = line.split('#')[0].strip()
    if line:
        name, version = line.split('==')
        if metadata.version(name).split('+')[0] != version:
            sys.exit(1)
PY
then
    echo "[install] requirements.txt"
    pip_install --find-links "$WHEEL_CACHE" -r requirements.txt
fi

installed=$(cd / && "$PYTHON" -c "import rlkd_mmdet, os; print(os.path.dirname(os.path.dirname(os.path.abspath(rlkd_mmdet.__file__))))" 2>/dev/null || true)
if [ "$installed" != "$ROOT" ]; then
    echo "[install] rlkd-mmdet (editable) from $ROOT"
    pip_install --no-deps --no-build-isolation -e "$ROOT"
fi
echo "[install] environment ready"
