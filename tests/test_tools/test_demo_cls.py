"""tools/demo_cls.py --quick end to end, into a temporary work dir."""
import json
import os.path as osp
import subprocess
import sys

from ..conftest import ROOT


def test_quick_demo_cls_writes_four_results(tmp_path):
    work_dir = tmp_path / 'demo_cls'
    result = subprocess.run(
        [
            sys.executable,
            osp.join(ROOT, 'tools', 'demo_cls.py'), '--quick', '--work-dir',
            str(work_dir)
        ],
        capture_output=True,
        text=True,
        timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]

    with open(work_dir / 'results.json') as f:
        results = json.load(f)
    assert set(results) == {'teacher', 'student', 'kd', 'kd_rlkd'}
    for name, run in results.items():
        assert set(run) == {'top1', 'train_seconds'}, name
        assert 0.0 <= run['top1'] <= 100.0, name
        assert run['train_seconds'] > 0, name
    # The students distilled from the checkpoint of the teacher run.
    assert (work_dir / 'teacher' / 'epoch_2.pth').is_file()
    # The RLKD run logged the agent's temperatures, inside its range.
    with open(work_dir / 'kd_rlkd' / 'rlkd_temperatures.json') as f:
        history = json.load(f)['history']
    assert history
    assert all(1.0 <= step['mean'] <= 10.0 for step in history)
    assert 'top-1 %' in result.stdout
