"""Efficient exploration: mix uncertain instances into easy ones.

Each instance (an image) keeps a running estimate of the student's
uncertainty, and instances are ranked from the most to the least uncertain.
Early in the agent's training, instances from a hard band of that ranking
(by default the 10-20 % most uncertain, so the noisiest 10 % are left out)
are mixed into instances of an easy band (by default 80-90 %). The mix-up
coefficient ``lam``, the share of the easy instance, is drawn from a range
(by default 0.7-1.0).
"""
from typing import Optional, Sequence, Tuple

import torch
from torch import Tensor


def _check_band(name: str, band: Sequence[float]) -> Tuple[float, float]:
    low, high = (float(v) for v in band)
    if not 0.0 <= low < high <= 1.0:
        raise ValueError(f'{name} must be (low, high) with 0 <= low < high '
                         f'<= 1, got {tuple(band)}')
    return low, high


class UncertaintyTracker:
    """Running student uncertainty per instance id, and mix-up pairs.

    Args:
        momentum (float): Weight of the previous estimate in the running
            average. Defaults to 0.9.
        hard_band (Sequence[float]): Percentile band of the instances mixed
            in, counted from the most uncertain. Defaults to (0.1, 0.2).
        easy_band (Sequence[float]): Percentile band of the instances that
            receive the mix. Defaults to (0.8, 0.9).
        lam_range (Sequence[float]): Range of the easy instance's share.
            Defaults to (0.7, 1.0).
        refresh_interval (int): Updates between two re-sorts of the ranking.
            Defaults to 50.
    """

    def __init__(self,
                 momentum: float = 0.9,
                 hard_band: Sequence[float] = (0.1, 0.2),
                 easy_band: Sequence[float] = (0.8, 0.9),
                 lam_range: Sequence[float] = (0.7, 1.0),
                 refresh_interval: int = 50) -> None:
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f'momentum must be in [0, 1), got {momentum}')
        self.momentum = momentum
        self.hard_band = _check_band('hard_band', hard_band)
        self.easy_band = _check_band('easy_band', easy_band)
        self.lam_range = _check_band('lam_range', lam_range)
        self.refresh_interval = refresh_interval
        self.values = torch.zeros(0)
        self.seen = torch.zeros(0, dtype=torch.bool)
        self._sorted: Optional[Tensor] = None
        self._updates_since_sort = 0

    def _grow(self, max_id: int, device: torch.device) -> None:
        if self.values.device != device:
            self.values = self.values.to(device)
            self.seen = self.seen.to(device)
        if max_id < self.values.numel():
            return
        size = max(max_id + 1, 2 * self.values.numel())
        values = self.values.new_zeros(size)
        seen = self.seen.new_zeros(size)
        values[:self.values.numel()] = self.values
        seen[:self.seen.numel()] = self.seen
        self.values, self.seen = values, seen

    def update(self, ids: Tensor, uncertainty: Tensor) -> None:
        """Fold new uncertainty measurements into the running estimates.

        Args:
            ids (Tensor): Non-negative integer instance ids, shape (M,).
            uncertainty (Tensor): Measured uncertainty, shape (M,).
        """
        if ids.numel() == 0:
            return
        uncertainty = uncertainty.detach().float()
        ids = ids.to(uncertainty.device).long()
        if bool((ids < 0).any()):
            raise ValueError('instance ids must be non-negative')
        self._grow(int(ids.max()), uncertainty.device)
        old = self.values[ids]
        blended = self.momentum * old + (1 - self.momentum) * uncertainty
        self.values[ids] = torch.where(self.seen[ids], blended, uncertainty)
        self.seen[ids] = True
        self._updates_since_sort += 1

    @property
    def num_seen(self) -> int:
        """Number of ids with an estimate."""
        return int(self.seen.sum())

    def percentile(self, ids: Tensor) -> Tensor:
        """Rank ids among all tracked ids: 0 is the most uncertain.

        Returns:
            Tensor: Ranks in [0, 1) of shape (M,); NaN for unseen ids.
        """
        if self.num_seen == 0:
            return torch.full(ids.shape, float('nan'))
        ids = ids.to(self.values.device).long()
        if (self._sorted is None
                or self._updates_since_sort >= self.refresh_interval):
            self._sorted = self.values[self.seen].sort().values
            self._updates_since_sort = 0
        in_range = ids < self.values.numel()
        safe = ids.clamp_max(self.values.numel() - 1)
        values = self.values[safe]
        # Count of tracked values strictly above each value.
        above = self._sorted.numel() - torch.searchsorted(
            self._sorted, values, right=True)
        ranks = above.float() / self._sorted.numel()
        known = in_range & self.seen[safe]
        return torch.where(known, ranks, torch.full_like(ranks, float('nan')))

    def mixing_pairs(self,
                     ids: Tensor,
                     generator: Optional[torch.Generator] = None
                     ) -> Tuple[Tensor, Tensor, Tensor]:
        """Choose which instances of a batch to mix.

        Args:
            ids (Tensor): Instance ids of the batch, shape (B,).
            generator (torch.Generator, optional): CPU random source.

        Returns:
            tuple[Tensor, Tensor, Tensor]: Batch positions of the easy
            instances that receive a mix, the positions of the hard instances
            mixed into them, and the easy instance's share ``lam`` of each
            pair. All empty when the batch has no instance in one of the
            bands.
        """
        ranks = self.percentile(ids).cpu()
        hard = ((ranks >= self.hard_band[0]) &
                (ranks < self.hard_band[1])).nonzero().flatten()
        easy = ((ranks >= self.easy_band[0]) &
                (ranks < self.easy_band[1])).nonzero().flatten()
        if hard.numel() == 0 or easy.numel() == 0:
            empty = torch.zeros(0, dtype=torch.long)
            return empty, empty, torch.zeros(0)
        pick = torch.randint(
            hard.numel(), (easy.numel(), ), generator=generator)
        low, high = self.lam_range
        uniform = torch.rand(easy.numel(), generator=generator)
        lam = low + (high - low) * uniform
        return easy, hard[pick], lam

    def state_dict(self) -> dict:
        """Return the tracked estimates."""
        return dict(values=self.values.cpu(), seen=self.seen.cpu())

    def load_state_dict(self, state: dict) -> None:
        """Restore estimates saved by :meth:`state_dict`."""
        self.values = state['values'].clone()
        self.seen = state['seen'].clone()
        self._sorted = None
