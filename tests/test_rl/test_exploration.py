import pytest
import torch

from rlkd_mmdet.rl import UncertaintyTracker


def _tracker_with_ranked_ids(num=100):
    tracker = UncertaintyTracker(momentum=0.0)
    ids = torch.arange(num)
    # Id 0 is the most uncertain, id num-1 the least.
    tracker.update(ids, 1.0 - ids.float() / num)
    return tracker


def test_percentile_ranks_most_uncertain_first():
    tracker = _tracker_with_ranked_ids()
    ranks = tracker.percentile(torch.tensor([0, 15, 85, 99]))
    assert torch.allclose(ranks, torch.tensor([0.0, 0.15, 0.85, 0.99]))
    assert torch.isnan(tracker.percentile(torch.tensor([500])))[0]


def test_running_average_of_uncertainty():
    tracker = UncertaintyTracker(momentum=0.75)
    tracker.update(torch.tensor([3]), torch.tensor([1.0]))
    tracker.update(torch.tensor([3]), torch.tensor([0.0]))
    assert tracker.values[3] == pytest.approx(0.75)


def test_mixing_pairs_use_the_bands():
    tracker = _tracker_with_ranked_ids()
    batch_ids = torch.arange(100)
    easy, hard, lam = tracker.mixing_pairs(
        batch_ids, torch.Generator().manual_seed(0))
    assert sorted(easy.tolist()) == list(range(80, 90))
    assert all(10 <= h < 20 for h in hard.tolist())
    assert lam.min() >= 0.7
    assert lam.max() <= 1.0
    # The most uncertain 10 % are left out of the mix.
    assert not any(h < 10 for h in hard.tolist())


def test_mixing_pairs_empty_without_hard_instances():
    tracker = _tracker_with_ranked_ids()
    easy, hard, lam = tracker.mixing_pairs(torch.tensor([50, 85]))
    assert easy.numel() == 0
    assert hard.numel() == 0


def test_invalid_band_raises():
    with pytest.raises(ValueError, match='hard_band'):
        UncertaintyTracker(hard_band=(0.3, 0.2))
