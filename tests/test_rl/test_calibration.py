import torch

from rlkd_mmdet.rl import RewardCalibrator


def test_calibrated_rewards_sum_to_batch_reward():
    calibrator = RewardCalibrator(3, 1)
    for _ in range(5):
        calibrator.remember(torch.rand(8, 3), torch.rand(8, 1), torch.rand(()))
    calibrator.fit()
    states, actions = torch.rand(37, 3), torch.rand(37, 1)
    rewards = calibrator.calibrate(states, actions, torch.tensor(0.73))
    assert rewards.shape == (37, )
    assert torch.isclose(rewards.sum(), torch.tensor(0.73), atol=1e-5)


def test_credit_goes_to_rewarded_feature():
    # Only instances whose first state feature exceeds 0.5 earn a reward;
    # the batch reward is their count. The calibrator must learn that.
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)
    calibrator = RewardCalibrator(3, 1)
    for _ in range(200):
        states = torch.rand(16, 3, generator=generator)
        actions = torch.rand(16, 1, generator=generator)
        calibrator.remember(states, actions, (states[:, 0] > 0.5).sum())
    calibrator.fit(generator)

    states = torch.rand(16, 3, generator=generator)
    actions = torch.rand(16, 1, generator=generator)
    featured = states[:, 0] > 0.5
    batch_reward = featured.sum().float()
    rewards = calibrator.calibrate(states, actions, batch_reward)
    share = rewards[featured].sum() / batch_reward
    assert share > 0.85
    assert rewards[featured].mean() > 0.8
    # An even split would give every instance about 0.5.
    assert rewards[~featured].abs().mean() < 0.3


def test_exact_decomposition_of_additive_rewards():
    # Batch rewards that are sums of a quadratic per-instance reward are
    # decomposed exactly: the features contain every product of inputs.
    generator = torch.Generator().manual_seed(0)
    calibrator = RewardCalibrator(3, 1, ridge=1e-8)

    def instance_reward(states, actions):
        return -(actions[:, 0] - 0.2 - 0.6 * states[:, 0]).pow(2)

    for _ in range(150):
        states = torch.rand(48, 3, generator=generator)
        actions = torch.rand(48, 1, generator=generator)
        calibrator.remember(states, actions,
                            instance_reward(states, actions).sum())
    assert calibrator.fit() < 1e-6
    states = torch.rand(48, 3, generator=generator)
    actions = torch.rand(48, 1, generator=generator)
    truth = instance_reward(states, actions)
    rewards = calibrator.calibrate(states, actions, truth.sum())
    assert torch.allclose(rewards, truth, atol=1e-3)
