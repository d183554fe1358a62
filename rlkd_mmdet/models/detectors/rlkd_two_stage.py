"""Two-stage distiller: KD on the RoI classification logits, one T per RoI."""
import copy
from pathlib import Path
from typing import Optional, Tuple, Union

import torch
from mmdet.models.detectors import TwoStageDetector
from mmdet.models.roi_heads import StandardRoIHead
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.utils import (ConfigType, InstanceList, OptConfigType,
                         OptMultiConfig)
from torch import Tensor, nn

from rlkd_mmdet.rl import build_instance_states
from ..losses import InstanceKDLoss
from ..roi_heads import RLKDStandardRoIHead, SampledRoIs
from ..temperature import BaseTemperatureSource
from .rlkd_single_stage import _image_ids, mix_uncertain_images
from .teacher import build_frozen_teacher, describe_teacher_config


def _input_normalization(model: nn.Module) -> dict:
    preprocessor = model.data_preprocessor
    normalization = dict(
        bgr_to_rgb=bool(getattr(preprocessor, '_channel_conversion', False)))
    if getattr(preprocessor, '_enable_normalize', False):
        normalization.update(
            mean=[round(float(v), 3) for v in preprocessor.mean.flatten()],
            std=[round(float(v), 3) for v in preprocessor.std.flatten()])
    return normalization


def check_input_normalization(student: nn.Module, teacher: nn.Module,
                              teacher_source: str) -> None:
    """Raise if the teacher expects other input pixels than the student.

    The teacher reads the batch that the student's data preprocessor
    produced, so both must convert and normalise images alike (a caffe-style
    teacher with a pytorch-style student would see wrong inputs).

    Raises:
        ValueError: If the ``bgr_to_rgb``, ``mean`` or ``std`` settings of
            the two data preprocessors differ.
    """
    student_norm = _input_normalization(student)
    teacher_norm = _input_normalization(teacher)
    if student_norm != teacher_norm:
        raise ValueError(
            f'the teacher built from {teacher_source} expects inputs '
            f'{teacher_norm} but the student prepares {student_norm}; use '
            'the same data_preprocessor (bgr_to_rgb, mean, std) in both '
            'configs, or a teacher trained with the student\'s')


