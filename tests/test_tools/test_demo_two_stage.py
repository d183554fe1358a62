import json
import os.path as osp
import subprocess
import sys

from ..conftest import ROOT


def test_quick_two_stage_demo_writes_results(tmp_path):
    work_dir = tmp_path / 'demo_two_stage'
    result = subprocess.run(
        [
            sys.executable,
            osp.join(ROOT, 'tools', 'demo_two_stage.py'), '--quick',
            '--work-dir',
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
    assert set(results) == {'teacher', 'student', 'kd', 'kd_rlkd'}
    for name, run in results.items():
        assert 0.0 <= run['bbox_mAP'] <= 1.0, name
        assert 0.0 <= run['bbox_mAP_50'] <= 1.0, name
        assert run['train_seconds'] > 0, name
        assert run['iter_time'] > 0, name

    # The distillers logged their KD term, and the RLKD run its agent.
    kd_log = (work_dir / 'kd').rglob('*.log')
    assert any('loss_kd_roi' in p.read_text() for p in kd_log)
    rlkd_history = work_dir / 'kd_rlkd' / 'rlkd_temperatures.json'
    with open(rlkd_history) as f:
        history = json.load(f)['history']
    assert len(history) > 0
    assert 'bbox_mAP' in result.stdout
