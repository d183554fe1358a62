"""KD losses with one temperature per instance."""
from typing import Optional

import torch
import torch.nn.functional as F
from mmdet.models.losses.utils import weighted_loss
from mmdet.registry import MODELS
from torch import Tensor, nn


def _check_temperature(temperature: Tensor, num: int) -> Tensor:
    if temperature.dim() != 1 or temperature.numel() != num:
        raise ValueError(
            f'temperature must have shape ({num},), one value per '
            f'instance, got {tuple(temperature.shape)}')
    return temperature.float()[:, None]


@weighted_loss
def instance_kd_kl_div_loss(pred: Tensor,
                            soft_label: Tensor,
                            temperature: Tensor,
                            class_reduction: str = 'mean',
                            detach_target: bool = True) -> Tensor:
    r"""KL divergence between softened distributions, one T per row.

    Computes ``T_i^2 * KL(softmax(soft_label_i / T_i) || softmax(pred_i /
    T_i))`` in float32 for every row ``i``.

    Args:
        pred (Tensor): Student logits of shape (N, C).
        soft_label (Tensor): Teacher logits of shape (N, C).
        temperature (Tensor): Temperatures of shape (N,).
        class_reduction (str): ``'mean'`` averages the KL terms over the
            classes (as mmdet's ``KnowledgeDistillationKLDivLoss``),
            ``'sum'`` adds them (the textbook KL). Defaults to ``'mean'``.
        detach_target (bool): Stop gradients into the teacher logits.
            Defaults to True.

    Returns:
        Tensor: Loss of each row, shape (N,).
    """
    if pred.shape != soft_label.shape:
        raise ValueError(f'student logits {tuple(pred.shape)} and teacher '
                         f'logits {tuple(soft_label.shape)} differ in shape')
    temperature = _check_temperature(temperature, pred.size(0))
    target = F.softmax(soft_label.float() / temperature, dim=1)
    if detach_target:
        target = target.detach()
    kl = F.kl_div(
        F.log_softmax(pred.float() / temperature, dim=1),
        target,
        reduction='none')
    kl = kl.mean(1) if class_reduction == 'mean' else kl.sum(1)
    return kl * temperature[:, 0].pow(2)


@weighted_loss
def instance_kd_binary_loss(pred: Tensor,
                            soft_label: Tensor,
                            temperature: Tensor,
                            class_reduction: str = 'mean',
                            detach_target: bool = True) -> Tensor:
    r"""Binary KD between sigmoid scores, one T per row.

    For sigmoid classifiers every class is an independent Bernoulli: the
    temperature divides each logit before the sigmoid, and the loss is
    ``T_i^2`` times the binary KL between teacher and student, reduced over
    the classes.

    Args:
        pred (Tensor): Student logits of shape (N, C).
        soft_label (Tensor): Teacher logits of shape (N, C).
        temperature (Tensor): Temperatures of shape (N,).
        class_reduction (str): ``'mean'`` or ``'sum'`` over classes.
            Defaults to ``'mean'``.
        detach_target (bool): Stop gradients into the teacher logits.
            Defaults to True.

    Returns:
        Tensor: Loss of each row, shape (N,).
    """
    if pred.shape != soft_label.shape:
        raise ValueError(f'student logits {tuple(pred.shape)} and teacher '
                         f'logits {tuple(soft_label.shape)} differ in shape')
    temperature = _check_temperature(temperature, pred.size(0))
    target_logits = soft_label.float() / temperature
    if detach_target:
        target_logits = target_logits.detach()
    target = target_logits.sigmoid()
    student_logits = pred.float() / temperature
    # KL(Bernoulli(t) || Bernoulli(s)) = BCE(s, t) - H(t).
    cross = F.binary_cross_entropy_with_logits(
        student_logits, target, reduction='none')
    entropy = F.binary_cross_entropy_with_logits(
        target_logits, target, reduction='none')
    kl = cross - entropy
    kl = kl.mean(1) if class_reduction == 'mean' else kl.sum(1)
    return kl * temperature[:, 0].pow(2)


@MODELS.register_module()
class InstanceKDLoss(nn.Module):
    """KD loss whose temperature is a tensor with one value per instance.

    With every temperature equal to ``T`` and ``mode='softmax'`` it equals
    mmdet's ``KnowledgeDistillationKLDivLoss(T=T)``.

    Args:
        mode (str): ``'softmax'`` for a distribution over the classes (or
            over the bins of a box-edge distribution), ``'sigmoid'`` for
            independent per-class scores. Defaults to ``'softmax'``.
        class_reduction (str): ``'mean'`` or ``'sum'`` over classes.
            Defaults to ``'mean'``.
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'`` over instances.
            Defaults to ``'mean'``.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
    """

    def __init__(self,
                 mode: str = 'softmax',
                 class_reduction: str = 'mean',
                 reduction: str = 'mean',
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if mode not in ('softmax', 'sigmoid'):
            raise ValueError(
                f"mode must be 'softmax' or 'sigmoid', got {mode!r}")
        if class_reduction not in ('mean', 'sum'):
            raise ValueError("class_reduction must be 'mean' or 'sum', got "
                             f'{class_reduction!r}')
        if reduction not in ('none', 'mean', 'sum'):
            raise ValueError("reduction must be 'none', 'mean' or 'sum', got"
                             f' {reduction!r}')
        self.mode = mode
        self.class_reduction = class_reduction
        self.reduction = reduction
        self.loss_weight = loss_weight

    def forward(self,
                pred: Tensor,
                soft_label: Tensor,
                temperature: Tensor,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> Tensor:
        """Compute the weighted, reduced loss.

        Args:
            pred (Tensor): Student logits of shape (N, C).
            soft_label (Tensor): Teacher logits of shape (N, C).
            temperature (Tensor): Temperatures of shape (N,).
            weight (Tensor, optional): Weight of each instance, shape (N,).
            avg_factor (float, optional): Divisor of the summed loss.
            reduction_override (str, optional): Replaces ``reduction``.

        Returns:
            Tensor: The loss.
        """
        reduction = reduction_override or self.reduction
        loss_fn = (instance_kd_kl_div_loss
                   if self.mode == 'softmax' else instance_kd_binary_loss)
        return self.loss_weight * loss_fn(
            pred,
            soft_label,
            weight,
            reduction=reduction,
            avg_factor=avg_factor,
            temperature=temperature,
            class_reduction=self.class_reduction)
