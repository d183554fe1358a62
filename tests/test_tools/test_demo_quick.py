import json
import os.path as osp
import subprocess
import sys

from ..conftest import ROOT


def test_quick_demo_writes_four_results(tmp_path):
    work_dir = tmp_path / 'demo'
    result = subprocess.run(
        [
            sys.executable,
            osp.join(ROOT, 'tools', 'demo.py'), '--quick', '--work-dir',
            str(work_dir), '--data-root',
            str(tmp_path / 'data')
        ],
        capture_output=True,
        text=True,
        timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[
        -3000:]
    with open(work_dir / 'results.json') as f:
        results = json.load(f)
    assert set(results) == {'teacher', 'student', 'ld', 'ld_rlkd'}
    for name, run in results.items():
        assert 0.0 <= run['bbox_mAP'] <= 1.0, name
        assert 0.0 <= run['bbox_mAP_50'] <= 1.0, name
        assert run['train_seconds'] > 0, name
    assert (work_dir / 'temperature.png').stat().st_size > 0
