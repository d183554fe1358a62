"""Tests of tools/benchmark.py."""
import json
import os.path as osp
import subprocess
import sys

import pytest

from ..conftest import ROOT

SOURCES = {'fixed', 'ctkd', 'ls', 'rlkd', 'rlkd_kd_weight'}


def load_benchmark():
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'benchmark_tool', osp.join(ROOT, 'tools', 'benchmark.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
            '4', '--memory-steps', '2', '--work-dir',
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
