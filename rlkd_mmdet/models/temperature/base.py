"""Interface of the objects that give each KD instance its temperature."""
from typing import Optional, Tuple

import torch
from torch import Tensor, nn

from rlkd_mmdet.rl import InstanceStates


class BaseTemperatureSource(nn.Module):
    """Give every KD instance of a batch its temperature.

    A distiller calls the source once per training step with the states of
    all its KD instances. The source returns the temperatures and, if it
    learns them, per-instance weights of the KD term.

    Attributes:
        last_temperature (Tensor | None): Temperatures of the last call,
            kept for logging.
    """

    def __init__(self) -> None:
        super().__init__()
        self.last_temperature: Optional[Tensor] = None

    def forward(self,
                instances: InstanceStates,
                image_index: Tensor,
                image_ids: Optional[Tensor] = None
                ) -> Tuple[Tensor, Optional[Tensor]]:
        """Return the temperatures (N,) and optional KD weights (N,).

        Args:
            instances (InstanceStates): States of the batch's KD instances.
            image_index (Tensor): Position in the batch of the image each
                instance belongs to, shape (N,).
            image_ids (Tensor, optional): Dataset-wide id of each image of
                the batch, shape (B,).
        """
        raise NotImplementedError

    def _remember(self, temperature: Tensor) -> Tensor:
        self.last_temperature = temperature.detach()
        return temperature


def scatter_mean(values: Tensor, index: Tensor, size: int) -> Tuple[Tensor,
                                                                     Tensor]:
    """Average ``values`` per group.

    Returns:
        tuple[Tensor, Tensor]: Group means of shape (size,) and a mask of the
        groups that had at least one value.
    """
    sums = values.new_zeros(size).index_add(0, index, values)
    counts = values.new_zeros(size).index_add(0, index,
                                              torch.ones_like(values))
    return sums / counts.clamp_min(1), counts > 0
