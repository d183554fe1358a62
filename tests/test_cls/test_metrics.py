"""ClsAccuracy top-k values."""
import pytest
import torch
from mmdet.registry import METRICS

from rlkd_mmdet.cls import ClsDataSample


def make_samples(scores, gt_labels):
    return [
        ClsDataSample().set_gt_label(label).set_pred_score(torch.tensor(row))
        for row, label in zip(scores, gt_labels)
    ]


# Six classes. Top-1 is correct for samples 0 and 1. Sample 2 (class 3) has
# the fourth highest score, so it is correct at top-5. Sample 3 (class 0) has
# the lowest score, so it is wrong at top-5.
SCORES = [
    [0.50, 0.20, 0.10, 0.10, 0.05, 0.05],
    [0.10, 0.60, 0.10, 0.10, 0.05, 0.05],
    [0.30, 0.25, 0.20, 0.15, 0.06, 0.04],
    [0.01, 0.05, 0.10, 0.14, 0.30, 0.40],
]
GT_LABELS = [0, 1, 3, 0]


def test_topk_accuracy_by_hand():
    metric = METRICS.build(dict(type='ClsAccuracy', topk=(1, 5)))
    metric.process(None, make_samples(SCORES, GT_LABELS))
    results = metric.evaluate(size=len(SCORES))
    assert results == pytest.approx({
        'accuracy/top1': 50.0,
        'accuracy/top5': 75.0
    })


def test_accepts_dicts_from_evaluator():
    metric = METRICS.build(dict(type='ClsAccuracy', topk=1))
    samples = [sample.to_dict() for sample in make_samples(SCORES, GT_LABELS)]
    metric.process(None, samples)
    assert metric.evaluate(size=4) == pytest.approx({'accuracy/top1': 50.0})


def test_soft_label_counts_as_its_argmax():
    metric = METRICS.build(dict(type='ClsAccuracy', topk=(1, )))
    soft_label = torch.tensor([0.1, 0.7, 0.1, 0.05, 0.05, 0.0])
    metric.process(None, make_samples(SCORES[1:2], [soft_label]))
    assert metric.evaluate(size=1) == pytest.approx({'accuracy/top1': 100.0})


def test_topk_larger_than_classes_raises():
    metric = METRICS.build(dict(type='ClsAccuracy', topk=(1, 7)))
    metric.process(None, make_samples(SCORES, GT_LABELS))
    with pytest.raises(ValueError, match='only 6 classes'):
        metric.evaluate(size=4)


@pytest.mark.parametrize('topk', [(), (0, ), (1, -5)])
def test_invalid_topk_raises(topk):
    with pytest.raises(ValueError, match='topk'):
        METRICS.build(dict(type='ClsAccuracy', topk=topk))
