"""Decoupled knowledge distillation (DKD) with one temperature per instance.

DKD (Zhao et al., "Decoupled Knowledge Distillation", CVPR 2022) splits the
classic KD loss into two terms. The target-class term (TCKD) is the KL
divergence between the binary distributions ``[p_gt, 1 - p_gt]`` of teacher
and student. The non-target term (NCKD) is the KL divergence between their
distributions over the other classes, renormalised without the ground-truth
class. The loss of row ``i`` is ``T_i^2 * (alpha * TCKD_i + beta *
NCKD_i)``, where both terms soften the logits with the row's own
temperature ``T_i``.
"""
from typing import Optional

import torch
import torch.nn.functional as F
from mmdet.models.losses.utils import weighted_loss
from mmdet.registry import MODELS
from torch import Tensor, nn

# Distance below the smallest logit of a row at which the ground-truth logit
# is placed to drop it from the non-target softmax. exp(-1e4) is exactly 0 in
# float32, and every value stays finite, unlike masking with -inf.
GT_MASK_MARGIN = 1e4


def _mask_ground_truth(logits: Tensor, gt_mask: Tensor) -> Tensor:
    """Move the ground-truth logit of each row far below the row's minimum."""
    floor = logits.detach().min(dim=1, keepdim=True).values - GT_MASK_MARGIN
    return torch.where(gt_mask, floor, logits)


def _binary_log_probs(logits: Tensor, gt_mask: Tensor) -> Tensor:
    """Compute ``log [p_gt, 1 - p_gt]`` of softmax(logits), shape (N, 2).

    Both entries come from log-sum-exps, so ``1 - p_gt`` keeps its precision
    when ``p_gt`` rounds to 1 in float32.
    """
    log_total = logits.logsumexp(dim=1)
    log_gt = logits.masked_select(gt_mask) - log_total
    log_other = _mask_ground_truth(logits, gt_mask).logsumexp(dim=1) - log_total
    return torch.stack([log_gt, log_other], dim=1)


@weighted_loss
def instance_dkd_loss(pred: Tensor,
                      soft_label: Tensor,
                      labels: Tensor,
                      temperature: Tensor,
                      alpha: float = 1.0,
                      beta: float = 8.0) -> Tensor:
    """Compute the DKD loss of every row with the row's own temperature.

    Args:
        pred (Tensor): Student logits of shape (N, C), C >= 2.
        soft_label (Tensor): Teacher logits of shape (N, C). No gradient
            flows into them.
        labels (Tensor): Ground-truth class indices of shape (N,).
        temperature (Tensor): Temperatures of shape (N,), all positive.
        alpha (float): Weight of TCKD. Defaults to 1.0.
        beta (float): Weight of NCKD. Defaults to 8.0.

    Returns:
        Tensor: ``T_i^2 * (alpha * TCKD_i + beta * NCKD_i)`` in float32,
        shape (N,).
    """
    if pred.shape != soft_label.shape:
        raise ValueError(f'student logits {tuple(pred.shape)} and teacher '
                         f'logits {tuple(soft_label.shape)} differ in shape')
    if pred.dim() != 2 or pred.size(1) < 2:
        raise ValueError('DKD needs logits of shape (N, C) with C >= 2, got '
                         f'{tuple(pred.shape)}')
    num = pred.size(0)
    if labels.shape != (num, ):
        raise ValueError(f'labels must have shape ({num},), got '
                         f'{tuple(labels.shape)}')
    if temperature.shape != (num, ):
        raise ValueError(f'temperature must have shape ({num},), one value '
                         f'per instance, got {tuple(temperature.shape)}')

    temperature = temperature.float()[:, None]
    student = pred.float() / temperature
    teacher = soft_label.detach().float() / temperature
    gt_mask = F.one_hot(labels.long(), pred.size(1)).bool()

    tckd = F.kl_div(
        _binary_log_probs(student, gt_mask),
        _binary_log_probs(teacher, gt_mask),
        reduction='none',
        log_target=True).sum(dim=1)

    # With the ground truth masked, the teacher's probability there is 0 and
    # its log-probability finite, so that class adds exactly 0 to the sum.
    nckd = F.kl_div(
        F.log_softmax(_mask_ground_truth(student, gt_mask), dim=1),
        F.log_softmax(_mask_ground_truth(teacher, gt_mask), dim=1),
        reduction='none',
        log_target=True).sum(dim=1)

    return temperature[:, 0].pow(2) * (alpha * tckd + beta * nckd)


