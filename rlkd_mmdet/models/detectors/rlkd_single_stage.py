"""Single-stage LD distiller with one temperature per positive location."""
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional, Tuple, Union

import torch
from mmdet.models.detectors import SingleStageDetector
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm

from rlkd_mmdet.rl import InstanceStates
from ..temperature import BaseTemperatureSource
from .teacher import build_frozen_teacher


def _image_ids(batch_data_samples: SampleList) -> Optional[Tensor]:
    ids = [sample.metainfo.get('img_id') for sample in batch_data_samples]
    if any(i is None for i in ids):
        return None
    return torch.tensor([int(i) for i in ids])


class _InstanceRecorder(BaseTemperatureSource):
    """Temperature source that keeps the instances it is asked about."""

    def forward(self, instances, image_index, image_ids=None):
        self.instances = instances
        return instances.states.new_ones(len(instances)), None


@contextmanager
def _frozen_norm_statistics(module: nn.Module) -> Iterator[None]:
    """Keep BatchNorm running statistics unchanged inside the block."""
    norms = [m for m in module.modules() if isinstance(m, _BatchNorm)]
    momenta = [m.momentum for m in norms]
    for norm in norms:
        norm.momentum = 0.0
    try:
        yield
    finally:
        for norm, momentum in zip(norms, momenta):
            norm.momentum = momentum


def mix_uncertain_images(temperature_source: BaseTemperatureSource,
                         batch_inputs: Tensor,
                         batch_data_samples: SampleList,
                         image_ids: Tensor) -> Tensor:
    """Blend hard-band images into easy-band images of a detection batch.

    An easy image becomes ``lam * easy + (1 - lam) * hard`` and, as in
    mmdet's MixUp, keeps its own boxes and gains the hard image's boxes
    (clipped to the easy image), so both images' objects are supervised
    and distilled. Nothing changes unless the source has an agent with an
    uncertainty tracker.
    """
    agent = getattr(temperature_source, 'agent', None)
    if agent is None or agent.tracker is None:
        return batch_inputs
    easy, hard, lam = agent.mixing_pairs(image_ids)
    if easy.numel() == 0:
        return batch_inputs
    lam = lam.to(batch_inputs)[:, None, None, None]
    easy_dev, hard_dev = easy.to(batch_inputs.device), hard.to(
        batch_inputs.device)
    mixed = batch_inputs.clone()
    mixed[easy_dev] = lam * batch_inputs[easy_dev] + (
        1 - lam) * batch_inputs[hard_dev]

    for e, h in zip(easy.tolist(), hard.tolist()):
        target = batch_data_samples[e]
        source = batch_data_samples[h].gt_instances
        height, width = target.metainfo['img_shape'][:2]
        boxes = source.bboxes.clone()
        boxes[:, 0::2] = boxes[:, 0::2].clamp(0, width)
        boxes[:, 1::2] = boxes[:, 1::2].clamp(0, height)
        keep = (boxes[:, 2] - boxes[:, 0] > 1) & (
            boxes[:, 3] - boxes[:, 1] > 1)
        extra = source[keep]
        extra.bboxes = boxes[keep]
        target.gt_instances = target.gt_instances.cat(
            [target.gt_instances, extra])
    return mixed


