"""LD head whose distillation temperatures come from a temperature source."""
from typing import List, Optional, Tuple

import torch
from mmdet.models.dense_heads import LDHead
from mmdet.models.utils import unpack_gt_instances
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.structures.bbox import bbox_overlaps
from mmdet.utils import ConfigType, InstanceList, OptConfigType, reduce_mean
from torch import Tensor

from rlkd_mmdet.rl import build_instance_states
from ..losses import InstanceKDLoss
from ..temperature import BaseTemperatureSource


def flatten_levels(maps: List[Tensor], channels: int) -> Tensor:
    """Flatten (B, A*C, H, W) maps of all levels into (sum of B*H*W*A, C)."""
    return torch.cat(
        [m.permute(0, 2, 3, 1).reshape(-1, channels) for m in maps])


@MODELS.register_module()
class RLKDLDHead(LDHead):
    """Localisation-distillation head with one temperature per location.

    Every positive location is a KD instance. Its state comes from the
    classification scores (sigmoid) of the ground-truth class it is assigned
    to. Its temperature softens the teacher's and the student's box-edge
    distributions (all four edges of a location share it) in the LD term.
    When ``loss_kd_cls`` is set, the same temperature also enters a binary
    KD term on the classification logits: each class logit is divided by
    ``T_i`` before its sigmoid, and the loss is ``T_i^2`` times the binary
    KL between teacher and student.

    All levels are processed together, so the temperature source is called
    once per batch. The losses equal :class:`LDHead`'s for equal
    temperatures.

    Args:
        num_classes (int): Number of foreground classes.
        in_channels (int): Channels of the input feature maps.
        loss_ld (dict): Config of the LD loss; must build an
            :class:`InstanceKDLoss`. Defaults to
            ``dict(type='InstanceKDLoss', loss_weight=0.25)``.
        loss_kd_cls (dict, optional): Config of the KD loss on
            classification logits (an :class:`InstanceKDLoss` with
            ``mode='sigmoid'``). Defaults to None (off).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 loss_ld: ConfigType = dict(
                     type='InstanceKDLoss', loss_weight=0.25),
                 loss_kd_cls: OptConfigType = None,
                 **kwargs) -> None:
        super().__init__(
            num_classes=num_classes,
            in_channels=in_channels,
            loss_ld=loss_ld,
            **kwargs)
        if not isinstance(self.loss_ld, InstanceKDLoss):
            raise TypeError(
                f'loss_ld of RLKDLDHead must be InstanceKDLoss, got '
                f'{type(self.loss_ld).__name__}; use loss_ld=dict('
                "type='InstanceKDLoss', loss_weight=0.25)")
        self.loss_kd_cls = MODELS.build(loss_kd_cls) if loss_kd_cls else None

    def loss(self,
             x: Tuple[Tensor],
             out_teacher: Tuple[List[Tensor], List[Tensor]],
             batch_data_samples: SampleList,
             temperature_source: Optional[BaseTemperatureSource] = None,
             image_ids: Optional[Tensor] = None) -> dict:
        """Compute the losses of a batch.

        Args:
            x (tuple[Tensor]): Student features of every level.
            out_teacher (tuple): Teacher head outputs ``(cls_scores,
                bbox_preds)``.
            batch_data_samples (list[DetDataSample]): Ground truth.
            temperature_source (BaseTemperatureSource): Gives the
                temperature of each positive location.
            image_ids (Tensor, optional): Dataset id of each image, for
                tracking uncertainty.

        Returns:
            dict[str, Tensor]: Loss components.
        """
        if temperature_source is None:
            raise ValueError('RLKDLDHead.loss needs a temperature_source')
        batch_gt_instances, batch_gt_instances_ignore, batch_img_metas = \
            unpack_gt_instances(batch_data_samples)
        cls_scores, bbox_preds = self(x)
        return self.loss_by_feat(
            cls_scores,
            bbox_preds,
            batch_gt_instances,
            batch_img_metas,
            out_teacher,
            temperature_source,
            image_ids,
            batch_gt_instances_ignore=batch_gt_instances_ignore)

    def loss_by_feat(self,
                     cls_scores: List[Tensor],
                     bbox_preds: List[Tensor],
                     batch_gt_instances: InstanceList,
                     batch_img_metas: List[dict],
                     out_teacher: Tuple[List[Tensor], List[Tensor]],
                     temperature_source: BaseTemperatureSource,
                     image_ids: Optional[Tensor] = None,
                     batch_gt_instances_ignore=None) -> dict:
        """Compute the losses from head outputs of every level."""
        teacher_cls_scores, teacher_bbox_preds = out_teacher
        featmap_sizes = [featmap.size()[-2:] for featmap in cls_scores]
        device = cls_scores[0].device
        num_images = cls_scores[0].size(0)
        anchor_list, valid_flag_list = self.get_anchors(
            featmap_sizes, batch_img_metas, device=device)
        (anchor_list, labels_list, label_weights_list, bbox_targets_list,
         _, avg_factor) = self.get_targets(
             anchor_list,
             valid_flag_list,
             batch_gt_instances,
             batch_img_metas,
             batch_gt_instances_ignore=batch_gt_instances_ignore)
        avg_factor = reduce_mean(
            torch.tensor(avg_factor, dtype=torch.float, device=device)).item()

        # One row per anchor of every level, level by level and image by
        # image inside a level, the order of LDHead.loss_by_feat_single.
        bins = 4 * (self.reg_max + 1)
        cls_score = flatten_levels(cls_scores, self.cls_out_channels)
        bbox_pred = flatten_levels(bbox_preds, bins)
        teacher_cls = flatten_levels(teacher_cls_scores,
                                      self.cls_out_channels)
        soft_targets = flatten_levels(teacher_bbox_preds, bins)
        anchors = torch.cat([a.reshape(-1, 4) for a in anchor_list])
        labels = torch.cat([lab.reshape(-1) for lab in labels_list])
        label_weights = torch.cat([w.reshape(-1) for w in label_weights_list])
        bbox_targets = torch.cat([t.reshape(-1, 4) for t in bbox_targets_list])
        strides = torch.cat([
            anchors.new_full((a.numel() // 4, ), float(s[0]))
            for a, s in zip(anchor_list, self.prior_generator.strides)
        ])
        image_index = torch.cat([
            torch.arange(num_images, device=device).repeat_interleave(
                lab.size(1)) for lab in labels_list
        ])

        pos_inds = ((labels >= 0) & (labels < self.num_classes)).nonzero(
            as_tuple=True)[0]
        score = label_weights.new_zeros(labels.shape)
        losses = dict()
        if len(pos_inds) > 0:
            losses.update(
                self._positive_losses(pos_inds, cls_score, bbox_pred,
                                      teacher_cls, soft_targets, anchors,
                                      labels, bbox_targets, strides,
                                      image_index, score, temperature_source,
                                      image_ids))
        else:
            zero = bbox_pred.sum() * 0
            losses.update(
                loss_bbox=zero, loss_dfl=zero, loss_ld=zero,
                weight_sum=bbox_pred.new_tensor(0.))
            if self.loss_kd_cls is not None:
                losses['loss_kd_cls'] = cls_score.sum() * 0

        losses['loss_cls'] = self.loss_cls(
            cls_score, (labels, score),
            weight=label_weights,
            avg_factor=avg_factor)

        weight_sum = reduce_mean(losses.pop('weight_sum') + 1e-6).item()
        losses['loss_bbox'] = losses['loss_bbox'] / weight_sum
        losses['loss_dfl'] = losses['loss_dfl'] / weight_sum
        return losses

    def _positive_losses(self, pos_inds, cls_score, bbox_pred, teacher_cls,
                         soft_targets, anchors, labels, bbox_targets,
                         strides, image_index, score, temperature_source,
                         image_ids) -> dict:
        pos_strides = strides[pos_inds]
        pos_bbox_pred = bbox_pred[pos_inds]
        pos_anchor_centers = self.anchor_center(
            anchors[pos_inds]) / pos_strides[:, None]
        pos_decode_bbox_targets = bbox_targets[pos_inds] / pos_strides[:,
                                                                        None]

        student_scores = cls_score.detach().sigmoid()
        weight_targets = student_scores.max(dim=1)[0][pos_inds]
        pos_decode_bbox_pred = self.bbox_coder.decode(
            pos_anchor_centers, self.integral(pos_bbox_pred))
        score[pos_inds] = bbox_overlaps(
            pos_decode_bbox_pred.detach(),
            pos_decode_bbox_targets,
            is_aligned=True)
        pred_corners = pos_bbox_pred.reshape(-1, self.reg_max + 1)
        soft_corners = soft_targets[pos_inds].reshape(-1, self.reg_max + 1)
        target_corners = self.bbox_coder.encode(pos_anchor_centers,
                                                pos_decode_bbox_targets,
                                                self.reg_max).reshape(-1)
        edge_weight = weight_targets[:, None].expand(-1, 4).reshape(-1)

        instances = build_instance_states(
            teacher_cls[pos_inds].sigmoid(), student_scores[pos_inds],
            labels[pos_inds])
        temperature, kd_weight = temperature_source(instances,
                                                    image_index[pos_inds],
                                                    image_ids)
        kd_instance_weight = weight_targets
        if kd_weight is not None:
            kd_instance_weight = weight_targets * kd_weight

        losses = dict(
            loss_bbox=self.loss_bbox(
                pos_decode_bbox_pred,
                pos_decode_bbox_targets,
                weight=weight_targets,
                avg_factor=1.0),
            loss_dfl=self.loss_dfl(
                pred_corners, target_corners, weight=edge_weight,
                avg_factor=4.0),
            loss_ld=self.loss_ld(
                pred_corners,
                soft_corners,
                temperature.repeat_interleave(4),
                weight=kd_instance_weight[:, None].expand(-1, 4).reshape(-1),
                avg_factor=4.0),
            weight_sum=weight_targets.sum())
        if self.loss_kd_cls is not None:
            losses['loss_kd_cls'] = self.loss_kd_cls(
                cls_score[pos_inds],
                teacher_cls[pos_inds],
                temperature,
                weight=kd_instance_weight,
                avg_factor=max(len(pos_inds), 1))
        return losses
