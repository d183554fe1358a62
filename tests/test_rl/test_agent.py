import io

import pytest
import torch

from rlkd_mmdet.rl import InstanceStates, RLKDAgent


def _instances(gt_prob, num=4):
    states = torch.zeros(num, 3)
    states[:, 0] = 0.9
    states[:, 1] = gt_prob
    return InstanceStates(states, torch.zeros(num), torch.zeros(num))


def test_act_is_batched_and_bounded():
    agent = RLKDAgent(temperature_range=(2.0, 6.0), initial_temperature=3.0)
    temperature, weight = agent.act(_instances(0.5, num=1000))
    assert temperature.shape == (1000, )
    assert weight is None
    assert temperature.min() >= 2.0
    assert temperature.max() <= 6.0


def test_kd_weight_action():
    agent = RLKDAgent(learn_kd_weight=True, kd_weight_range=(0.0, 2.0))
    temperature, weight = agent.act(_instances(0.5, num=10))
    assert weight.shape == (10, )
    assert weight.min() >= 0.0
    assert weight.max() <= 2.0


def test_next_batch_reward_is_metric_change():
    agent = RLKDAgent(reward_scale=2.0)
    agent.recording = True
    agent.act(_instances(0.2))
    assert len(agent.buffer) == 0
    agent.act(_instances(0.5))
    assert len(agent.buffer) == 1
    # reward = 2.0 * (0.5 - 0.2)
    assert agent.buffer.episodes[0].batch_reward.item() == pytest.approx(0.6)


def test_reward_scale_grows_with_epoch():
    agent = RLKDAgent(reward_scale=1.0, reward_scale_growth=0.5)
    agent.recording = True
    agent.epoch = 4
    agent.act(_instances(0.2))
    agent.act(_instances(0.3))
    # scale = 1 + 0.5 * 4 = 3
    assert agent.buffer.episodes[0].batch_reward.item() == pytest.approx(0.3)


def test_same_batch_reward_uses_reevaluation():
    agent = RLKDAgent(reward_mode='same_batch', reward_metric='accuracy')
    agent.recording = True
    before = _instances(0.2)
    agent.act(before)
    after = InstanceStates(before.states, torch.tensor([1.0, 1.0, 0.0, 0.0]),
                           before.entropy)
    agent.complete_pending(after)
    assert agent.buffer.episodes[0].batch_reward.item() == pytest.approx(0.5)


def test_no_recording_outside_training_phase():
    agent = RLKDAgent()
    agent.act(_instances(0.2))
    agent.act(_instances(0.4))
    assert len(agent.buffer) == 0


def test_uncalibrated_reward_on_last_instance():
    agent = RLKDAgent(calibration=None, gamma=1.0, gae_lambda=1.0)
    agent.recording = True
    agent.act(_instances(0.2, num=3))
    agent.act(_instances(0.6, num=3))
    episodes = agent.buffer.episodes
    agent.assign_rewards(episodes)
    assert episodes[0].rewards.tolist() == pytest.approx([0.0, 0.0, 0.4])


def test_calibration_off_with_zero_gamma_raises():
    with pytest.raises(ValueError, match='gamma'):
        RLKDAgent(calibration=None, gamma=0.0)


def test_temperature_must_be_positive():
    with pytest.raises(ValueError, match='positive'):
        RLKDAgent(temperature_range=(0.0, 10.0))


def test_state_dict_round_trip_with_weights_only():
    torch.manual_seed(0)
    agent = RLKDAgent(rollout_batches=2, seed=3)
    agent.recording = True
    for prob in (0.1, 0.3, 0.2, 0.6):
        agent.act(_instances(prob, num=8))
    agent.update()
    agent.act(_instances(0.5, num=8))
    agent.act(_instances(0.7, num=8))
    agent.tracker.update(torch.tensor([1, 5]), torch.tensor([0.3, 0.9]))

    buffer = io.BytesIO()
    torch.save(agent.state_dict(), buffer)
    buffer.seek(0)
    state = torch.load(buffer, weights_only=True)

    restored = RLKDAgent(rollout_batches=2, seed=99)
    restored.load_state_dict(state)
    assert restored.num_updates == 1
    assert len(restored.buffer) == len(agent.buffer) == 2
    for a, b in zip(agent.policy.parameters(), restored.policy.parameters()):
        assert torch.equal(a, b)
    assert torch.equal(restored.tracker.values, agent.tracker.values)
    assert len(restored.calibrator.memory) == len(agent.calibrator.memory)

    # Both continue identically: same update randomness and optimizer state.
    for learner in (agent, restored):
        learner.recording = True
        learner._pending = None
        learner.act(_instances(0.1, num=8), deterministic=True)
        learner.act(_instances(0.4, num=8), deterministic=True)
        learner.update()
    for a, b in zip(agent.policy.parameters(), restored.policy.parameters()):
        assert torch.allclose(a, b)
