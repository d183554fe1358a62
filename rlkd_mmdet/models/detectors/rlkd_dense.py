"""Dense-head distiller: binary KD on sigmoid scores, one T per location."""
from pathlib import Path
from typing import List, Optional, Tuple, Union

import torch
from mmdet.models.dense_heads import (AnchorHead, ATSSHead, FCOSHead,
                                      GFLHead)
from mmdet.models.utils import unpack_gt_instances
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.utils import (ConfigType, InstanceList, OptConfigType,
                         OptInstanceList, OptMultiConfig, reduce_mean)
from torch import Tensor, nn

from rlkd_mmdet.rl import build_instance_states
from ..dense_heads.rlkd_ld_head import flatten_levels
from ..losses import InstanceKDLoss
from .rlkd_single_stage import RLKDSingleStageDetector, _image_ids
from .rlkd_two_stage import check_input_normalization
from .teacher import describe_teacher_config

# Positions of the labels and the label weights in the tuple returned by
# each supported anchor-based `get_targets`. ATSSHead and GFLHead return the
# anchors of each level first.
_ANCHOR_TARGETS = {
    AnchorHead.get_targets: (0, 1),
    ATSSHead.get_targets: (1, 2),
    GFLHead.get_targets: (1, 2),
}
_POINT_TARGETS = (FCOSHead.get_targets, )


def _target_family(head: nn.Module) -> str:
    """Return ``'anchor'`` or ``'point'``: how the head assigns targets.

    Raises:
        TypeError: If the head's ``get_targets`` is not one of the
            supported implementations.
    """
    get_targets = type(head).get_targets
    if get_targets in _ANCHOR_TARGETS:
        return 'anchor'
    if get_targets in _POINT_TARGETS:
        return 'point'
    raise TypeError(
        f'{type(head).__name__} assigns targets with '
        f'{get_targets.__qualname__}, which RLKDDenseDistiller does not '
        'support; supported are heads that inherit get_targets from '
        'AnchorHead (RetinaHead, ...), ATSSHead, GFLHead or FCOSHead')


