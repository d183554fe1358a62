"""Instance reward calibration by learned return decomposition.

Training produces one reward per batch. The calibrator learns a function
``g(s_i, a_i)`` of an instance's state and (normalised) action such that,
over many batches, the contributions of a batch's instances sum to that
batch's reward. This is the return-decomposition idea of RUDDER
(Arjona-Medina et al., 2019). Its per-instance contributions become the
rewards that GAE and PPO use.

``g`` is linear in fixed features of ``x = (s, a)``: a constant, ``x``, all
products ``x_j x_k`` and random Fourier features ``cos(x W + b)``. Because
the sum of a linear model over a batch is the model applied to the sum of
the batch's features, fitting ``g`` to batch rewards is an ordinary ridge
regression on one summed feature vector per batch, solved in closed form.
It needs far fewer batches than fitting a neural network to batch sums by
gradient descent, and each batch is remembered as a single vector.
"""
import math
from collections import deque
from typing import Deque, Dict, List, Optional, Tuple, Union

import torch
from torch import Tensor, nn


class RewardCalibrator(nn.Module):
    """Decompose batch rewards into per-instance rewards.

    Args:
        state_dim (int): Size of an agent state.
        action_dim (int): Size of an action (normalised to [0, 1]).
        num_random_features (int): Random Fourier features. Defaults to 64.
        bandwidth (float): Length scale of the random features, in units of
            the inputs (which lie in [0, 1]). Defaults to 1.0.
        ridge (float): L2 penalty per remembered batch. Defaults to 1e-3.
        memory_size (int): Number of recent batches kept to fit on.
            Defaults to 512.
        seed (int): Seed of the random features. Defaults to 0.
    """

    def __init__(self,
                 state_dim: int,
                 action_dim: int,
                 num_random_features: int = 64,
                 bandwidth: float = 1.0,
                 ridge: float = 1e-3,
                 memory_size: int = 512,
                 seed: int = 0) -> None:
        super().__init__()
        if memory_size < 1:
            raise ValueError(f'memory_size must be >= 1, got {memory_size}')
        if bandwidth <= 0 or ridge < 0:
            raise ValueError(f'bandwidth must be > 0 and ridge >= 0, got '
                             f'{bandwidth} and {ridge}')
        in_dim = state_dim + action_dim
        generator = torch.Generator().manual_seed(seed)
        self.register_buffer(
            'frequencies',
            torch.randn(in_dim, num_random_features, generator=generator) /
            bandwidth)
        self.register_buffer(
            'phases',
            torch.rand(num_random_features, generator=generator) * 2 *
            math.pi)
        self.register_buffer('pairs', torch.triu_indices(in_dim, in_dim))
        num_features = 1 + in_dim + self.pairs.size(1) + num_random_features
        self.register_buffer('weight', torch.zeros(num_features))
        self.ridge = ridge
        self.memory: Deque[Tuple[Tensor, Tensor]] = deque(maxlen=memory_size)

    def features(self, states: Tensor, actions: Tensor) -> Tensor:
        """Return the features of each instance, shape (N, num_features)."""
        x = torch.cat([states, actions], dim=1).float()
        products = x[:, self.pairs[0]] * x[:, self.pairs[1]]
        fourier = torch.cos(x @ self.frequencies + self.phases) * math.sqrt(
            2.0 / self.phases.numel())
        ones = x.new_ones(x.size(0), 1)
        return torch.cat([ones, x, products, fourier], dim=1)

    def forward(self, states: Tensor, actions: Tensor) -> Tensor:
        """Return the contribution of each instance, shape (N,)."""
        return self.features(states, actions) @ self.weight

    def remember(self, states: Tensor, actions: Tensor,
                 batch_reward: Union[Tensor, float]) -> None:
        """Store one batch (as its summed features) for later fitting."""
        summed = self.features(states.detach(), actions.detach()).sum(0)
        reward = torch.as_tensor(
            batch_reward, dtype=torch.float32, device=summed.device)
        self.memory.append((summed, reward.detach()))

    @torch.no_grad()
    def fit(self, generator: Optional[torch.Generator] = None) -> float:
        """Fit the weights to the remembered batch rewards (ridge).

        Args:
            generator (torch.Generator, optional): Unused; the fit is exact.

        Returns:
            float: Mean squared error of the batch sums divided by the
            variance of the batch rewards; NaN when the memory is empty.
        """
        if not self.memory:
            return float('nan')
        summed = torch.stack([m[0] for m in self.memory]).double()
        rewards = torch.stack([m[1] for m in self.memory]).double()
        gram = summed.t() @ summed
        penalty = self.ridge * len(self.memory) * torch.eye(
            gram.size(0), dtype=gram.dtype, device=gram.device)
        weight = torch.linalg.solve(gram + penalty, summed.t() @ rewards)
        self.weight.copy_(weight.float())
        error = (summed @ weight - rewards).pow(2).mean()
        variance = rewards.var(unbiased=False) if len(rewards) > 1 else None
        if variance is None or variance <= 0:
            return float(error)
        return float(error / variance)

    @torch.no_grad()
    def calibrate(self, states: Tensor, actions: Tensor,
                  batch_reward: Union[Tensor, float]) -> Tensor:
        """Split one batch reward into per-instance rewards.

        The remainder between the batch reward and the sum of the predicted
        contributions is spread evenly, so the rewards of a batch always sum
        to its batch reward.
        """
        contributions = self(states, actions)
        residual = batch_reward - contributions.sum()
        return contributions + residual / max(states.size(0), 1)

    def memory_state(self) -> List[Dict]:
        """Return the remembered batches as plain tensors."""
        return [dict(features=f.cpu(), reward=r.cpu()) for f, r in self.memory]

    def load_memory_state(self, memory: List[Dict],
                          device: torch.device) -> None:
        """Restore the batches saved by :meth:`memory_state`."""
        self.memory.clear()
        for item in memory:
            self.memory.append((item['features'].to(device),
                                item['reward'].to(device)))
