"""The agent learns a known best temperature from delayed batch rewards.

Synthetic task: the best temperature of an instance is ``2 + 6 * s_0`` (its
first state feature). Each batch of 48 instances earns one reward, minus the
mean squared distance of its temperatures to the best ones, delivered after
the batch. The agent is never shown a per-instance reward.
"""
import pytest
import torch

from rlkd_mmdet.rl import InstanceStates, RLKDAgent

BOUND = 0.5  # mean absolute error of the learned temperature
BATCH = 48
MAX_UPDATES = 45


def best_temperature(states):
    return 2.0 + 6.0 * states[:, 0]


def _instances(states):
    zeros = torch.zeros(states.size(0))
    return InstanceStates(states, zeros, zeros)


def mean_abs_error(agent):
    states = torch.rand(2000, 3, generator=torch.Generator().manual_seed(7))
    temperature, _ = agent.act(_instances(states), deterministic=True)
    agent.discard_pending()
    return float((temperature - best_temperature(states)).abs().mean())


def train_until_bound(agent, seed=0):
    """Return the number of PPO updates needed to reach BOUND (or None)."""
    generator = torch.Generator().manual_seed(seed)
    agent.recording = True
    for update in range(1, MAX_UPDATES + 1):
        for _ in range(agent.rollout_batches):
            states = torch.rand(BATCH, 3, generator=generator)
            temperature, _ = agent.act(_instances(states))
            error = (temperature - best_temperature(states)).pow(2).mean()
            agent.give_reward(-error / 10)
        agent.update()
        if mean_abs_error(agent) < BOUND:
            return update
    return None


def _agent(calibrated):
    common = dict(
        temperature_range=(1.0, 10.0),
        initial_temperature=4.0,
        rollout_batches=8,
        exploration=None,
        seed=0)
    if calibrated:
        return RLKDAgent(**common)
    return RLKDAgent(calibration=None, gamma=1.0, gae_lambda=1.0, **common)


@pytest.fixture(scope='module')
def updates_needed():
    torch.set_num_threads(1)
    return {
        'calibrated': train_until_bound(_agent(True)),
        'uncalibrated': train_until_bound(_agent(False)),
    }


def test_untrained_and_random_policies_miss_bound():
    assert mean_abs_error(_agent(True)) > 2 * BOUND
    torch.manual_seed(3)
    random_agent = _agent(True)
    for param in random_agent.policy.actor.parameters():
        torch.nn.init.normal_(param, std=1.0)
    assert mean_abs_error(random_agent) > 2 * BOUND


def test_trained_policy_reaches_bound(updates_needed):
    assert updates_needed['calibrated'] is not None


def test_calibration_needs_fewer_updates(updates_needed):
    assert updates_needed['uncalibrated'] is not None
    assert updates_needed['calibrated'] < updates_needed['uncalibrated']
