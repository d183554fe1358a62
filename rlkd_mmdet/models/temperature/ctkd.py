"""Temperatures learnt adversarially, as in Curriculum Temperature KD.

CTKD (Li et al., "Curriculum Temperature for Knowledge Distillation", AAAI
2023) learns the KD temperature together with the student. The temperature
ascends the KD loss while the student descends it: a gradient-reversal layer
between the temperature and the loss multiplies the temperature's gradient by
``-lambda``, and ``lambda`` grows along a cosine curriculum, so distillation
gets harder as training goes on.
"""
import math
from typing import Optional, Tuple

import torch
from mmdet.registry import MODELS
from mmengine.logging import MessageHub
from torch import Tensor, nn

from rlkd_mmdet.rl import STATE_DIM, InstanceStates
from .base import BaseTemperatureSource


class _GradientReversal(torch.autograd.Function):
    """Identity forward, gradient times ``-coefficient`` backward."""

    @staticmethod
    def forward(ctx, inputs: Tensor, coefficient: float) -> Tensor:
        ctx.coefficient = coefficient
        return inputs.view_as(inputs)

    @staticmethod
    def backward(ctx, grad_output: Tensor) -> Tuple[Tensor, None]:
        return -ctx.coefficient * grad_output, None


def gradient_reversal(inputs: Tensor, coefficient: float) -> Tensor:
    """Pass ``inputs`` through and multiply their gradient by ``-coefficient``.

    Args:
        inputs (Tensor): Any tensor.
        coefficient (float): Scale of the reversed gradient.

    Returns:
        Tensor: ``inputs`` unchanged.
    """
    return _GradientReversal.apply(inputs, coefficient)


def cosine_curriculum(epoch: float, lambda_min: float, lambda_max: float,
                      curriculum_epochs: int) -> float:
    """Compute CTKD's gradient-reversal coefficient at ``epoch``.

    ``lambda = lambda_min + (lambda_max - lambda_min) * (1 + cos(pi * (1 +
    e / E))) / 2`` with ``e`` clipped to ``[0, E]``: ``lambda_min`` at epoch
    0, their mean at ``E / 2`` and ``lambda_max`` from ``E`` on.

    Args:
        epoch (float): Current epoch, counted from 0.
        lambda_min (float): Coefficient at epoch 0.
        lambda_max (float): Coefficient from ``curriculum_epochs`` on.
        curriculum_epochs (int): Length ``E`` of the curriculum in epochs.

    Returns:
        float: The coefficient.
    """
    progress = min(max(float(epoch), 0.0), float(curriculum_epochs))
    progress /= curriculum_epochs
    return lambda_min + 0.5 * (lambda_max - lambda_min) * (
        1.0 + math.cos(math.pi * (1.0 + progress)))


@MODELS.register_module()
class CTKDTemperature(BaseTemperatureSource):
    """Learn the KD temperature against the student, as CTKD does.

    The raw output ``t`` (one global parameter, or an MLP on each instance's
    state ``[p_teacher_gt, p_student_gt, student top-1 margin]``) goes
    through a gradient-reversal layer and is mapped to
    ``min_temperature + (max_temperature - min_temperature) * sigmoid(t)``,
    by default ``1 + 20 * sigmoid(t)`` in [1, 21] as CTKD. The parameters
    are submodules of the distiller, so the model's optimizer trains them.

    The current epoch is read from mmengine's message hub (``'epoch'``,
    0 when not set, e.g. outside a runner).

    Args:
        mode (str): ``'global'`` for one temperature shared by all
            instances, ``'instance'`` for an MLP on each instance's state.
            Defaults to ``'global'``.
        lambda_min (float): Reversal coefficient at epoch 0. Defaults to
            0.0.
        lambda_max (float): Reversal coefficient at the end of the
            curriculum. Defaults to 1.0.
        curriculum_epochs (int): Epochs over which the coefficient grows.
            Defaults to 10.
        min_temperature (float): Lower bound of the temperature. Defaults
            to 1.0.
        max_temperature (float): Upper bound of the temperature. Defaults
            to 21.0.
        initial_temperature (float): Temperature at initialisation, inside
            the bounds; an instance-wise MLP starts with zero output weights,
            so every instance starts at it. Defaults to 4.0.
        hidden_dim (int): Width of the instance-wise MLP. Defaults to 16.
    """

    def __init__(self,
                 mode: str = 'global',
                 lambda_min: float = 0.0,
                 lambda_max: float = 1.0,
                 curriculum_epochs: int = 10,
                 min_temperature: float = 1.0,
                 max_temperature: float = 21.0,
                 initial_temperature: float = 4.0,
                 hidden_dim: int = 16) -> None:
        super().__init__()
        if mode not in ('global', 'instance'):
            raise ValueError(
                f"mode must be 'global' or 'instance', got {mode!r}")
        if not 0 <= lambda_min <= lambda_max:
            raise ValueError('need 0 <= lambda_min <= lambda_max, got '
                             f'lambda_min={lambda_min}, '
                             f'lambda_max={lambda_max}')
        if curriculum_epochs < 1:
            raise ValueError('curriculum_epochs must be at least 1, got '
                             f'{curriculum_epochs}')
        if not 0 < min_temperature < max_temperature:
            raise ValueError(
                'need 0 < min_temperature < max_temperature, got '
                f'min_temperature={min_temperature}, '
                f'max_temperature={max_temperature}')
        if not min_temperature < initial_temperature < max_temperature:
            raise ValueError(
                f'initial_temperature must lie strictly inside '
                f'({min_temperature}, {max_temperature}), got '
                f'{initial_temperature}')
        self.mode = mode
        self.lambda_min = float(lambda_min)
        self.lambda_max = float(lambda_max)
        self.curriculum_epochs = int(curriculum_epochs)
        self.min_temperature = float(min_temperature)
        self.temperature_range = float(max_temperature - min_temperature)

        # Inverse of the sigmoid map, so the source starts at
        # initial_temperature.
        fraction = (initial_temperature -
                    min_temperature) / self.temperature_range
        initial_logit = math.log(fraction / (1.0 - fraction))
        if mode == 'global':
            self.logit = nn.Parameter(torch.tensor(initial_logit))
        else:
            self.mlp = nn.Sequential(
                nn.Linear(STATE_DIM, hidden_dim), nn.ReLU(inplace=True),
                nn.Linear(hidden_dim, 1))
            nn.init.zeros_(self.mlp[2].weight)
            nn.init.constant_(self.mlp[2].bias, initial_logit)

    def current_lambda(self) -> float:
        """Return the reversal coefficient of the message hub's epoch."""
        epoch = MessageHub.get_current_instance().get_info('epoch', 0)
        return cosine_curriculum(epoch or 0, self.lambda_min,
                                 self.lambda_max, self.curriculum_epochs)

    def forward(self,
                instances: InstanceStates,
                image_index: Tensor,
                image_ids: Optional[Tensor] = None
                ) -> Tuple[Tensor, Optional[Tensor]]:
        """Return the temperatures (N,) and no KD weights.

        Args:
            instances (InstanceStates): States of the batch's KD instances.
            image_index (Tensor): Unused; kept for the common interface.
            image_ids (Tensor, optional): Unused.
        """
        states = instances.states
        if self.mode == 'global':
            logit = self.logit.to(states.dtype).expand(len(instances))
        else:
            logit = self.mlp(states)[:, 0]
        logit = gradient_reversal(logit, self.current_lambda())
        temperature = self.min_temperature + \
            self.temperature_range * logit.sigmoid()
        return self._remember(temperature), None
