"""Temperatures and loss of logit-standardised KD.

Logit standardisation (Sun et al., "Logit Standardization in Knowledge
Distillation", CVPR 2024) z-scores each row of logits before the softmax:
``softmax((z - mean(z)) / (tau * std(z)))``. The softmax ignores the shift by
``mean(z)``, so this equals ``softmax(z / (tau * std(z)))``: a per-instance
temperature ``tau * std(z)``.

Teacher and student have different stds, but :class:`InstanceKDLoss` divides
both logits by one temperature. This module offers the two ways around that:

* :class:`LogitStandardTemperature` with logits passed as keyword arguments
  returns ``tau * (std(teacher_i) + eps)``, which standardises the teacher
  exactly and the student only approximately (its logits are scaled by the
  teacher's std, not its own).
* :class:`LogitStandardKDLoss`, an :class:`InstanceKDLoss` that z-scores the
  teacher's and the student's logits separately before applying the
  temperature, gives the exact method. The distillers of this project call
  temperature sources without logits, so the LS configs pair this loss with
  a :class:`LogitStandardTemperature` that then returns ``tau``.
"""
from typing import Optional, Tuple

from mmdet.registry import MODELS
from torch import Tensor

from rlkd_mmdet.rl import InstanceStates
from ..losses.instance_kd_loss import InstanceKDLoss
from .base import BaseTemperatureSource


def standardize_logits(logits: Tensor, eps: float = 1e-7) -> Tensor:
    """Z-score every row of ``logits``.

    Args:
        logits (Tensor): Logits of shape (N, C).
        eps (float): Added to the std, so constant rows stay finite.
            Defaults to 1e-7.

    Returns:
        Tensor: ``(logits - mean) / (std + eps)`` per row, float32.
    """
    logits = logits.float()
    mean = logits.mean(dim=1, keepdim=True)
    std = logits.std(dim=1, keepdim=True, unbiased=False)
    return (logits - mean) / (std + eps)


@MODELS.register_module()
class LogitStandardTemperature(BaseTemperatureSource):
    """Give each instance the temperature of logit standardisation.

    Called with ``teacher_logits`` (or, without them, ``student_logits``),
    instance ``i`` gets ``base_temperature * (std(z_i) + eps)``, the
    population std of its logit row. Called without logits, as the
    distillers of this project call sources, every instance gets
    ``base_temperature``; pair the source with :class:`LogitStandardKDLoss`
    then, which standardises both logits inside the loss.

    Args:
        base_temperature (float): The temperature ``tau`` applied to the
            standardised logits. Defaults to 2.0, the value of the LS-KD
            paper's CIFAR-100 setting.
        eps (float): Added to the std, so constant rows keep a positive
            temperature. Defaults to 1e-7.
    """

    def __init__(self,
                 base_temperature: float = 2.0,
                 eps: float = 1e-7) -> None:
        super().__init__()
        if base_temperature <= 0:
            raise ValueError('base_temperature must be positive, got '
                             f'{base_temperature}')
        if eps <= 0:
            raise ValueError(f'eps must be positive, got {eps}')
        self.base_temperature = float(base_temperature)
        self.eps = float(eps)

    def forward(self,
                instances: InstanceStates,
                image_index: Tensor,
                image_ids: Optional[Tensor] = None,
                teacher_logits: Optional[Tensor] = None,
                student_logits: Optional[Tensor] = None
                ) -> Tuple[Tensor, Optional[Tensor]]:
        """Return the temperatures (N,) and no KD weights.

        Args:
            instances (InstanceStates): States of the batch's KD instances.
            image_index (Tensor): Unused; kept for the common interface.
            image_ids (Tensor, optional): Unused.
            teacher_logits (Tensor, optional): Teacher logits of the
                instances, shape (N, C). Takes precedence over
                ``student_logits``.
            student_logits (Tensor, optional): Student logits, shape
                (N, C), used when no teacher logits are given.
        """
        logits = teacher_logits if teacher_logits is not None \
            else student_logits
        if logits is None:
            temperature = instances.states.new_full((len(instances), ),
                                                    self.base_temperature)
            return self._remember(temperature), None

        if logits.dim() != 2 or logits.size(0) != len(instances):
            raise ValueError(
                f'logits must have shape ({len(instances)}, C), one row per '
                f'instance, got {tuple(logits.shape)}')
        std = logits.detach().float().std(dim=1, unbiased=False)
        temperature = self.base_temperature * (std + self.eps)
        return self._remember(temperature), None


@MODELS.register_module()
class LogitStandardKDLoss(InstanceKDLoss):
    """KD loss on logits z-scored separately for teacher and student.

    Each row of ``pred`` and ``soft_label`` is standardised (zero mean, unit
    std) before :class:`InstanceKDLoss` divides it by the temperature and
    takes the KL divergence, so with temperature ``tau`` this is LS-KD's
    loss ``tau^2 * KL(softmax(Z(t) / tau) || softmax(Z(s) / tau))``. Only
    ``mode='softmax'`` is supported.

    Args:
        eps (float): Added to each row's std. Defaults to 1e-7.
        **kwargs: ``class_reduction``, ``reduction`` and ``loss_weight`` of
            :class:`InstanceKDLoss`.
    """

    def __init__(self, eps: float = 1e-7, **kwargs) -> None:
        mode = kwargs.pop('mode', 'softmax')
        if mode != 'softmax':
            raise ValueError(
                "LogitStandardKDLoss supports only mode='softmax', got "
                f'{mode!r}')
        super().__init__(mode='softmax', **kwargs)
        if eps <= 0:
            raise ValueError(f'eps must be positive, got {eps}')
        self.eps = float(eps)

    def forward(self,
                pred: Tensor,
                soft_label: Tensor,
                temperature: Tensor,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> Tensor:
        """Standardise both logits, then compute :class:`InstanceKDLoss`."""
        return super().forward(
            standardize_logits(pred, self.eps),
            standardize_logits(soft_label, self.eps),
            temperature,
            weight=weight,
            avg_factor=avg_factor,
            reduction_override=reduction_override)
