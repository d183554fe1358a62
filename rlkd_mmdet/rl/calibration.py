"""Instance reward calibration by learned return decomposition.

Training produces one reward per batch. The calibrator is a small network
``g(s_i, a_i)`` trained so that, over many batches, the contributions of a
batch's instances sum to that batch's reward (the return-decomposition idea
of RUDDER, Arjona-Medina et al., 2019). Its per-instance contributions become
the rewards that GAE and PPO use.
"""
from collections import deque
from typing import Deque, Dict, List, Optional, Sequence, Tuple, Union

import torch
from torch import Tensor, nn

from .policy import _mlp


class RewardCalibrator(nn.Module):
    """Decompose batch rewards into per-instance rewards.

    Args:
        state_dim (int): Size of an agent state.
        action_dim (int): Size of an action (normalised to [0, 1]).
        hidden_dims (Sequence[int]): Hidden layer widths. Defaults to (64, 64).
        lr (float): Adam learning rate. Defaults to 3e-3.
        memory_size (int): Number of recent batches kept to fit on.
            Defaults to 512.
        fit_steps (int): Gradient steps per :meth:`fit`. Defaults to 200.
        fit_batch_size (int): Batches per gradient step. Defaults to 32.
    """

    def __init__(self,
                 state_dim: int,
                 action_dim: int,
                 hidden_dims: Sequence[int] = (64, 64),
                 lr: float = 3e-3,
                 memory_size: int = 512,
                 fit_steps: int = 200,
                 fit_batch_size: int = 32) -> None:
        super().__init__()
        if memory_size < 1:
            raise ValueError(f'memory_size must be >= 1, got {memory_size}')
        self.net = _mlp(state_dim + action_dim, hidden_dims, 1)
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=lr)
        self.fit_steps = fit_steps
        self.fit_batch_size = fit_batch_size
        self.memory: Deque[Tuple[Tensor, Tensor, Tensor]] = deque(
            maxlen=memory_size)
        # Batch rewards are standardised by this scale while fitting, so the
        # learning rate suits rewards of any magnitude.
        self.register_buffer('reward_scale', torch.ones(()))

    def forward(self, states: Tensor, actions: Tensor) -> Tensor:
        """Return the contribution of each instance, shape (N,)."""
        inputs = torch.cat([states, actions], dim=1)
        return self.net(inputs).squeeze(-1) * self.reward_scale

    def remember(self, states: Tensor, actions: Tensor,
                 batch_reward: Union[Tensor, float]) -> None:
        """Store one batch for later fitting."""
        batch_reward = torch.as_tensor(
            batch_reward, dtype=torch.float32).detach()
        self.memory.append((states.detach(), actions.detach(), batch_reward))

    def fit(self, generator: Optional[torch.Generator] = None) -> float:
        """Fit the contributions to the remembered batch rewards.

        Returns:
            float: Mean squared error of the last step, in units of the
            standardised reward; NaN when the memory is empty.
        """
        if not self.memory:
            return float('nan')
        memory = list(self.memory)
        rewards = torch.stack([m[2].cpu() for m in memory])
        scale = rewards.std(unbiased=False) if len(memory) > 1 else None
        if scale is None or scale < 1e-12:
            scale = rewards.abs().mean().clamp_min(1e-12)
        self.reward_scale.fill_(float(scale))

        device = memory[0][0].device
        inputs = torch.cat([torch.cat([m[0], m[1]], dim=1) for m in memory])
        lengths = torch.tensor([m[0].size(0) for m in memory], device=device)
        segment = torch.repeat_interleave(
            torch.arange(len(memory), device=device), lengths)
        targets = rewards.to(device) / self.reward_scale

        loss = torch.tensor(float('nan'))
        for _ in range(self.fit_steps):
            chosen = torch.zeros(len(memory), dtype=torch.bool)
            if len(memory) <= self.fit_batch_size:
                chosen[:] = True
            else:
                chosen[torch.randperm(len(memory), generator=generator)
                       [:self.fit_batch_size]] = True
            chosen = chosen.to(device)
            rows = chosen[segment]
            contributions = self.net(inputs[rows])[:, 0]
            sums = contributions.new_zeros(len(memory)).index_add(
                0, segment[rows], contributions)
            loss = (sums - targets)[chosen].pow(2).mean()
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
        return float(loss.detach())

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
        """Return the remembered batches as plain tensors and floats."""
        return [
            dict(states=s.cpu(), actions=a.cpu(), reward=r.cpu())
            for s, a, r in self.memory
        ]

    def load_memory_state(self, memory: List[Dict],
                          device: torch.device) -> None:
        """Restore the batches saved by :meth:`memory_state`."""
        self.memory.clear()
        for item in memory:
            self.memory.append((item['states'].to(device),
                                item['actions'].to(device),
                                item['reward'].to(device)))
