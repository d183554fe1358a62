"""Tests of tools/compare.py."""
import json
import math
import os.path as osp

import pytest

from ..conftest import load_tool


def load_compare():
    return load_tool('compare')


def test_paired_comparison_matches_closed_form():
    compare = load_compare()
    rlkd = {'0': 1.0, '1': 2.0, '2': 3.0}
    fixed = {'0': 0.5, '1': 1.4, '2': 2.6}
    result = compare.compare_paired(rlkd, fixed)
    # Differences 0.5, 0.6, 0.4: mean 0.5, sample std 0.1.
    assert result['seeds'] == 3
    assert result['mean_diff'] == pytest.approx(0.5)
    assert result['std_diff'] == pytest.approx(0.1)
    t = 0.5 / (0.1 / math.sqrt(3))
    assert result['t'] == pytest.approx(t)
    # With 2 degrees of freedom the t CDF is 1/2 + t / (2 sqrt(2 + t^2)).
    assert result['p'] == pytest.approx(1 - t / math.sqrt(2 + t * t))
    assert result['p'] < 0.05
    assert result['verdict'] == 'better'


def test_paired_comparison_uses_shared_seeds_only():
    compare = load_compare()
    rlkd = {'0': 1.0, '1': 1.0, '7': 50.0}
    fixed = {'0': 2.0, '1': 3.0, '2': -50.0}
    result = compare.compare_paired(rlkd, fixed)
    assert result['seeds'] == 2
    assert result['mean_diff'] == pytest.approx(-1.5)
    assert compare.compare_paired({'3': 1.0}, {'4': 1.0}) is None


def test_paired_comparison_verdicts():
    compare = load_compare()
    worse = compare.compare_paired({
        '0': 1.0,
        '1': 2.0,
        '2': 3.0
    }, {
        '0': 1.5,
        '1': 2.6,
        '2': 3.4
    })
    assert worse['verdict'] == 'worse'
    noisy = compare.compare_paired({
        '0': 1.0,
        '1': 2.0,
        '2': 3.0
    }, {
        '0': 0.0,
        '1': 2.5,
        '2': 3.0
    })
    assert noisy['p'] > 0.05
    assert noisy['verdict'] == 'within seed noise'
    # Equal differences have no spread: no test, no claim.
    constant = compare.compare_paired({'0': 2.0, '1': 3.0}, {'0': 1.0, '1': 2.0})
    assert constant['p'] is None
    assert constant['verdict'] == 'undetermined'
    single = compare.compare_paired({'0': 2.0}, {'0': 1.0})
    assert single['p'] is None
    assert single['verdict'] == 'undetermined'


def test_paired_comparison_equal_gains_despite_rounding():
    compare = load_compare()
    # One image of 540 better in every seed: in floats the differences
    # are not all equal, and without rounding the t-test finds t ~ 1e13.
    rlkd = {str(i): (527 - i) / 5.4 for i in range(3)}
    fixed = {str(i): (526 - i) / 5.4 for i in range(3)}
    diffs = [rlkd[seed] - fixed[seed] for seed in rlkd]
    assert len(set(diffs)) > 1
    result = compare.compare_paired(rlkd, fixed)
    assert result['std_diff'] == 0.0
    assert result['mean_diff'] == pytest.approx(1 / 5.4)
    assert result['p'] is None
    assert result['verdict'] == 'undetermined'


def test_main_resumes_and_writes_comparisons(tmp_path, monkeypatch):
    compare = load_compare()
    trained = []
    scores = {'fixed': 90.0, 'ctkd': 89.0, 'rlkd': 91.0}

    def train_teacher(self):
        trained.append(('teacher', None))

    def train_student(self, source, seed):
        trained.append((source, seed))
        return scores[source] + 0.1 * seed * (source == 'rlkd')

    monkeypatch.setattr(compare.TaskRunner, 'train_teacher', train_teacher)
    monkeypatch.setattr(compare.TaskRunner, 'train_student', train_student)
    work_dir = tmp_path / 'compare'
    work_dir.mkdir()
    # A finished run from an earlier, interrupted comparison.
    with open(work_dir / 'results_full.json', 'w') as f:
        json.dump({'classification': {'fixed': {'0': 90.0}}}, f)

    report = compare.main([
        '--tasks', 'classification', '--sources', 'fixed', 'ctkd', 'rlkd',
        '--seeds', '0', '1', '2', '--work-dir',
        str(work_dir)
    ])
    assert ('fixed', 0) not in trained
    assert trained.count(('teacher', None)) == 1
    assert len(trained) == 1 + 8
    with open(work_dir / 'results_full.json') as f:
        results = json.load(f)
    assert results['classification']['rlkd'] == {
        '0': 91.0,
        '1': 91.1,
        '2': 91.2
    }
    with open(work_dir / 'summary_full.json') as f:
        assert json.load(f) == json.loads(json.dumps(report))
    task = report['classification']
    assert task['sources']['rlkd']['mean'] == pytest.approx(91.1)
    assert task['sources']['fixed']['std'] == 0.0
    assert set(task['comparisons']) == {'rlkd - fixed', 'rlkd - ctkd'}
    assert task['comparisons']['rlkd - ctkd']['mean_diff'] == pytest.approx(
        2.1)
    assert task['comparisons']['rlkd - ctkd']['verdict'] == 'better'
    assert osp.isfile(work_dir / 'compare_full.png')
