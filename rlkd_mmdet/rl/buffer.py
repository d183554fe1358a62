"""Rollout storage and generalised advantage estimation (GAE).

An episode of the temperature agent is one training batch: its steps are the
batch's KD instances in a fixed order, and it ends after the last instance.
"""
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import torch
from torch import Tensor


def compute_gae(rewards: Tensor,
                values: Tensor,
                dones: Tensor,
                last_values: Optional[Tensor] = None,
                gamma: float = 0.99,
                gae_lambda: float = 0.95) -> Tuple[Tensor, Tensor]:
    """Compute GAE advantages and returns over time-major rollouts.

    Args:
        rewards (Tensor): Rewards of shape (L, E): L steps of E parallel
            sequences.
        values (Tensor): Value estimates of the visited states, shape (L, E).
        dones (Tensor): 1 where an episode ends after that step, shape
            (L, E). No value is bootstrapped across an episode end.
        last_values (Tensor, optional): Values of the states after the last
            step, shape (E,). Defaults to zeros.
        gamma (float): Discount factor. Defaults to 0.99.
        gae_lambda (float): GAE bias-variance trade-off. Defaults to 0.95.

    Returns:
        tuple[Tensor, Tensor]: Advantages and returns (advantages + values),
        both of shape (L, E).
    """
    if not rewards.shape == values.shape == dones.shape:
        raise ValueError(
            f'rewards {tuple(rewards.shape)}, values {tuple(values.shape)} '
            f'and dones {tuple(dones.shape)} must have the same shape')
    num_steps = rewards.size(0)
    if last_values is None:
        last_values = values.new_zeros(values.shape[1:])
    not_done = 1.0 - dones.float()

    advantages = torch.zeros_like(values)
    next_advantage = torch.zeros_like(last_values)
    next_values = last_values
    for t in reversed(range(num_steps)):
        delta = rewards[t] + gamma * next_values * not_done[t] - values[t]
        next_advantage = delta + gamma * gae_lambda * not_done[
            t] * next_advantage
        advantages[t] = next_advantage
        next_values = values[t]
    return advantages, advantages + values


@dataclass
class Episode:
    """Transitions of one training batch.

    Attributes:
        states (Tensor): Instance states, shape (N, state_dim).
        actions (Tensor): Pre-squash actions, shape (N, action_dim).
        log_probs (Tensor): Log-probabilities of the actions, shape (N,).
        values (Tensor): Value estimates, shape (N,).
        batch_reward (Tensor): Reward of the whole batch, a 0-dim tensor.
        rewards (Tensor, optional): Per-instance rewards, set by reward
            calibration (or by placing the batch reward on the last step).
    """

    states: Tensor
    actions: Tensor
    log_probs: Tensor
    values: Tensor
    batch_reward: Tensor
    rewards: Optional[Tensor] = None

    def __len__(self) -> int:
        return self.states.size(0)


@dataclass
class RolloutBuffer:
    """Completed episodes waiting for the next PPO update."""

    episodes: List[Episode] = field(default_factory=list)

    def add(self, episode: Episode) -> None:
        """Store one completed episode."""
        self.episodes.append(episode)

    def reset(self) -> None:
        """Drop every stored episode."""
        self.episodes = []

    def __len__(self) -> int:
        return len(self.episodes)

    @property
    def num_transitions(self) -> int:
        """Number of instances over all stored episodes."""
        return sum(len(ep) for ep in self.episodes)

    def compute_returns_and_advantage(
            self, gamma: float, gae_lambda: float) -> Dict[str, Tensor]:
        """Run GAE over every episode and flatten the result.

        Episodes of different lengths are padded into one time-major batch,
        so GAE runs once for all of them.

        Returns:
            dict[str, Tensor]: ``states``, ``actions``, ``log_probs``,
            ``values``, ``advantages`` and ``returns``, each with one row per
            stored instance, in episode order.
        """
        if not self.episodes:
            raise RuntimeError('the rollout buffer is empty')
        if any(ep.rewards is None for ep in self.episodes):
            raise RuntimeError(
                'per-instance rewards are missing: assign episode.rewards '
                'before computing advantages')
        lengths = torch.tensor([len(ep) for ep in self.episodes])
        max_len = int(lengths.max())
        ref = self.episodes[0].values

        def pad(tensors: List[Tensor]) -> Tensor:
            return torch.nn.utils.rnn.pad_sequence(tensors)  # (L, E)

        rewards = pad([ep.rewards.to(ref) for ep in self.episodes])
        values = pad([ep.values for ep in self.episodes])
        steps = torch.arange(max_len, device=ref.device)[:, None]
        dones = (steps >= lengths.to(ref.device)[None] - 1).float()

        advantages, returns = compute_gae(rewards, values, dones, None, gamma,
                                          gae_lambda)
        valid = steps < lengths.to(ref.device)[None]
        # Transposing to episode-major keeps each episode's rows together.
        valid_t = valid.t()
        return dict(
            states=torch.cat([ep.states for ep in self.episodes]),
            actions=torch.cat([ep.actions for ep in self.episodes]),
            log_probs=torch.cat([ep.log_probs for ep in self.episodes]),
            values=torch.cat([ep.values for ep in self.episodes]),
            advantages=advantages.t()[valid_t],
            returns=returns.t()[valid_t])