@MODELS.register_module()
class RLKDTwoStageDetector(TwoStageDetector):
    """Distil a two-stage detector with one KD temperature per sampled RoI.

    The student (``backbone``, ``neck``, ``rpn_head``, ``roi_head``) trains
    with its usual RPN and RoI losses. Its RoI head, an
    :class:`RLKDStandardRoIHead`, returns the RoIs it sampled. The teacher's
    RoI head then runs without gradients on these same RoIs over the
    teacher's features. Teacher and student thus classify the same regions,
    so their ``num_classes + 1`` softmax logits are comparable.

    Every sampled RoI with a non-zero classification weight is a KD
    instance. Its agent state is built from the softmax probabilities of
    its classification target: the ground-truth class of a positive RoI,
    and the background class (index ``num_classes``) of a background RoI,
    whose "ground-truth probability" is therefore the probability of
    background. With ``distill_background=False`` only positive RoIs are
    distilled. The temperature source is called once per batch with all
    instances; the KD term of RoI ``i`` is
    ``T_i^2 * KL(softmax(t_i / T_i) || softmax(s_i / T_i))`` (``loss_kd_roi``),
    averaged over the distilled RoIs. The per-image uncertainty that the
    RLKD agent tracks for its exploration averages the entropy over the
    image's distilled RoIs, background RoIs included.

    The teacher reads the batch as the student's data preprocessor prepared
    it, so both configs must normalise images alike (checked when the model
    is built). It is a registered, frozen submodule: it follows ``.to()``
    and model wrappers, gets no gradients and its BatchNorm layers stay in
    eval mode. Its weights are saved in this model's checkpoints;
    ``tools/export_student.py`` strips them.

    Args:
        backbone (dict): Student backbone.
        roi_head (dict): Student RoI head, an :class:`RLKDStandardRoIHead`.
        teacher_config (str | Path | dict): Teacher config: a file path, an
            ``mmdet::`` name or a config dict. The teacher must be a
            two-stage detector with a ``StandardRoIHead``.
        teacher_ckpt (str, optional): Teacher checkpoint. Defaults to None.
        neck (dict, optional): Student neck. Defaults to None.
        rpn_head (dict, optional): Student RPN head. Without it the
            proposals come from the data samples. Defaults to None.
        temperature_source (dict): Config of the source of the per-RoI
            temperatures. Defaults to ``dict(type='FixedTemperature',
            temperature=1.0)``.
        loss_kd_roi (dict): Config of the KD loss, an :class:`InstanceKDLoss`
            in ``'softmax'`` mode. Defaults to ``dict(type='InstanceKDLoss',
            mode='softmax', class_reduction='sum', loss_weight=1.0)``, the
            textbook KL over the classes.
        distill_background (bool): Distil background RoIs as well as
            positive ones. Defaults to True.
        exploration_mix (bool): Let the RLKD agent mix uncertain images into
            easy ones while its exploration is active. Defaults to True.
        train_cfg (dict, optional): Student training config.
        test_cfg (dict, optional): Student testing config.
        data_preprocessor (dict, optional): Data preprocessor config.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: ConfigType,
                 roi_head: ConfigType,
                 teacher_config: Union[ConfigType, str, Path],
                 teacher_ckpt: Optional[str] = None,
                 neck: OptConfigType = None,
                 rpn_head: OptConfigType = None,
                 temperature_source: ConfigType = dict(
                     type='FixedTemperature', temperature=1.0),
                 loss_kd_roi: ConfigType = dict(
                     type='InstanceKDLoss',
                     mode='softmax',
                     class_reduction='sum',
                     loss_weight=1.0),
                 distill_background: bool = True,
                 exploration_mix: bool = True,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(
            backbone=backbone,
            neck=neck,
            rpn_head=rpn_head,
            roi_head=roi_head,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        if not isinstance(self.roi_head, RLKDStandardRoIHead):
            raise TypeError(
                'RLKDTwoStageDetector needs roi_head of type '
                f'RLKDStandardRoIHead, got {type(self.roi_head).__name__}; '
                "set model.roi_head.type='RLKDStandardRoIHead'")
        self.teacher = build_frozen_teacher(teacher_config, teacher_ckpt)
        self._check_teacher(teacher_config)

        self.temperature_source: BaseTemperatureSource = MODELS.build(
            temperature_source)
        self.loss_kd_roi = MODELS.build(loss_kd_roi)
        if not isinstance(self.loss_kd_roi, InstanceKDLoss) or \
                self.loss_kd_roi.mode != 'softmax':
            raise TypeError(
                'loss_kd_roi must be an InstanceKDLoss in softmax mode, got '
                f'{loss_kd_roi}; use dict(type=\'InstanceKDLoss\', '
                "mode='softmax')")
        self.distill_background = distill_background
        self.exploration_mix = exploration_mix
        self.exploration_active = False

    def _check_teacher(self, teacher_config) -> None:
        """Raise if the teacher's RoI logits cannot be compared."""
        source = describe_teacher_config(teacher_config)
        check_input_normalization(self, self.teacher, source)
        teacher_roi_head = getattr(self.teacher, 'roi_head', None)
        if not isinstance(teacher_roi_head, StandardRoIHead):
            raise TypeError(
                f'the teacher built from {source} is a '
                f'{type(self.teacher).__name__} with roi_head '
                f'{type(teacher_roi_head).__name__}; RLKDTwoStageDetector '
                'needs a two-stage teacher with a StandardRoIHead, such as '
                "'mmdet::faster_rcnn/faster-rcnn_r101_fpn_1x_coco.py'")
        teacher_classes = teacher_roi_head.bbox_head.num_classes
        student_classes = self.roi_head.bbox_head.num_classes
        if teacher_classes != student_classes:
            raise ValueError(
                f'teacher has {teacher_classes} classes, student has '
                f'{student_classes}: set the same '
                'model.roi_head.bbox_head.num_classes in the teacher config '
                f'({source}) and in the student config')
        for name, head in (('teacher', teacher_roi_head.bbox_head),
                           ('student', self.roi_head.bbox_head)):
            if head.custom_cls_channels or getattr(head.loss_cls,
                                                   'use_sigmoid', False):
                raise ValueError(
                    f'the {name} RoI box head does not use a softmax '
                    f'classifier over num_classes + 1 logits (loss_cls '
                    f'{type(head.loss_cls).__name__}); RoI KD needs '
                    "loss_cls=dict(type='CrossEntropyLoss', "
                    'use_sigmoid=False)')

    def train(self, mode: bool = True) -> 'RLKDTwoStageDetector':
        """Set the student's mode; the teacher always stays in eval mode."""
        super().train(mode)
        self.teacher.eval()
        return self

    def loss(self, batch_inputs: Tensor,
             batch_data_samples: SampleList) -> dict:
        """Compute the student's RPN and RoI losses and ``loss_kd_roi``."""
        image_ids = _image_ids(batch_data_samples)
        if self.exploration_active and self.exploration_mix \
                and image_ids is not None:
            batch_inputs = mix_uncertain_images(self.temperature_source,
                                                batch_inputs,
                                                batch_data_samples, image_ids)

        x = self.extract_feat(batch_inputs)
        losses, rpn_results_list = self._rpn_loss_and_proposals(
            x, batch_data_samples)
        roi_losses, sampled = self.roi_head.loss_and_rois(
            x, rpn_results_list, batch_data_samples)
        losses.update(roi_losses)

        with torch.no_grad():
            teacher_x = self.teacher.extract_feat(batch_inputs)
            teacher_cls_score = self.teacher.roi_head._bbox_forward(
                teacher_x, sampled.rois)['cls_score']
        losses['loss_kd_roi'] = self._roi_kd_loss(sampled, teacher_cls_score,
                                                  image_ids)
        return losses

    def _rpn_loss_and_proposals(self, x: Tuple[Tensor],
                                batch_data_samples: SampleList
                                ) -> Tuple[dict, InstanceList]:
        """Return the RPN losses (keys prefixed ``rpn_``) and proposals."""
        if not self.with_rpn:
            proposals = [
                sample.get('proposals', None) for sample in batch_data_samples
            ]
            if any(p is None for p in proposals):
                raise ValueError(
                    'the student has no rpn_head, so every data sample '
                    'needs precomputed proposals; add rpn_head to the '
                    'student or load proposals in the pipeline')
            return dict(), proposals

        proposal_cfg = self.train_cfg.get('rpn_proposal', self.test_cfg.rpn)
        # The RPN is class-agnostic: every ground-truth box is class 0.
        rpn_data_samples = copy.deepcopy(batch_data_samples)
        for sample in rpn_data_samples:
            sample.gt_instances.labels = torch.zeros_like(
                sample.gt_instances.labels)
        rpn_losses, rpn_results_list = self.rpn_head.loss_and_predict(
            x, rpn_data_samples, proposal_cfg=proposal_cfg)
        losses = dict()
        for key, value in rpn_losses.items():
            if 'loss' in key and 'rpn' not in key:
                key = f'rpn_{key}'
            losses[key] = value
        return losses, rpn_results_list

    def _roi_kd_loss(self, sampled: SampledRoIs, teacher_cls_score: Tensor,
                     image_ids: Optional[Tensor]) -> Tensor:
        """Compute the KD loss over the sampled RoIs, batched."""
        num_classes = self.roi_head.bbox_head.num_classes
        keep = sampled.label_weights > 0
        if not self.distill_background:
            keep = keep & (sampled.labels < num_classes)
        index = keep.nonzero(as_tuple=True)[0]
        if index.numel() == 0:
            return sampled.cls_score.sum() * 0

        student_logits = sampled.cls_score[index]
        teacher_logits = teacher_cls_score[index]
        labels = sampled.labels[index]
        # A background RoI's label is num_classes, so its state uses the
        # probability of the background logit.
        instances = build_instance_states(
            teacher_logits.softmax(dim=1),
            student_logits.detach().softmax(dim=1), labels)
        image_index = sampled.rois[index, 0].long()
        temperature, kd_weight = self.temperature_source(
            instances, image_index, image_ids)

        weight = sampled.label_weights[index].float()
        if kd_weight is not None:
            weight = weight * kd_weight
        return self.loss_kd_roi(
            student_logits,
            teacher_logits,
            temperature,
            weight=weight,
            avg_factor=float(index.numel()))