@MODELS.register_module()
class RLKDSingleStageDetector(SingleStageDetector):
    """Distil a single-stage detector with per-instance KD temperatures.

    A drop-in replacement of mmdet's
    ``KnowledgeDistillationSingleStageDetector`` for LD configs: the student
    is ``backbone`` + ``neck`` + ``bbox_head`` (an :class:`RLKDLDHead`), the
    teacher is built from ``teacher_config`` and ``teacher_ckpt``. Unlike
    mmdet's detector, the teacher is a registered, frozen submodule: it
    follows ``.to()`` and model wrappers, never receives gradients, and its
    BatchNorm layers stay in eval mode. Its weights are part of this
    model's checkpoints (``tools/export_student.py`` strips them).

    Args:
        backbone (dict): Student backbone.
        neck (dict): Student neck.
        bbox_head (dict): Student head, an :class:`RLKDLDHead`.
        teacher_config (str | Path | dict): Teacher config: a file path, an
            ``mmdet::`` name or a config dict.
        teacher_ckpt (str, optional): Teacher checkpoint. Defaults to None.
        temperature_source (dict): Config of the source of the per-instance
            temperatures. Defaults to ``dict(type='FixedTemperature',
            temperature=10.0)``.
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
                     type='FixedTemperature', temperature=10.0),
                 exploration_mix: bool = True,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(
            backbone=backbone,
            neck=neck,
            bbox_head=bbox_head,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self.teacher = build_frozen_teacher(teacher_config, teacher_ckpt)
        teacher_classes = getattr(self.teacher.bbox_head, 'num_classes', None)
        student_classes = self.bbox_head.num_classes
        if teacher_classes != student_classes:
            raise ValueError(
                f'teacher has {teacher_classes} classes, student has '
                f'{student_classes}: set the same num_classes in '
                'teacher_config and in the student bbox_head')
        self.temperature_source: BaseTemperatureSource = MODELS.build(
            temperature_source)
        self.exploration_mix = exploration_mix
        self.exploration_active = False
        # Set by RLKDHook when rewards re-evaluate the same batch.
        self.keep_last_batch = False
        self._last_batch: Optional[Tuple[Tensor, SampleList]] = None

    def train(self, mode: bool = True) -> 'RLKDSingleStageDetector':
        """Set the student's mode; the teacher always stays in eval mode."""
        super().train(mode)
        self.teacher.eval()
        return self

    def loss(self, batch_inputs: Tensor,
             batch_data_samples: SampleList) -> dict:
        """Compute student losses, KD terms included."""
        image_ids = _image_ids(batch_data_samples)
        if self.exploration_active and self.exploration_mix \
                and image_ids is not None:
            batch_inputs = self._mix_uncertain_images(batch_inputs,
                                                      batch_data_samples,
                                                      image_ids)

        if self.keep_last_batch:
            self._last_batch = (batch_inputs.detach(), batch_data_samples)

        x = self.extract_feat(batch_inputs)
        with torch.no_grad():
            teacher_x = self.teacher.extract_feat(batch_inputs)
            out_teacher = self.teacher.bbox_head(teacher_x)
        return self.bbox_head.loss(x, out_teacher, batch_data_samples,
                                   self.temperature_source, image_ids)

    @torch.no_grad()
    def evaluate_instances(self) -> InstanceStates:
        """Re-evaluate the KD instances of the last training batch.

        Used for ``reward_mode='same_batch'``: after the optimizer step, the
        student is run on the same (possibly mixed) images again, and the states
        of the same positive locations are returned. BatchNorm running
        statistics are left untouched. Costs one student and one teacher
        forward pass.
        """
        if self._last_batch is None:
            raise RuntimeError(
                'no training batch is kept; RLKDHook sets keep_last_batch '
                "when the agent uses reward_mode='same_batch'")
        batch_inputs, batch_data_samples = self._last_batch
        recorder = _InstanceRecorder()
        with _frozen_norm_statistics(self):
            x = self.extract_feat(batch_inputs)
            out_teacher = self.teacher.bbox_head(
                self.teacher.extract_feat(batch_inputs))
            self.bbox_head.loss(x, out_teacher, batch_data_samples, recorder)
        self._last_batch = None
        return getattr(recorder, 'instances',
                       InstanceStates(batch_inputs.new_zeros(0, 3),
                                      batch_inputs.new_zeros(0),
                                      batch_inputs.new_zeros(0)))

    def _mix_uncertain_images(self, batch_inputs: Tensor,
                              batch_data_samples: SampleList,
                              image_ids: Tensor) -> Tensor:
        """Apply :func:`mix_uncertain_images` with this model's source."""
        return mix_uncertain_images(self.temperature_source, batch_inputs,
                                    batch_data_samples, image_ids)
