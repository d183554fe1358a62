"""Gaussian actor-critic that maps instance states to bounded actions."""
import math
from typing import Sequence, Tuple

import torch
from torch import Tensor, nn
from torch.distributions import Normal


def _mlp(in_dim: int, hidden_dims: Sequence[int], out_dim: int) -> nn.Module:
    layers = []
    for width in hidden_dims:
        layers += [nn.Linear(in_dim, width), nn.Tanh()]
        in_dim = width
    layers.append(nn.Linear(in_dim, out_dim))
    return nn.Sequential(*layers)


class SquashedGaussianPolicy(nn.Module):
    """Actor-critic with a Gaussian policy squashed into fixed bounds.

    The actor outputs the mean of a Gaussian over a pre-squash action ``u``;
    the standard deviation is a learned, state-independent parameter. The
    action used by the caller is ``low + (high - low) * (tanh(u) + 1) / 2``,
    so every action lies in ``[low, high]`` and none can approach 0 unless
    ``low`` does. Log-probabilities are those of ``u`` (the pre-squash
    action), which is what PPO's probability ratio needs.

    Args:
        state_dim (int): Size of a state.
        low (Sequence[float]): Lower bound of each action dimension.
        high (Sequence[float]): Upper bound of each action dimension.
        initial_action (Sequence[float]): Action of the untrained policy's
            mean, strictly inside the bounds.
        hidden_dims (Sequence[int]): Hidden layer widths of the actor and of
            the critic. Defaults to (64, 64).
        log_std_init (float): Initial log standard deviation of ``u``.
            Defaults to -0.5.
    """

    def __init__(self,
                 state_dim: int,
                 low: Sequence[float],
                 high: Sequence[float],
                 initial_action: Sequence[float],
                 hidden_dims: Sequence[int] = (64, 64),
                 log_std_init: float = -0.5) -> None:
        super().__init__()
        if not (len(low) == len(high) == len(initial_action)):
            raise ValueError(
                f'low {list(low)}, high {list(high)} and initial_action '
                f'{list(initial_action)} must have the same length')
        for lo, hi, init in zip(low, high, initial_action):
            if not lo < init < hi:
                raise ValueError(
                    f'initial_action {init} must lie strictly inside the '
                    f'bounds ({lo}, {hi})')

        self.state_dim = state_dim
        self.action_dim = len(low)
        self.register_buffer('low', torch.tensor(low, dtype=torch.float32))
        self.register_buffer('high', torch.tensor(high, dtype=torch.float32))

        self.actor = _mlp(state_dim, hidden_dims, self.action_dim)
        self.critic = _mlp(state_dim, hidden_dims, 1)
        self.log_std = nn.Parameter(
            torch.full((self.action_dim, ), float(log_std_init)))

        # Small last-layer weights keep the untrained policy's mean close to
        # initial_action for every state.
        last = self.actor[-1]
        nn.init.orthogonal_(last.weight, gain=0.01)
        with torch.no_grad():
            for i, (lo, hi, init) in enumerate(
                    zip(low, high, initial_action)):
                last.bias[i] = math.atanh(2 * (init - lo) / (hi - lo) - 1)

    def squash(self, pre_squash: Tensor) -> Tensor:
        """Map pre-squash actions of shape (N, A) into the bounds."""
        return self.low + (self.high - self.low) * (torch.tanh(pre_squash) +
                                                    1) / 2

    def distribution(self, states: Tensor) -> Normal:
        """Return the Gaussian over pre-squash actions for each state."""
        mean = self.actor(states)
        return Normal(mean, self.log_std.exp().expand_as(mean))

    def value(self, states: Tensor) -> Tensor:
        """Return the critic's value estimates of shape (N,)."""
        return self.critic(states).squeeze(-1)

    @torch.no_grad()
    def act(self,
            states: Tensor,
            deterministic: bool = False,
            generator: torch.Generator = None
            ) -> Tuple[Tensor, Tensor, Tensor]:
        """Sample pre-squash actions for a batch of states.

        Args:
            states (Tensor): States of shape (N, state_dim).
            deterministic (bool): Take the mean instead of a sample.
            generator (torch.Generator, optional): Source of the noise.

        Returns:
            tuple[Tensor, Tensor, Tensor]: Pre-squash actions (N, A), their
            log-probabilities (N,) and the value estimates (N,).
        """
        dist = self.distribution(states)
        if deterministic:
            pre_squash = dist.mean
        else:
            noise = torch.randn(
                dist.mean.shape,
                generator=generator,
                device=states.device if generator is None else
                generator.device).to(states.device)
            pre_squash = dist.mean + dist.stddev * noise
        log_prob = dist.log_prob(pre_squash).sum(-1)
        return pre_squash, log_prob, self.value(states)

    def evaluate_actions(self, states: Tensor,
                         pre_squash: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """Return log-probabilities, entropies and values of given actions."""
        dist = self.distribution(states)
        log_prob = dist.log_prob(pre_squash).sum(-1)
        entropy = dist.entropy().sum(-1)
        return log_prob, entropy, self.value(states)
