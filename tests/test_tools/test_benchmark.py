"""Tests of tools/benchmark.py."""
import json
import os.path as osp
import subprocess
import sys

import pytest

from ..conftest import ROOT, load_tool

SOURCES = {'fixed', 'ctkd', 'ls', 'rlkd', 'rlkd_kd_weight'}


def load_benchmark():
    return load_tool('benchmark')


def test_phases_follow_paper_proportions():
    benchmark = load_benchmark()
    phases = benchmark.make_phases(100)
    assert phases.count('warmup') == 5
    assert phases.count('training') == 5
    assert phases.count('acting') == 90
    assert phases[:5] == ['warmup'] * 5
    assert phases[-5:] == ['training'] * 5


def test_phases_short_run_minimums():
    benchmark = load_benchmark()
    phases = benchmark.make_phases(4)
    assert phases == ['warmup', 'acting', 'training', 'training']
    with pytest.raises(ValueError, match='3 steps leave no acting phase'):
        benchmark.make_phases(3)


def test_quick_benchmark_writes_ratios(tmp_path, digits_coco):
    work_dir = tmp_path / 'benchmark'
    result = subprocess.run(
        [
            sys.executable,
            osp.join(ROOT, 'tools', 'benchmark.py'), '--quick', '--steps',
            '4', '--memory-steps', '4', '--work-dir',
            str(work_dir), '--data-root', digits_coco
        ],
        capture_output=True,
        text=True,
        timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[
        -3000:]
    with open(work_dir / 'overhead.json') as f:
        overhead = json.load(f)
    assert set(overhead) == {'detection', 'classification'}
    for task, sources in overhead.items():
        assert set(sources) == SOURCES, task
        assert sources['fixed']['step_time_ratio'] == 1.0
        assert sources['fixed']['peak_mem_ratio'] == 1.0
        for source, entry in sources.items():
            assert entry['step_time_ratio'] > 0, (task, source)
            assert entry['peak_mem_ratio'] > 0, (task, source)
        for source in ('rlkd', 'rlkd_kd_weight'):
            entry = sources[source]
            # 4 timed + 1 untimed steps act after the warm-up step.
            assert entry['agent_act_calls'] == 4, (task, source)
            assert entry['agent_update_calls'] >= 1, (task, source)
        assert 'agent_act_calls' not in sources['fixed']

    with open(work_dir / 'overhead_meta.json') as f:
        meta = json.load(f)
    assert meta['schedule']['detection']['phase_steps'] == dict(
        warmup=1, acting=1, training=2)
    assert 'detection' in result.stdout
    assert 'rlkd_kd_weight' in result.stdout


def test_allocated_peak_counts_live_tensors():
    import torch
    benchmark = load_benchmark()
    size = 4 * 2**20
    live_buffers = []

    def run():
        # Two buffers live at once, then one is freed and a third made:
        # the peak is two buffers, not the three allocated in total.
        first = torch.ones(size // 4, dtype=torch.float32)
        second = torch.ones(size // 4, dtype=torch.float32)
        del first
        third = torch.ones(size // 4, dtype=torch.float32)
        live_buffers.extend([second, third])

    peak = benchmark.allocated_peak(run)
    assert 2 * size <= peak < 3 * size


def test_allocated_peak_ignores_memory_held_before():
    import torch
    benchmark = load_benchmark()
    earlier_buffer = torch.ones(2**20)  # noqa: F841, 4 MiB before the run

    def run():
        torch.ones(2**18)  # 1 MiB

    peak = benchmark.allocated_peak(run)
    assert 2**20 <= peak < 2**21


@pytest.mark.parametrize('argv, message', [
    (['--steps', '3'], 'use at least 4'),
    (['--memory-steps', '2'], 'at least 4, got 2'),
    (['--warmup-steps', '-1'], 'got -1'),
    (['--jobs', '0'], '--jobs must be at least 1, got 0'),
])
def test_invalid_arguments_rejected(argv, message):
    benchmark = load_benchmark()
    with pytest.raises(SystemExit, match=message):
        benchmark.parse_args(argv)


def test_quick_memory_probe_includes_adam_moments():
    benchmark = load_benchmark()
    import rlkd_mmdet.cls  # noqa: F401
    import rlkd_mmdet.engine  # noqa: F401
    import rlkd_mmdet.models  # noqa: F401
    from mmdet.utils import register_all_modules
    register_all_modules()
    steps = benchmark.parse_args(['--quick']).memory_steps
    fixed = benchmark.probe_memory('classification', 'fixed', steps,
                                   'unused')
    rlkd = benchmark.probe_memory('classification', 'rlkd', steps, 'unused')
    variant = benchmark.Variant('classification', 'rlkd', 'unused', 1)
    num_params = sum(p.numel() for p in variant.agent.policy.parameters())
    # The policy's two Adam moments live on after the first PPO update, so
    # a later step's peak includes them.
    extra = rlkd['peak_mem_bytes'] - fixed['peak_mem_bytes']
    assert extra >= 2 * 4 * num_params


def test_dead_memory_probe_raises(monkeypatch):
    import os
    benchmark = load_benchmark()

    def die(*args):
        os._exit(3)

    # The forked child runs the replaced function and exits at once.
    monkeypatch.setattr(benchmark, '_probe_child', die)
    with pytest.raises(RuntimeError, match='exited with code 3'):
        benchmark.measure_memory(['classification'], 4, 'unused', jobs=1)


def test_foreign_data_root_rejected(tmp_path):
    benchmark = load_benchmark()
    (tmp_path / 'train2017').mkdir()
    with pytest.raises(SystemExit, match='invalid --data-root: .*train2017'):
        benchmark.ensure_detection_data(str(tmp_path))
    assert [p.name for p in tmp_path.iterdir()] == ['train2017']
