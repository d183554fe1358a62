import torch

from rlkd_mmdet.rl import Episode, RolloutBuffer, compute_gae


def test_gae_matches_hand_computation():
    gamma, lam = 0.9, 0.8
    rewards = torch.tensor([[1.0], [0.0], [2.0]])
    values = torch.tensor([[0.5], [1.0], [1.5]])
    dones = torch.tensor([[0.0], [0.0], [1.0]])
    adv, ret = compute_gae(rewards, values, dones, None, gamma, lam)
    # By hand: delta_2 = 2 - 1.5 = 0.5 (episode ends, no bootstrap)
    # delta_1 = 0 + 0.9 * 1.5 - 1.0 = 0.35
    # delta_0 = 1 + 0.9 * 1.0 - 0.5 = 1.4
    # A_2 = 0.5; A_1 = 0.35 + 0.72 * 0.5 = 0.71; A_0 = 1.4 + 0.72 * 0.71
    expected = torch.tensor([[1.4 + 0.72 * 0.71], [0.71], [0.5]])
    assert torch.allclose(adv, expected)
    assert torch.allclose(ret, expected + values)


def test_gae_does_not_cross_episode_end():
    rewards = torch.tensor([[0.0], [5.0]])
    values = torch.zeros(2, 1)
    dones = torch.tensor([[1.0], [1.0]])
    adv, _ = compute_gae(rewards, values, dones, None, 1.0, 1.0)
    assert adv[0, 0] == 0.0
    assert adv[1, 0] == 5.0


def test_buffer_pads_episodes_of_different_length():
    buffer = RolloutBuffer()
    for length, reward in ((3, 1.0), (1, 2.0)):
        rewards = torch.zeros(length)
        rewards[-1] = reward
        buffer.add(
            Episode(
                states=torch.zeros(length, 3),
                actions=torch.zeros(length, 1),
                log_probs=torch.zeros(length),
                values=torch.zeros(length),
                batch_reward=torch.tensor(reward),
                rewards=rewards))
    out = buffer.compute_returns_and_advantage(gamma=1.0, gae_lambda=1.0)
    # With gamma = lambda = 1 every step of an episode gets its return.
    assert out['advantages'].tolist() == [1.0, 1.0, 1.0, 2.0]
    assert out['states'].shape == (4, 3)