@MODELS.register_module()
class RLKDDenseDistiller(RLKDSingleStageDetector):
    """Distil a dense single-stage detector with a sigmoid classifier.

    Works with mmdet's single-stage detectors whose head classifies every
    location (anchor or point) with independent sigmoid scores: RetinaNet,
    ATSS, GFL (whose scores are the joint classification-quality scores)
    and FCOS, without changes to the head. The student head computes its
    own losses exactly as in mmdet; this class adds ``loss_kd_cls``.

    KD instances are the positive locations of the student head's own
    target assignment (``get_targets`` of the head, called once more for
    the KD term): every prior whose target label is a foreground class and
    whose classification weight is non-zero. Their state comes from the
    sigmoid scores of that ground-truth class. Each location's temperature
    ``T_i`` divides all its class logits, teacher's and student's, before
    the sigmoid. The KD term of the location is ``T_i^2`` times the binary
    KL between the softened teacher and student scores, summed over the
    classes (``InstanceKDLoss`` in ``'sigmoid'`` mode), and the loss
    averages it over the positive locations. The
    temperature source is called once per batch with all positive
    locations of all levels and images.

    Teacher and student heads must produce the same score maps: the same
    classes, priors per location and strides, and both models must
    normalise input images alike. The teacher, its freezing,
    the class-count check and the exploration mixing are those of
    :class:`RLKDSingleStageDetector`.

    Args:
        backbone (dict): Student backbone.
        neck (dict): Student neck.
        bbox_head (dict): Student head, any supported mmdet dense head.
        teacher_config (str | Path | dict): Teacher config: a file path, an
            ``mmdet::`` name or a config dict.
        teacher_ckpt (str, optional): Teacher checkpoint. Defaults to None.
        temperature_source (dict): Config of the source of the per-location
            temperatures. Defaults to ``dict(type='FixedTemperature',
            temperature=1.0)``.
        loss_kd_cls (dict): Config of the KD loss, an :class:`InstanceKDLoss`
            in ``'sigmoid'`` mode. Defaults to ``dict(type='InstanceKDLoss',
            mode='sigmoid', class_reduction='sum', loss_weight=1.0)``.
        exploration_mix (bool): Let the RLKD agent mix uncertain images into
            easy ones while its exploration is active. Defaults to True.
        train_cfg (dict, optional): Student training config.
        test_cfg (dict, optional): Student testing config.
        data_preprocessor (dict, optional): Data preprocessor config.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: ConfigType,
                 neck: ConfigType,
                 bbox_head: ConfigType,
                 teacher_config: Union[ConfigType, str, Path],
                 teacher_ckpt: Optional[str] = None,
                 temperature_source: ConfigType = dict(
                     type='FixedTemperature', temperature=1.0),
                 loss_kd_cls: ConfigType = dict(
                     type='InstanceKDLoss',
                     mode='sigmoid',
                     class_reduction='sum',
                     loss_weight=1.0),
                 exploration_mix: bool = True,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(
            backbone=backbone,
            neck=neck,
            bbox_head=bbox_head,
            teacher_config=teacher_config,
            teacher_ckpt=teacher_ckpt,
            temperature_source=temperature_source,
            exploration_mix=exploration_mix,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self.target_family = _target_family(self.bbox_head)
        check_input_normalization(self, self.teacher,
                                  describe_teacher_config(teacher_config))
        self._check_heads()
        self.loss_kd_cls = MODELS.build(loss_kd_cls)
        if not isinstance(self.loss_kd_cls, InstanceKDLoss) or \
                self.loss_kd_cls.mode != 'sigmoid':
            raise TypeError(
                'loss_kd_cls must be an InstanceKDLoss in sigmoid mode, got '
                f"{loss_kd_cls}; use dict(type='InstanceKDLoss', "
                "mode='sigmoid')")

    def _check_heads(self) -> None:
        """Raise if the teacher's score maps differ from the student's."""
        student, teacher = self.bbox_head, self.teacher.bbox_head
        if not getattr(student, 'use_sigmoid_cls', False):
            raise ValueError(
                f'the student {type(student).__name__} does not use sigmoid '
                'class scores (loss_cls.use_sigmoid is False); '
                'RLKDDenseDistiller distils sigmoid classifiers only')

        def layout(head: nn.Module) -> tuple:
            strides = [tuple(s) for s in head.prior_generator.strides]
            return (getattr(head, 'cls_out_channels', None),
                    getattr(head, 'num_base_priors', None), strides)

        if layout(student) != layout(teacher):
            raise ValueError(
                'teacher and student heads produce different score maps: '
                '(classes, priors per location, strides) are '
                f'{layout(teacher)} for the teacher '
                f'{type(teacher).__name__} and {layout(student)} for the '
                f'student {type(student).__name__}; use the same anchor or '
                'point generator and loss_cls.use_sigmoid in both configs')

    def loss(self, batch_inputs: Tensor,
             batch_data_samples: SampleList) -> dict:
        """Compute the student head's losses and ``loss_kd_cls``."""
        image_ids = _image_ids(batch_data_samples)
        if self.exploration_active and self.exploration_mix \
                and image_ids is not None:
            batch_inputs = self._mix_uncertain_images(batch_inputs,
                                                      batch_data_samples,
                                                      image_ids)

        x = self.extract_feat(batch_inputs)
        outs = self.bbox_head(x)
        batch_gt_instances, batch_gt_instances_ignore, batch_img_metas = \
            unpack_gt_instances(batch_data_samples)
        losses = self.bbox_head.loss_by_feat(
            *outs,
            batch_gt_instances,
            batch_img_metas,
            batch_gt_instances_ignore=batch_gt_instances_ignore)

        with torch.no_grad():
            teacher_x = self.teacher.extract_feat(batch_inputs)
            teacher_cls_scores = self.teacher.bbox_head(teacher_x)[0]
        losses['loss_kd_cls'] = self._dense_kd_loss(
            outs[0], teacher_cls_scores, batch_gt_instances, batch_img_metas,
            batch_gt_instances_ignore, image_ids)
        return losses

    def _assign_locations(
            self, cls_scores: List[Tensor], batch_gt_instances: InstanceList,
            batch_img_metas: List[dict],
            batch_gt_instances_ignore: OptInstanceList
    ) -> Tuple[List[Tensor], List[Tensor]]:
        """Run the head's target assignment.

        Returns:
            tuple[list[Tensor], list[Tensor]]: Labels and label weights of
            every level, each with ``B * num_priors_of_level`` entries in
            image-major order.
        """
        head = self.bbox_head
        featmap_sizes = [score.shape[-2:] for score in cls_scores]
        device = cls_scores[0].device
        if self.target_family == 'point':
            points = head.prior_generator.grid_priors(
                featmap_sizes, dtype=cls_scores[0].dtype, device=device)
            labels_list, _ = head.get_targets(points, batch_gt_instances)
            weights_list = [torch.ones_like(lab, dtype=torch.float)
                            for lab in labels_list]
            return labels_list, weights_list

        anchor_list, valid_flag_list = head.get_anchors(
            featmap_sizes, batch_img_metas, device=device)
        targets = head.get_targets(
            anchor_list,
            valid_flag_list,
            batch_gt_instances,
            batch_img_metas,
            batch_gt_instances_ignore=batch_gt_instances_ignore)
        labels_at, weights_at = _ANCHOR_TARGETS[type(head).get_targets]
        return targets[labels_at], targets[weights_at]

    def _dense_kd_loss(self, cls_scores: List[Tensor],
                       teacher_cls_scores: List[Tensor],
                       batch_gt_instances: InstanceList,
                       batch_img_metas: List[dict],
                       batch_gt_instances_ignore: OptInstanceList,
                       image_ids: Optional[Tensor]) -> Tensor:
        """Compute the binary KD loss over the positive locations."""
        num_images = cls_scores[0].size(0)
        channels = self.bbox_head.cls_out_channels
        labels_list, weights_list = self._assign_locations(
            cls_scores, batch_gt_instances, batch_img_metas,
            batch_gt_instances_ignore)

        # Rows run level by level, image by image inside a level, which is
        # the order of the targets.
        student_logits = flatten_levels(cls_scores, channels)
        teacher_logits = flatten_levels(teacher_cls_scores, channels)
        labels = torch.cat([lab.reshape(-1) for lab in labels_list])
        label_weights = torch.cat([w.reshape(-1) for w in weights_list])
        image_index = torch.cat([
            torch.arange(num_images, device=labels.device).repeat_interleave(
                lab.numel() // num_images) for lab in labels_list
        ])
        if labels.numel() != student_logits.size(0):
            raise RuntimeError(
                f'{type(self.bbox_head).__name__} assigned '
                f'{labels.numel()} targets to {student_logits.size(0)} '
                'locations; its priors do not match its score maps')

        positive = (labels >= 0) & (labels < self.bbox_head.num_classes) & (
            label_weights > 0)
        index = positive.nonzero(as_tuple=True)[0]
        if index.numel() == 0:
            return student_logits.sum() * 0

        student_pos = student_logits[index]
        teacher_pos = teacher_logits[index]
        instances = build_instance_states(teacher_pos.sigmoid(),
                                          student_pos.detach().sigmoid(),
                                          labels[index])
        temperature, kd_weight = self.temperature_source(
            instances, image_index[index], image_ids)

        weight = label_weights[index].float()
        if kd_weight is not None:
            weight = weight * kd_weight
        avg_factor = reduce_mean(
            student_logits.new_tensor(float(index.numel()))).clamp_min(1)
        return self.loss_kd_cls(
            student_pos,
            teacher_pos,
            temperature,
            weight=weight,
            avg_factor=avg_factor)