@MODELS.register_module()
class InstanceDKDLoss(nn.Module):
    """DKD loss whose temperature is a tensor with one value per instance.

    With every temperature equal to ``T`` and ``reduction='mean'`` it is the
    DKD loss of the paper: ``T^2 * (alpha * TCKD + beta * NCKD)`` averaged
    over the batch.

    Warm-up: DKD ramps its loss up linearly over the first epochs. Given the
    0-based ``epoch``, the loss is multiplied by ``min((epoch + 1) /
    warmup_epochs, 1)``, so the first epoch trains with ``1 /
    warmup_epochs`` of the loss. Without an epoch, or with
    ``warmup_epochs=0``, the factor is 1.

    Args:
        alpha (float): Weight of TCKD. Defaults to 1.0.
        beta (float): Weight of NCKD. The CIFAR-100 configs of mdistiller,
            the DKD authors' code, use 8.0 by default and 2.0 or 6.0 for
            some pairs. Defaults to 8.0.
        warmup_epochs (int): Epochs of the linear warm-up, or 0 for none.
            Defaults to 20.
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'`` over instances.
            Defaults to ``'mean'``.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
    """

    def __init__(self,
                 alpha: float = 1.0,
                 beta: float = 8.0,
                 warmup_epochs: int = 20,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if alpha < 0 or beta < 0:
            raise ValueError('alpha and beta must be non-negative, got '
                             f'alpha={alpha}, beta={beta}')
        if int(warmup_epochs) != warmup_epochs or warmup_epochs < 0:
            raise ValueError('warmup_epochs must be an integer >= 0, got '
                             f'{warmup_epochs!r}')
        if reduction not in ('none', 'mean', 'sum'):
            raise ValueError("reduction must be 'none', 'mean' or 'sum', got"
                             f' {reduction!r}')
        self.alpha = float(alpha)
        self.beta = float(beta)
        self.warmup_epochs = int(warmup_epochs)
        self.reduction = reduction
        self.loss_weight = loss_weight

    def warmup_factor(self, epoch: Optional[int]) -> float:
        """Return the warm-up multiplier of the 0-based ``epoch``."""
        if epoch is None or self.warmup_epochs == 0:
            return 1.0
        return min((epoch + 1) / self.warmup_epochs, 1.0)

    def forward(self,
                pred: Tensor,
                soft_label: Tensor,
                labels: Tensor,
                temperature: Tensor,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                epoch: Optional[int] = None,
                reduction_override: Optional[str] = None) -> Tensor:
        """Compute the weighted, reduced loss.

        Args:
            pred (Tensor): Student logits of shape (N, C).
            soft_label (Tensor): Teacher logits of shape (N, C).
            labels (Tensor): Ground-truth class indices of shape (N,).
            temperature (Tensor): Temperatures of shape (N,).
            weight (Tensor, optional): Weight of each instance, shape (N,).
            avg_factor (float, optional): Divisor of the summed loss.
            epoch (int, optional): 0-based training epoch, for the warm-up.
            reduction_override (str, optional): Replaces ``reduction``.

        Returns:
            Tensor: The loss.
        """
        reduction = reduction_override or self.reduction
        loss = instance_dkd_loss(
            pred,
            soft_label,
            weight,
            reduction=reduction,
            avg_factor=avg_factor,
            labels=labels,
            temperature=temperature,
            alpha=self.alpha,
            beta=self.beta)
        return self.loss_weight * self.warmup_factor(epoch) * loss
