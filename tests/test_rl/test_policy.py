import math

import pytest
import torch

from rlkd_mmdet.rl import SquashedGaussianPolicy


def test_actions_stay_inside_bounds():
    policy = SquashedGaussianPolicy(3, [1.0], [10.0], [4.0],
                                    log_std_init=2.0)
    states = torch.rand(5000, 3)
    pre_squash, _, _ = policy.act(states)
    temperature = policy.squash(pre_squash)
    assert temperature.min() >= 1.0
    assert temperature.max() <= 10.0
    # A wide policy reaches close to both bounds.
    assert temperature.min() < 1.1
    assert temperature.max() > 9.9


def test_initial_mean_is_initial_action():
    policy = SquashedGaussianPolicy(3, [1.0, 0.0], [10.0, 2.0], [4.0, 1.0])
    pre_squash, _, _ = policy.act(torch.rand(64, 3), deterministic=True)
    mean_action = policy.squash(pre_squash).mean(0)
    assert torch.allclose(mean_action, torch.tensor([4.0, 1.0]), atol=0.05)


def test_log_prob_is_of_pre_squash_action():
    policy = SquashedGaussianPolicy(3, [1.0], [10.0], [5.5])
    states = torch.rand(8, 3)
    pre_squash, log_prob, _ = policy.act(states)
    dist = policy.distribution(states)
    expected = dist.log_prob(pre_squash).sum(-1)
    assert torch.allclose(log_prob, expected)
    std = policy.log_std.exp()
    z = (pre_squash - dist.mean) / std
    by_hand = (-0.5 * z.pow(2) - policy.log_std -
               0.5 * math.log(2 * math.pi)).sum(-1)
    assert torch.allclose(log_prob, by_hand, atol=1e-5)


def test_initial_action_outside_bounds_raises():
    with pytest.raises(ValueError, match='strictly inside'):
        SquashedGaussianPolicy(3, [1.0], [10.0], [10.0])
